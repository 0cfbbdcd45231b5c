// The PostgreSQL sink: a small pg pool, one statement (so one round trip and
// one transaction) per chunk of rows, errors translated by SQLSTATE class.

import pg from "pg";
import { CacheUntilFailure } from "../cache-until-failure.ts";
import type { HistoryRow } from "../codec/history-row.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import { errorMessage } from "../error-text.ts";
import { InternalError } from "../errors.ts";
import type { TableLayout } from "../sql/dialect.ts";
import { postgresql, stateLayoutQuery } from "../sql/postgresql.ts";
import type { Statement } from "../sql/statement.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";
import { translate } from "./postgres-errors.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.ts";
import type { Sink, WriteResult } from "./sink.ts";
import { SinkError } from "./sink-error.ts";
import { checkTarget } from "./target-check.ts";

export interface PostgresSinkOptions {
  /** `postgresql://user:password@host:port/database` */
  url: string;
  retry?: RetryPolicy;
  /** Limit for connecting and for each statement, in milliseconds. */
  timeoutMs?: number;
  /** Rows per statement; larger batches are written in chunks. */
  maxRowsPerStatement?: number;
  /** Told about each retry (for logs). */
  onRetry?: (error: SinkError, attempt: number, delayMs: number) => void;
}

export class PostgresSink implements Sink {
  readonly dialect = postgresql;
  private readonly pool: pg.Pool;
  private readonly retry: RetryPolicy;
  private readonly maxRows: number;
  private readonly ready = new CacheUntilFailure<string, void>();
  /** The layout of each state table, found by ensureTable. */
  private readonly layouts = new Map<string, TableLayout>();
  private readonly onRetry: PostgresSinkOptions["onRetry"];

  constructor(options: PostgresSinkOptions) {
    const timeout = options.timeoutMs ?? 30_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: 2,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle client whose server went away emits here; without a listener
    // the process would crash. The pool replaces it on the next query.
    this.pool.on("error", () => {});
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.maxRows = options.maxRowsPerStatement ?? 5000;
    this.onRetry = options.onRetry;
  }

  ensureTable(table: TableName, keySchema: KeySchema | undefined): Promise<void> {
    const name = formatTableName(table);
    // A failed creation is tried again by the next batch.
    return this.ready.get(name, () =>
      checkTarget(this, table)
        .then((found) =>
          // Both there already: nothing to create, so a user who may only write them can.
          found.stateColumns !== undefined && found.viewExists
            ? undefined
            : this.run(async (client) => {
                for (const statement of postgresql.createTable(table, keySchema)) {
                  try {
                    await client.query(statement.sql, statement.params);
                  } catch (error) {
                    // Two writers creating the same table at once: IF NOT EXISTS does
                    // not guard the catalog, and the loser sees one of these. Once the
                    // winner commits, a retry finds the table there.
                    const code = (error as { code?: unknown }).code;
                    if (typeof code === "string" && CREATE_RACE.has(code)) {
                      throw new SinkError("transient", `PostgreSQL: ${errorMessage(error)}`, code, {
                        cause: error,
                      });
                    }
                    throw error;
                  }
                }
              }),
        )
        .then(async () => {
          // A state table created before key_hash keeps its layout and is written
          // as it is; the two layouts are never mixed in one table.
          const found = await this.query<{ layout: TableLayout }>(stateLayoutQuery(table));
          this.layouts.set(name, found[0]?.layout ?? "key-hash");
        }),
    );
  }

  async write(
    table: TableName,
    rows: EncodedRow[],
    keySchema: KeySchema | undefined,
  ): Promise<WriteResult> {
    let applied = 0;
    let duplicates = 0;
    const layout = this.layouts.get(formatTableName(table));
    for (let start = 0; start < rows.length; start += this.maxRows) {
      const chunk = rows.slice(start, start + this.maxRows);
      const write = postgresql.upsert(table, chunk, keySchema, new Date(), layout);
      if (write.kind !== "single")
        throw new InternalError("the PostgreSQL dialect writes one statement per chunk");
      const result = await this.run((client) =>
        client.query<{ applied: number; duplicates: number }>(write.sql, write.params),
      ).catch((error: unknown) => {
        // The table was dropped after ensureTable: the next batch creates it again.
        if (error instanceof SinkError && error.missingRelation) {
          this.ready.forget(formatTableName(table));
          this.layouts.delete(formatTableName(table));
        }
        throw error;
      });
      applied += result.rows[0]?.applied ?? 0;
      duplicates += result.rows[0]?.duplicates ?? 0;
    }
    return {
      applied,
      stale: rows.length - applied - duplicates,
      duplicates,
      staleUnknown: false,
      failedRows: new Map(),
    };
  }

  /**
   * Appends history rows, one statement per chunk of rows (cut short at
   * MAX_HISTORY_CHARS of JSON); PostgreSQL refuses a statement whole, so no
   * row fails alone here: the caller splits a refused chunk.
   */
  async appendHistory(table: TableName, rows: HistoryRow[]): Promise<Map<number, SinkError>> {
    let start = 0;
    while (start < rows.length) {
      let end = start;
      let chars = 0;
      while (end < rows.length && end - start < this.maxRows) {
        const row = rows[end] as HistoryRow;
        const size = (row.newImage?.length ?? 0) + (row.oldImage?.length ?? 0) + 200;
        if (end > start && chars + size > MAX_HISTORY_CHARS) break;
        chars += size;
        end++;
      }
      const write = postgresql.history.append(table, rows.slice(start, end), new Date());
      if (write.kind !== "single")
        throw new InternalError("the PostgreSQL dialect appends one statement per chunk");
      await this.run((client) => client.query(write.sql, write.params));
      start = end;
    }
    return new Map();
  }

  async query<T = Record<string, unknown>>(statement: Statement): Promise<T[]> {
    const result = await this.run((client) => client.query(statement.sql, statement.params));
    return result.rows as T[];
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private run<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withRetry(
      async () => {
        let client: pg.PoolClient;
        try {
          client = await this.pool.connect();
        } catch (error) {
          throw translate(error);
        }
        // A socket error between queries is emitted on the client; the query
        // in flight fails by itself and is retried, so the event needs no action
        // beyond keeping it from crashing the process.
        if (client.listenerCount("error") === 0) client.on("error", () => {});
        let broken = false;
        try {
          return await work(client);
        } catch (error) {
          const translated = translate(error);
          broken = translated.kind === "transient";
          throw translated;
        } finally {
          // A client that saw a connection-level error is not reused.
          client.release(broken);
        }
      },
      this.retry,
      this.onRetry,
    );
  }
}

/** The JSON text of history rows at which a statement is cut short (well under jsonb's 255 MB). */
const MAX_HISTORY_CHARS = 8 * 1024 * 1024;

/** unique_violation (on pg_type), duplicate_table, duplicate_object. */
const CREATE_RACE = new Set(["23505", "42P07", "42710"]);

export { translate };
