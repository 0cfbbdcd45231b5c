// What every sink offers the apply pipeline. A sink knows its database and
// transport; it knows nothing of Lambda, streams or records.

import type { HistoryRow } from "../codec/history-row.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import type { Dialect } from "../sql/dialect.ts";
import type { Statement } from "../sql/statement.ts";
import type { TableName } from "../sql/table-name.ts";
import type { SinkError } from "./sink-error.ts";

/** The outcome of writing rows with distinct keys. */
export interface WriteResult {
  /** Rows written. */
  applied: number;
  /** Rows the version guard left out, because the sink holds a newer version. */
  stale: number;
  /** Rows the version guard left out, because the sink holds the same version (redelivered changes). */
  duplicates: number;
  /**
   * True when the database can not tell a row the guard left out from a
   * written one (CrateDB counts both as written): `applied` then counts both,
   * and `stale` and `duplicates` are 0.
   */
  staleUnknown: boolean;
  /**
   * Rows the database refused one by one (CrateDB's `rowcount: -2`), by
   * index into the rows given. A refusal of the whole request is thrown instead.
   */
  failedRows: Map<number, SinkError>;
  /**
   * Attributes of written rows moved from `data` to `aux` because their value
   * did not fit the column types (CrateDB's schemaless routing); counted, not lost.
   */
  routedToAux?: number;
}

export interface Sink {
  readonly dialect: Dialect;
  /** Creates the state table and the view if they are missing. */
  ensureTable(table: TableName, keySchema: KeySchema | undefined): Promise<void>;
  /**
   * Writes rows (distinct keys), guarded by version. Retries transient errors
   * itself up to its limit; then, or for a refusal of the whole request,
   * throws SinkError.
   */
  write(
    table: TableName,
    rows: EncodedRow[],
    keySchema: KeySchema | undefined,
  ): Promise<WriteResult>;
  /**
   * Appends rows to the change history of `table` (`<table>__history`,
   * created by the caller); a row whose id the table holds already is left
   * out. Returns the rows the database refused one by one, by index (CrateDB's
   * `rowcount: -2`). Retries transient errors itself up to its limit; then,
   * or for a refusal of the whole request, throws SinkError.
   */
  appendHistory(table: TableName, rows: HistoryRow[]): Promise<Map<number, SinkError>>;
  /** Runs one statement and returns its rows as objects (checkpoints, checks, the demo). */
  query<T = Record<string, unknown>>(statement: Statement): Promise<T[]>;
  close(): Promise<void>;
}
