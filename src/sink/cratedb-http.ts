// The CrateDB sink over CrateDB's HTTP endpoint (`POST /_sql`): creates the
// state tables, and writes a batch in rounds: its rows are shaped to the
// table's columns and the sub-columns they need declared (cratedb-schema.ts,
// over what cratedb-table-state.ts knows of the table), sent as bulk requests
// (cratedb-bulk.ts), and rows CrateDB refused for a column another writer
// changed meanwhile are shaped and sent again. A batch's change history
// (--history) goes out as bulk requests too. The HTTP client and its
// translation of errors into SinkErrors are in cratedb-client.ts.
//
// CrateDB's HTTP semantics are written where they are relied on: those of a
// request and its answer in cratedb-client.ts, those of a bulk request's
// answer (per-row results, a request refused whole) in cratedb-bulk.ts.

import { CacheUntilFailure } from "../cache-until-failure.ts";
import type { HistoryRow } from "../codec/history-row.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import { cratedb, layoutOf, upgradeStateTable } from "../sql/cratedb.ts";
import type { Dialect, TableLayout, TableSettings } from "../sql/dialect.ts";
import type { Statement } from "../sql/statement.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import { wholeNumberOption } from "../whole-number.ts";
import { sqlBody } from "./cratedb-body.ts";
import { CrateDbClient, type CrateDbClientOptions } from "./cratedb-client.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.ts";
import type { Sink, WriteResult } from "./sink.ts";
import { SinkError } from "./sink-error.ts";

export { crateDbErrorKind } from "./cratedb-errors.ts";

import { CrateDbBulkWriter, emptyResult } from "./cratedb-bulk.ts";
import { CrateDbSchema, reshapes, type Shaped } from "./cratedb-schema.ts";
import { CrateTableState, DEFAULT_MAX_COLUMNS } from "./cratedb-table-state.ts";
import { checkTarget } from "./target-check.ts";

/** The client's options (URL, credentials, timeout, TLS, schema, connections) and the sink's own. */
export interface CrateDbHttpSinkOptions extends CrateDbClientOptions {
  /** Retries of transient errors; DEFAULT_RETRY when not given. */
  retry?: RetryPolicy;
  /** Rows per bulk request; a larger batch goes out in several requests. Default 1000. */
  maxRowsPerRequest?: number;
  /**
   * Size of a bulk request's row data, roughly in bytes, before it is split;
   * a single larger row still goes alone. Default 32 MiB, well under CrateDB's
   * `http.max_content_length` (100 MB by default): 1000 DynamoDB items of up to
   * 400 KB each could exceed that, and a node may cut the connection instead of
   * answering 413.
   */
  maxBytesPerRequest?: number;
  /** Keep-alive connections to CrateDB. Default 4 (at least `inFlight`). */
  connections?: number;
  /**
   * Bulk requests of one batch sent at once. A batch's rows have distinct
   * keys, and the next batch is sent only once every request of this one is
   * answered, so each key's changes still reach CrateDB in order; several
   * requests let a cluster's nodes work on them together. A batch is then cut
   * into a multiple of this many requests of about one size (each at most
   * `maxRowsPerRequest`); its change history (--history) likewise.
   * Default 2: CrateDB indexes two requests on separate threads, and a replay
   * of the benchmark corpus into one node ran 1.1 to 1.2 times as fast as
   * with one (bench:cratedb).
   */
  inFlight?: number;
  /**
   * The `refresh_interval` of the state tables this sink creates, in ms: how
   * soon a write shows in queries (CrateDB's default 1000). A table that
   * exists keeps its own.
   */
  refreshIntervalMs?: number | undefined;
  /**
   * Columns dynacrate declares in a state table at most (sub-columns of
   * `data` included); a value that would need more goes to `aux`. Default
   * 900, under CrateDB's default limit of 1,000 a table.
   */
  maxColumns?: number;
  /** Called before each retry, e.g. to log or count; the error's message holds no credentials. */
  onRetry?: (error: SinkError, attempt: number, delayMs: number) => void;
}

const DEFAULT_MAX_ROWS = 1000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_CONNECTIONS = 4;
const DEFAULT_IN_FLIGHT = 2;

export class CrateDbHttpSink implements Sink {
  readonly dialect: Dialect = cratedb;

  readonly #client: CrateDbClient;
  readonly #retry: RetryPolicy;
  readonly #maxColumns: number;
  readonly #onRetry: CrateDbHttpSinkOptions["onRetry"];
  readonly #tableSettings: TableSettings;
  /** ensureTable's work per table, so it runs once per sink (and once at a time). */
  readonly #ensured = new CacheUntilFailure<string, void>();
  /** Each table's known column types, by quoted name. */
  readonly #tables = new Map<string, CrateTableState>();
  /** Reads and declares the state tables' columns. */
  readonly #schema: CrateDbSchema;
  /** Sends shaped rows in bulk requests. */
  readonly #bulk: CrateDbBulkWriter;

  constructor(options: CrateDbHttpSinkOptions) {
    const maxRows = wholeNumberOption(
      options.maxRowsPerRequest,
      DEFAULT_MAX_ROWS,
      "CrateDB sink option maxRowsPerRequest",
    );
    const maxBytes = wholeNumberOption(
      options.maxBytesPerRequest,
      DEFAULT_MAX_BYTES,
      "CrateDB sink option maxBytesPerRequest",
    );
    const inFlight = wholeNumberOption(
      options.inFlight,
      DEFAULT_IN_FLIGHT,
      "CrateDB sink option inFlight",
    );
    this.#maxColumns = wholeNumberOption(
      options.maxColumns,
      DEFAULT_MAX_COLUMNS,
      "CrateDB sink option maxColumns",
    );
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#onRetry = options.onRetry;
    this.#tableSettings = { refreshIntervalMs: options.refreshIntervalMs };
    // Checked now, not at the first table: a bad value is a configuration error.
    cratedb.tableSettings(this.#tableSettings);
    this.#client = new CrateDbClient({
      ...options,
      connections: Math.max(
        wholeNumberOption(
          options.connections,
          DEFAULT_CONNECTIONS,
          "CrateDB sink option connections",
        ),
        inFlight,
      ),
    });
    this.#schema = new CrateDbSchema({
      query: (statement) => this.query(statement),
      execute: (statement, what) => this.#execute(statement, what),
    });
    this.#bulk = new CrateDbBulkWriter({
      client: this.#client,
      retry: this.#retry,
      onRetry: this.#onRetry,
      maxRows,
      maxBytes,
      inFlight,
    });
  }

  /** Runs a statement whose answer is not read, retried like writes. */
  async #execute(statement: Statement, what: string): Promise<void> {
    const body = sqlBody(statement.sql, statement.params);
    await withRetry(() => this.#client.post(body, { what }), this.#retry, this.#onRetry);
  }

  async ensureTable(table: TableName, keySchema: KeySchema | undefined): Promise<void> {
    const key = cratedb.quoteTable(table);
    // A failure is not remembered: the next call tries again.
    return this.#ensured.get(key, () => this.#createTable(table, keySchema));
  }

  async #createTable(table: TableName, keySchema: KeySchema | undefined): Promise<void> {
    // Nothing is created over a relation dynacrate did not create.
    const found = await checkTarget(this, table);
    // CREATE TABLE IF NOT EXISTS and CREATE OR REPLACE VIEW: both can be repeated, and
    // are left out when both exist, so a user who may only write them (DML) can.
    if (found.stateColumns === undefined || !found.viewExists) {
      const upgrade = found.stateColumns ? upgradeStateTable(table, found.stateColumns) : [];
      for (const statement of [
        ...upgrade,
        ...cratedb.createTable(table, keySchema, this.#tableSettings),
      ])
        await this.#execute(statement, `creating ${formatTableName(table)}`);
    }
    const state = await this.#newState(table);
    // A table created earlier with other key types is written in its types, or refused here.
    if (keySchema) state.checkKeys(keySchema);
  }

  /** What the sink knows of a table: its columns and key layout, read now. */
  async #newState(table: TableName): Promise<CrateTableState> {
    const [found] = await this.query<{ layout: TableLayout }>(layoutOf(table));
    const state = new CrateTableState(
      formatTableName(stateTable(table)),
      await this.#schema.read(table),
      this.#maxColumns,
      found?.layout ?? "text-key",
    );
    this.#tables.set(cratedb.quoteTable(table), state);
    return state;
  }

  /** The table's known columns; read when a write comes without ensureTable. */
  async #tableState(table: TableName): Promise<CrateTableState> {
    return this.#tables.get(cratedb.quoteTable(table)) ?? this.#newState(table);
  }

  async write(
    table: TableName,
    rows: EncodedRow[],
    keySchema: KeySchema | undefined,
  ): Promise<WriteResult> {
    const result = emptyResult();
    if (rows.length === 0) return result;
    const state = await this.#tableState(table);
    const keys = requireKeys(keySchema, table);
    let pending = rows.map((_, i) => i);
    // Rows refused for a type another writer (or another shard of this
    // request) gave a new sub-column first are shaped again with the table's
    // types read anew, a bounded number of times; anything else fails alone.
    for (let round = 0; pending.length > 0; round++) {
      const last = round === RESHAPE_ROUNDS;
      const shaped = await this.#schema.shapeAndDeclare(table, state, rows, pending, keys, result);
      // A declaration was refused: shape the same rows again.
      if (shaped === undefined) continue;
      let sent: WriteResult;
      try {
        sent = await this.#bulk.send(
          table,
          shaped.map((s) => s.row),
          keySchema,
          state.layout,
        );
      } catch (error) {
        // The table was dropped after ensureTable: the next batch creates it again.
        if (error instanceof SinkError && error.missingRelation)
          this.#ensured.forget(cratedb.quoteTable(table));
        if (last || !(error instanceof SinkError) || error.kind !== "rejected") throw error;
        const again = await this.#schema.reloadAndSelect(table, state, [shaped], (all) =>
          reshapes(state, rows, all, keys),
        );
        if (again.length === 0) throw error;
        continue;
      }
      result.applied += sent.applied;
      const refused: { entry: Shaped; error: SinkError }[] = [];
      for (let j = 0; j < shaped.length; j++) {
        const entry = shaped[j] as Shaped;
        const error = sent.failedRows.get(j);
        if (!error) result.routedToAux = (result.routedToAux ?? 0) + entry.routed.length;
        else if (!last && mayBeTypeConflict(error)) refused.push({ entry, error });
        else result.failedRows.set(entry.index, error);
      }
      if (refused.length === 0) break;
      // A row refused for a sub-column the table lacked is sent again even
      // when it shapes the same now: the column may have come since (declared
      // by another writer, or dropped and declared anew).
      const again = await this.#schema.reloadAndSelect(
        table,
        state,
        refused,
        ({ entry, error }) =>
          reshapes(state, rows, [entry], keys) || STRICT_REFUSAL.test(error.message),
      );
      for (const { entry, error } of refused)
        if (!again.some((a) => a.entry === entry)) result.failedRows.set(entry.index, error);
      pending = again.map(({ entry }) => entry.index);
    }
    return result;
  }

  appendHistory(table: TableName, rows: HistoryRow[]): Promise<Map<number, SinkError>> {
    return this.#bulk.append(table, rows);
  }

  async query<T = Record<string, unknown>>(statement: Statement): Promise<T[]> {
    // Retried like writes: the statements given here (checkpoints, checks,
    // purges) are safe to repeat.
    const label = { what: "a query" };
    const body = sqlBody(statement.sql, statement.params);
    const answer = await withRetry(
      () => this.#client.post(body, label),
      this.#retry,
      this.#onRetry,
    );
    const { cols, rows } = answer;
    if (!Array.isArray(cols) || !cols.every((c) => typeof c === "string")) {
      throw this.#client.malformed(label, "an answer without a cols array of names");
    }
    if (!Array.isArray(rows)) throw this.#client.malformed(label, "an answer without a rows array");
    return rows.map((row, i) => {
      if (!Array.isArray(row) || row.length !== cols.length) {
        throw this.#client.malformed(label, `row ${i} does not have ${cols.length} values`);
      }
      const object: Record<string, unknown> = {};
      for (let c = 0; c < cols.length; c++) object[cols[c] as string] = row[c];
      // The caller names the row type; CrateDB's answer is not checked against it.
      return object as T;
    });
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/** How often rows refused for a type conflict are shaped again with the table's types read anew. */
const RESHAPE_ROUNDS = 3;
/** CrateDB's refusal of a row that holds a sub-column a STRICT object does not declare. */
const STRICT_REFUSAL = /Cannot add column .* to strict object/;

/**
 * A refused row that another shape may get in: CrateDB's cast error (4000)
 * or a row failure without details (CrateDB names only the first failures).
 */
function mayBeTypeConflict(error: SinkError): boolean {
  return error.code === "4000" || error.code === undefined;
}

function requireKeys(keySchema: KeySchema | undefined, table: TableName): KeySchema {
  if (keySchema && keySchema.length > 0) return keySchema;
  throw new SinkError(
    "fatal",
    `CrateDB table ${formatTableName(table)}: the key schema is needed to write its rows; give it as --key id:S[,sort:N]`,
  );
}

export function createCrateDbHttpSink(options: CrateDbHttpSinkOptions): CrateDbHttpSink {
  return new CrateDbHttpSink(options);
}
