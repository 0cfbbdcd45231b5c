// The bulk requests of CrateDB's writes and the mapping of their answers: a
// batch's shaped rows go out as one upsert statement, and a batch's changes
// as one history append (--history), each with its parameter lists in chunks
// (by rows and bytes, several at once with `inFlight`); CrateDB's per-row
// results come back as applied rows and failed rows by index. A chunk
// retries only the rows that may pass on another try. What the rows are
// (their shape) is cratedb-table-state.ts's concern; when to shape them
// again is the sink's (cratedb-http.ts).
//
// CrateDB's bulk semantics this file relies on (FACTS.md section 5, and the
// "HTTP endpoint" page of the CrateDB reference, docs/interfaces/http.rst):
// - `{"stmt", "bulk_args"}` answers `{"cols": [], "duration", "results":
//   [{"rowcount": n}, ...]}` in request order, with HTTP 200 even when rows
//   failed; a failed row has `"rowcount": -2`, and CrateDB 5.10+ adds
//   `"error": {"code", "message"}` to the first failures of each shard
//   (crate/crate#16799).
// - A request CrateDB can not run at all (syntax, a value that can not be cast,
//   an unknown table) fails whole with `{"error": {"code", "message"}}`, an HTTP
//   4xx/5xx status, and writes nothing. Before the fix for crate/crate#18066 a
//   bulk request with ONE row reports even a row failure this way.

import type { HistoryRow } from "../codec/history-row.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import { type CrateRow, cratedb } from "../sql/cratedb.ts";
import type { TableLayout } from "../sql/dialect.ts";
import { historyTable } from "../sql/history.ts";
import type { BatchWrite } from "../sql/statement.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import { bulkSqlBody } from "./cratedb-body.ts";
import type { BulkOutcome, CrateDbClient } from "./cratedb-client.ts";
import { type RetryPolicy, withRetry } from "./retry.ts";
import type { WriteResult } from "./sink.ts";
import { SinkError } from "./sink-error.ts";

/** What a row adds to a bulk request besides its JSON columns: brackets, version, timestamps. */
const ROW_OVERHEAD = 96;

export interface BulkWriterOptions {
  client: CrateDbClient;
  retry: RetryPolicy;
  onRetry: ((error: SinkError, attempt: number, delayMs: number) => void) | undefined;
  /** Rows per request at most. */
  maxRows: number;
  /** A request's row data in bytes, roughly, before it is split. */
  maxBytes: number;
  /** Requests of one batch sent at once. */
  inFlight: number;
}

/**
 * CrateDB's ON CONFLICT DO UPDATE reports rowcount 1 for a conflicting row
 * even when the CASE guard kept every stored value, so a stale row can not be
 * told from a written one: `applied` counts both (staleUnknown). The guard
 * itself holds; only the count is lost.
 */
export function emptyResult(): WriteResult {
  return { applied: 0, stale: 0, duplicates: 0, staleUnknown: true, failedRows: new Map() };
}

/** One statement run once per parameter list, and what messages say of its rows. */
interface BulkStatement {
  sql: string;
  bulkArgs: unknown[][];
  /** What the statement does, for messages: `upsert into "orders__state"`. */
  what: string;
  /** Row `index`'s share of a request, roughly in bytes. */
  size(index: number): number;
  /** The record row `index` comes from, for messages. */
  ref(index: number): string;
}

export class CrateDbBulkWriter {
  readonly #options: BulkWriterOptions;

  constructor(options: BulkWriterOptions) {
    this.#options = options;
  }

  /** Sends shaped rows in chunks; failed rows by index into `rows`. */
  async send(
    table: TableName,
    rows: CrateRow[],
    keySchema: KeySchema | undefined,
    layout: TableLayout,
  ): Promise<WriteResult> {
    const result = emptyResult();
    if (rows.length === 0) return result;
    // One statement for all rows (its text does not depend on the row count);
    // the parameter lists are then sent in chunks.
    const batch = bulkOf(cratedb.upsert(table, rows, keySchema, new Date(), layout));
    // Writes are idempotent under the version guard: a row sent again changes nothing.
    const sent = await this.#sendAll({
      ...batch,
      what: `upsert into ${formatTableName(stateTable(table))}`,
      size: (i) => rowSize(rows[i] as EncodedRow),
      ref: (i) => (rows[i] as EncodedRow).change.ref,
    });
    result.applied = sent.applied;
    result.failedRows = sent.failedRows;
    return result;
  }

  /**
   * Appends history rows in chunks, as `send` does; the rows CrateDB refused
   * one by one, by index into `rows`. A row sent again is left out by its id
   * (ON CONFLICT DO NOTHING), so a retry changes nothing it took already.
   */
  async append(table: TableName, rows: HistoryRow[]): Promise<Map<number, SinkError>> {
    if (rows.length === 0) return new Map();
    const batch = bulkOf(cratedb.history.append(table, rows, new Date()));
    const sent = await this.#sendAll({
      ...batch,
      what: `append to ${formatTableName(historyTable(table))}`,
      size: (i) => historyRowSize(rows[i] as HistoryRow),
      ref: (i) => (rows[i] as HistoryRow).ref,
    });
    return sent.failedRows;
  }

  /** Sends every row of `statement`, up to inFlight requests at once. */
  async #sendAll(
    statement: BulkStatement,
  ): Promise<{ applied: number; failedRows: Map<number, SinkError> }> {
    const result = { applied: 0, failedRows: new Map<number, SinkError>() };
    const chunks = this.#chunks(statement);
    // Up to inFlight requests at once; a failure is thrown once all have
    // settled, so that no request is still writing when the pipeline goes on.
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (next < chunks.length && !failure) {
        const [from, to] = chunks[next++] as [number, number];
        try {
          await this.#writeChunk(statement, from, to, result);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    const workers = Math.min(this.#options.inFlight, chunks.length);
    await Promise.all(Array.from({ length: workers }, worker));
    // If a chunk throws, the chunks before it stay written: the pipeline sends
    // the rows again, which the statements make harmless.
    if (failure) throw failure.error;
    return result;
  }

  /** [start, end) of each request: at most maxRows rows and maxBytes bytes (a larger row alone). */
  #chunks(statement: BulkStatement): [number, number][] {
    const { maxRows, maxBytes, inFlight } = this.#options;
    const count = statement.bulkArgs.length;
    // With several requests in flight, a batch is cut into a multiple of that
    // many requests of about one size, so that none runs alone at the end
    // while the others' turns are over: 5,000 rows of at most 1,000 a request,
    // two at once, go as six of about 834 (three turns of two) rather than
    // five of 1,000, whose last would take a whole turn alone.
    const turns = Math.ceil(Math.ceil(count / maxRows) / inFlight);
    const planned = turns * inFlight;
    const chunks: [number, number][] = [];
    let start = 0;
    while (start < count) {
      const perRequest =
        inFlight === 1
          ? maxRows
          : Math.min(maxRows, Math.ceil((count - start) / Math.max(1, planned - chunks.length)));
      let end = start;
      let bytes = 0;
      while (end < count && end - start < perRequest) {
        const size = statement.size(end);
        if (end > start && bytes + size > maxBytes) break;
        bytes += size;
        end++;
      }
      chunks.push([start, end]);
      start = end;
    }
    return chunks;
  }

  /**
   * Sends rows [start, end) as one bulk request and records each row's
   * outcome. A retry sends only the rows that may pass on another try: after a
   * whole-request transient error that is all of them; after a 200 answer,
   * those that failed with a cluster error (CrateDB 5.10+ names it, e.g. 5002
   * when their shard is unavailable). Both statements may be repeated, so
   * re-sending a row that did land (a timeout after CrateDB wrote it) changes
   * nothing.
   */
  async #writeChunk(
    statement: BulkStatement,
    start: number,
    end: number,
    result: { applied: number; failedRows: Map<number, SinkError> },
  ): Promise<void> {
    const { client } = this.#options;
    let pending: number[] = [];
    for (let i = start; i < end; i++) pending.push(i);
    await withRetry(
      async () => {
        const label = {
          what: `${statement.what} (${pending.length} row${pending.length === 1 ? "" : "s"})`,
        };
        const body = bulkSqlBody(
          statement.sql,
          pending.map((i) => statement.bulkArgs[i] as unknown[]),
        );
        const answer = await client.post(body, label);
        const results = client.bulkResults(answer, pending.length, label);
        const again: number[] = [];
        let retryError: SinkError | undefined;
        for (let j = 0; j < results.length; j++) {
          const index = pending[j] as number;
          const outcome = results[j] as BulkOutcome;
          if (outcome.ok) {
            result.applied++;
            continue;
          }
          const error = client.rowError(
            outcome,
            `row ${index} (record ${statement.ref(index)}) of the ${statement.what}`,
          );
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
      this.#options.retry,
      this.#options.onRetry,
    );
  }
}

/** The bulk form of a write; the cratedb dialect writes no other. */
function bulkOf(write: BatchWrite): { sql: string; bulkArgs: unknown[][] } {
  if (write.kind !== "bulk") {
    throw new SinkError(
      "fatal",
      `the cratedb dialect returned a ${write.kind} write; this sink sends bulk_args only`,
    );
  }
  return write;
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

/** A history row's share of a request body, as rowSize. */
function historyRowSize(row: HistoryRow): number {
  return (
    row.id.length +
    row.key.length +
    row.pk.length +
    row.version.length +
    (row.newImage?.length ?? 0) +
    (row.oldImage?.length ?? 0) +
    (row.position?.length ?? 0) +
    row.ref.length +
    ROW_OVERHEAD
  );
}
