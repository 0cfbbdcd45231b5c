// The change history's statements (`<table>__history`, --history), which each
// dialect renders: its table, the append of a batch's changes, and the
// queries the README documents.

import type { HistoryRow } from "../codec/history-row.ts";
import type { TableSettings } from "./dialect.ts";
import type { BatchWrite, Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

/** How CrateDB partitions the history table: one partition per month (default) or day. */
export type HistoryPartition = "month" | "day";

export const HISTORY_PARTITIONS: readonly HistoryPartition[] = ["month", "day"];

/** The append-only table of every change, beside the state table. */
export function historyTable(table: TableName): TableName {
  return { schema: table.schema, name: `${table.name}__history` };
}

/** The columns every history table has; a relation of the name without them is not dynacrate's. */
export const HISTORY_COLUMNS = [
  "change_id",
  "key",
  "pk",
  "operation",
  "ttl_delete",
  "changed_at",
  "changed_micros",
  "version",
  "new_image",
  "old_image",
  "position",
  "ref",
  "recorded_at",
] as const;

/**
 * Columns a later release added, after HISTORY_COLUMNS in every append: a
 * history table an earlier release made gains them (addColumn) before its
 * first append, and keeps every row it holds.
 */
export const ADDED_HISTORY_COLUMNS = ["update_description"] as const;

/** Every column an append writes, in its order. */
export const APPENDED_HISTORY_COLUMNS = [...HISTORY_COLUMNS, ...ADDED_HISTORY_COLUMNS];

export interface HistoryStatements {
  /** Creates the history table (and its index) if missing. */
  create(table: TableName, partition: HistoryPartition, settings?: TableSettings): Statement[];
  /** Adds one of ADDED_HISTORY_COLUMNS to a history table an earlier release made. */
  addColumn(table: TableName, column: (typeof ADDED_HISTORY_COLUMNS)[number]): Statement;
  /**
   * Appends changes; a change whose id the table holds already is left out
   * (a redelivery), whatever its time of arrival. CrateDB: one INSERT with a
   * parameter list per row (`bulk_args`), answered row by row; PostgreSQL:
   * one statement for all rows.
   */
  append(table: TableName, rows: HistoryRow[], now: Date): BatchWrite;
  /**
   * The items as of a time: for each key, its newest change at or before
   * `at`, unless that is a delete. Rows `{pk, new_image, version}` as JSON text.
   */
  asOf(table: TableName, at: Date): Statement;
  /** The changes of one key (its `pk` as JSON text), oldest first. */
  changesOf(table: TableName, pk: string): Statement;
}
