// The CrateDB sink over CrateDB's HTTP endpoint (`POST /_sql`): runs the
// `cratedb` dialect's statements, shapes each batch's rows to the table's
// columns (cratedb-table-state.ts), sends them as bulk requests in chunks, and
// maps CrateDB's per-row results back to the rows. The HTTP client and its
// translation of errors into SinkErrors are in cratedb-client.ts.
//
// CrateDB's HTTP semantics this file relies on (FACTS.md section 5, and the
// "HTTP endpoint" page of the CrateDB reference, docs/interfaces/http.rst):
// - `{"stmt", "args"}` answers `{"cols", "rows", "rowcount", "duration"}`;
//   `{"stmt", "bulk_args"}` answers `{"cols": [], "duration", "results":
//   [{"rowcount": n}, ...]}` in request order, with HTTP 200 even when rows
//   failed; a failed row has `"rowcount": -2`, and CrateDB 5.10+ adds
//   `"error": {"code", "message"}` to the first failures of each shard
//   (crate/crate#16799).
// - A request CrateDB can not run at all (syntax, a value that can not be cast,
//   an unknown table) fails whole with `{"error": {"code", "message"}}`, an HTTP
//   4xx/5xx status, and writes nothing. Before the fix for crate/crate#18066 a
//   bulk request with ONE row reports even a row failure this way.
// - The `error_trace` query parameter is left off: the docs say clients should
//   not use it, and a stack trace is no help to the pipeline.
// - Credentials travel as HTTP Basic authentication (CrateDB takes the user
//   from the Authorization header); `Default-Schema` sets the schema of
//   unqualified table names.

import { CacheUntilFailure } from "../cache-until-failure.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import { addColumns, type CrateRow, cratedb, layoutOf, upgradeStateTable } from "../sql/cratedb.ts";
import type { NewColumn } from "../sql/cratedb-types.ts";
import type { Dialect, TableLayout, TableSettings } from "../sql/dialect.ts";
import type { Statement } from "../sql/statement.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import { wholeNumberOption } from "../whole-number.ts";
import { bulkSqlBody, sqlBody } from "./cratedb-body.ts";
import { type BulkOutcome, CrateDbClient, type CrateDbClientOptions } from "./cratedb-client.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from "./retry.ts";
import type { Sink, WriteResult } from "./sink.ts";
import { SinkError } from "./sink-error.ts";

export { crateDbErrorKind } from "./cratedb-errors.ts";

import { CrateTableState, DEFAULT_MAX_COLUMNS } from "./cratedb-table-state.ts";
import { type ColumnInfo, checkTarget } from "./target-check.ts";

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
   * into at least this many requests (each at most `maxRowsPerRequest`). Default 1.
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
/** What a row adds to a bulk request besides its JSON columns: brackets, version, timestamps. */
const ROW_OVERHEAD = 96;
const DEFAULT_CONNECTIONS = 4;

/** Thrown into the request through its AbortSignal when `timeoutMs` passes. */
export class CrateDbHttpSink implements Sink {
  readonly dialect: Dialect = cratedb;

  readonly #client: CrateDbClient;
  readonly #retry: RetryPolicy;
  readonly #maxRows: number;
  readonly #maxBytes: number;
  readonly #inFlight: number;
  readonly #maxColumns: number;
  readonly #onRetry: CrateDbHttpSinkOptions["onRetry"];
  readonly #tableSettings: TableSettings;
  /** ensureTable's work per table, so it runs once per sink (and once at a time). */
  readonly #ensured = new CacheUntilFailure<string, void>();
  /** Each table's known column types, by quoted name. */
  readonly #tables = new Map<string, CrateTableState>();

  constructor(options: CrateDbHttpSinkOptions) {
    this.#maxRows = wholeNumberOption(
      options.maxRowsPerRequest,
      DEFAULT_MAX_ROWS,
      "CrateDB sink option maxRowsPerRequest",
    );
    this.#maxBytes = wholeNumberOption(
      options.maxBytesPerRequest,
      DEFAULT_MAX_BYTES,
      "CrateDB sink option maxBytesPerRequest",
    );
    this.#inFlight = wholeNumberOption(options.inFlight, 1, "CrateDB sink option inFlight");
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
        this.#inFlight,
      ),
    });
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
      ]) {
        const label = { what: `creating ${formatTableName(table)}` };
        const body = sqlBody(statement.sql, statement.params);
        await withRetry(() => this.#client.post(body, label), this.#retry, this.#onRetry);
      }
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
      await this.#readColumns(table),
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

  /** The state table's columns as information_schema lists them. */
  #readColumns(table: TableName): Promise<ColumnInfo[]> {
    return this.query<ColumnInfo>(cratedb.lookupColumns(stateTable(table)));
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
    // Learning columns and declaring them is one turn of the table's schema
    // (`state.schema`): concurrent writes (a relay's shards share one sink)
    // see a column only once CrateDB has it, so no row goes out before the
    // declaration it needs. Sending runs outside the turn, concurrently.
    for (let round = 0; pending.length > 0; round++) {
      const last = round === RESHAPE_ROUNDS;
      const shaped = await state.schema.run(() =>
        this.#shapeAndDeclare(table, state, rows, pending, keys, result),
      );
      // A declaration was refused: shape the same rows again.
      if (shaped === undefined) continue;
      let sent: WriteResult;
      try {
        sent = await this.#send(
          table,
          shaped.map((s) => s.row),
          keySchema,
          state.layout,
        );
      } catch (error) {
        if (last || !(error instanceof SinkError) || error.kind !== "rejected") throw error;
        const again = await state.schema.run(async () => {
          state.reload(await this.#readColumns(table));
          return this.#reshapes(state, rows, shaped, keys);
        });
        if (!again) throw error;
        continue;
      }
      result.applied += sent.applied;
      const refused: number[] = [];
      for (let j = 0; j < shaped.length; j++) {
        const entry = shaped[j] as Shaped;
        const error = sent.failedRows.get(j);
        if (!error) result.routedToAux = (result.routedToAux ?? 0) + entry.routed.length;
        else if (!last && mayBeTypeConflict(error)) refused.push(j);
        else result.failedRows.set(entry.index, error);
      }
      pending = [];
      if (refused.length === 0) break;
      await state.schema.run(async () => {
        state.reload(await this.#readColumns(table));
        for (const j of refused) {
          const entry = shaped[j] as Shaped;
          const error = sent.failedRows.get(j) as SinkError;
          // A row refused for a sub-column the table lacked is sent again
          // even when it shapes the same now: the column may have come since
          // (declared by another writer, or dropped and declared anew).
          if (this.#reshapes(state, rows, [entry], keys) || STRICT_REFUSAL.test(error.message))
            pending.push(entry.index);
          else result.failedRows.set(entry.index, error);
        }
      });
    }
    return result;
  }

  /**
   * Shapes rows[i] for i in `indexes` and declares the sub-columns they
   * need; undefined when a declaration was refused (the rows are shaped
   * again, against the table's columns as they are now).
   */
  async #shapeAndDeclare(
    table: TableName,
    state: CrateTableState,
    rows: EncodedRow[],
    indexes: number[],
    keys: KeySchema,
    result: WriteResult,
  ): Promise<Shaped[] | undefined> {
    // A declaration failed or went unanswered: trust only what the table says it has.
    if (state.uncertain) state.reload(await this.#readColumns(table));
    const shaped = this.#shape(state, rows, indexes, keys, result);
    // Sub-columns exist before any row that needs them is sent.
    const columns = state.takeNewColumns();
    if (columns.length === 0) return shaped;
    try {
      await this.#addColumns(table, columns);
      return shaped;
    } catch (error) {
      // Whether the declaration took effect is not known (an outage may
      // have lost its answer): no row is sent on what was learnt, and the
      // next shaping starts from the columns the table has.
      state.markUncertain();
      // CrateDB names this refusal by its message only (code 4000, as any parse error).
      if (error instanceof SinkError && COLUMN_LIMIT.test(error.message)) {
        // The table's limit is lower than the budget: declare nothing more.
        state.reload(await this.#readColumns(table));
        state.columnLimitReached();
        return undefined;
      }
      if (!(error instanceof SinkError) || error.kind !== "rejected") throw error;
      // Refused: another writer added one first, or an earlier try that
      // seemed lost did ("already has a column"); or CrateDB will not have
      // the column at all. Shape again against the table as it is now, with
      // the attributes of columns still missing kept in aux from now on:
      // each round makes progress, so the loop ends, and nothing is refused.
      state.reload(await this.#readColumns(table));
      state.refuseColumns(columns);
      return undefined;
    }
  }

  /**
   * Declares new sub-columns of `data`. Another writer may have added one
   * meanwhile ("already has a column", 4000): the whole statement is then
   * refused, and the caller reads the table's columns again and shapes anew.
   */
  async #addColumns(table: TableName, columns: NewColumn[]): Promise<void> {
    const statement = addColumns(table, columns);
    const label = {
      what: `adding ${columns.length} sub-column${columns.length === 1 ? "" : "s"} to ${formatTableName(stateTable(table))}`,
    };
    const body = sqlBody(statement.sql, statement.params);
    await withRetry(() => this.#client.post(body, label), this.#retry, this.#onRetry);
  }

  /** Shapes rows[i] for i in `indexes`; a row whose key can not be held fails here, alone. */
  #shape(
    state: CrateTableState,
    rows: EncodedRow[],
    indexes: number[],
    keys: KeySchema,
    result: WriteResult,
  ): Shaped[] {
    const shaped: Shaped[] = [];
    for (const index of indexes) {
      const row = rows[index] as EncodedRow;
      const outcome = state.shape(row, keys);
      if ("problem" in outcome) {
        result.failedRows.set(
          index,
          new SinkError("rejected", `record ${row.change.ref}: ${outcome.problem}`, "KEY"),
        );
      } else shaped.push({ index, row: outcome.row, routed: outcome.routed });
    }
    return shaped;
  }

  /**
   * True when any of the rows would be shaped differently now, or needs a
   * sub-column declared first (then sending again may pass).
   */
  #reshapes(
    state: CrateTableState,
    rows: EncodedRow[],
    shaped: Shaped[],
    keys: KeySchema,
  ): boolean {
    let changed = false;
    for (const entry of shaped) {
      const now = state.shape(rows[entry.index] as EncodedRow, keys);
      if ("problem" in now || now.routed.join("\u0000") !== entry.routed.join("\u0000"))
        changed = true;
    }
    return changed || state.hasNewColumns;
  }

  /** Sends shaped rows in chunks; failed rows by index into `rows`. */
  async #send(
    table: TableName,
    rows: CrateRow[],
    keySchema: KeySchema | undefined,
    layout: TableLayout,
  ): Promise<WriteResult> {
    const result = emptyResult();
    if (rows.length === 0) return result;
    // One statement for all rows (its text does not depend on the row count);
    // the parameter lists are then sent in chunks.
    const batch = cratedb.upsert(table, rows, keySchema, new Date(), layout);
    if (batch.kind !== "bulk") {
      throw new SinkError(
        "fatal",
        `the cratedb dialect returned a ${batch.kind} write; this sink sends bulk_args only`,
      );
    }
    const target = formatTableName(stateTable(table));
    // With several requests in flight, a batch is cut into at least that many.
    const perRequest = Math.min(this.#maxRows, Math.ceil(rows.length / this.#inFlight));
    const chunks: [number, number][] = [];
    let start = 0;
    while (start < rows.length) {
      let end = start;
      let bytes = 0;
      while (end < rows.length && end - start < perRequest) {
        const size = rowSize(rows[end] as EncodedRow);
        if (end > start && bytes + size > this.#maxBytes) break;
        bytes += size;
        end++;
      }
      chunks.push([start, end]);
      start = end;
    }
    // Up to inFlight requests at once; a failure is thrown once all have
    // settled, so that no request is still writing when the pipeline goes on.
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (next < chunks.length && !failure) {
        const [from, to] = chunks[next++] as [number, number];
        try {
          await this.#writeChunk(batch.sql, batch.bulkArgs, rows, from, to, target, result);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#inFlight, chunks.length) }, worker));
    if (failure) {
      // The table was dropped after ensureTable: the next batch creates it again.
      if (failure.error instanceof SinkError && failure.error.missingRelation)
        this.#ensured.forget(cratedb.quoteTable(table));
      throw failure.error;
    }
    // If a chunk throws, the chunks before it stay written: the pipeline writes
    // the rows again, which the version guard makes harmless.
    return result;
  }

  /**
   * Sends rows [start, end) as one bulk request and records each row's
   * outcome. A retry sends only the rows that may pass on another try: after a
   * whole-request transient error that is all of them; after a 200 answer,
   * those that failed with a cluster error (CrateDB 5.10+ names it, e.g. 5002
   * when their shard is unavailable). Writes are idempotent under the version
   * guard, so re-sending a row that did land (a timeout after CrateDB wrote it)
   * changes nothing.
   */
  async #writeChunk(
    sql: string,
    bulkArgs: unknown[][],
    rows: EncodedRow[],
    start: number,
    end: number,
    target: string,
    result: WriteResult,
  ): Promise<void> {
    let pending: number[] = [];
    for (let i = start; i < end; i++) pending.push(i);
    await withRetry(
      async () => {
        const label = {
          what: `upsert into ${target} (${pending.length} row${pending.length === 1 ? "" : "s"})`,
        };
        const body = bulkSqlBody(
          sql,
          pending.map((i) => bulkArgs[i] as unknown[]),
        );
        const answer = await this.#client.post(body, label);
        const results = this.#client.bulkResults(answer, pending.length, label);
        const again: number[] = [];
        let retryError: SinkError | undefined;
        for (let j = 0; j < results.length; j++) {
          const index = pending[j] as number;
          const outcome = results[j] as BulkOutcome;
          if (outcome.ok) {
            result.applied++;
            continue;
          }
          const error = this.#client.rowError(outcome, index, rows[index], target);
          if (error.retryable) {
            again.push(index);
            retryError ??= error;
          } else {
            result.failedRows.set(index, error);
          }
        }
        pending = again;
        if (retryError) {
          throw new SinkError(
            "transient",
            `${again.length} row${again.length === 1 ? "" : "s"} of ${label.what} failed for a reason that may pass, e.g. ${retryError.message}`,
            retryError.code,
          );
        }
      },
      this.#retry,
      this.#onRetry,
    );
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

/**
 * CrateDB's ON CONFLICT DO UPDATE reports rowcount 1 for a conflicting row
 * even when the CASE guard kept every stored value, so a stale row can not be
 * told from a written one: `applied` counts both (staleUnknown). The guard
 * itself holds; only the count is lost.
 */
function emptyResult(): WriteResult {
  return { applied: 0, stale: 0, duplicates: 0, staleUnknown: true, failedRows: new Map() };
}

/** A row shaped for sending: its index in the batch, and the attributes moved to `aux`. */
interface Shaped {
  index: number;
  row: EncodedRow;
  routed: string[];
}

/** CrateDB's refusal of a column past `mapping.total_fields.limit`. */
const COLUMN_LIMIT = /Limit of total columns \[\d+\]/;

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

/** A row's share of a request body; string lengths stand in for bytes (exact for ASCII). */
function rowSize(row: EncodedRow): number {
  return (
    row.pk.length +
    (row.data?.length ?? 0) +
    (row.aux?.length ?? 0) +
    row.version.length +
    ROW_OVERHEAD
  );
}
