// The change history's table (`<table>__history`, --history): looked up, then
// created if missing. Like the state table (target-check.ts), a relation of
// the name that dynacrate did not create is never touched: it stops the run
// with a ConfigError naming the way out.

import { ConfigError } from "../errors.ts";
import type { TableSettings } from "../sql/dialect.ts";
import {
  ADDED_HISTORY_COLUMNS,
  HISTORY_COLUMNS,
  type HistoryPartition,
  historyTable,
} from "../sql/history.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";
import type { Sink } from "./sink.ts";
import type { ColumnInfo } from "./target-check.ts";

/**
 * Throws ConfigError when the history table's name is taken by a relation
 * that is not dynacrate's history table; returns the columns a later release
 * added that the table lacks, or undefined when there is no table. Creates nothing.
 */
export async function checkHistoryTable(
  sink: Sink,
  table: TableName,
): Promise<(typeof ADDED_HISTORY_COLUMNS)[number][] | undefined> {
  const history = historyTable(table);
  // lookupRelations asks for a name and its state table's; only the name matters here.
  const relations = await sink.query<{ name: string; kind: string }>(
    sink.dialect.lookupRelations(history),
  );
  const found = relations.find((r) => r.name === history.name);
  if (!found) return undefined;
  const columns = await sink.query<ColumnInfo>(sink.dialect.lookupColumns(history));
  const have = new Set(columns.map((c) => c.column_name));
  const missing = HISTORY_COLUMNS.filter((c) => !have.has(c));
  if (found.kind !== "BASE TABLE" || missing.length > 0) {
    const kind = found.kind === "BASE TABLE" ? "a table" : `a ${found.kind.toLowerCase()}`;
    const why =
      found.kind === "BASE TABLE" ? ` without dynacrate's columns (no ${missing.join(", ")})` : "";
    throw new ConfigError(
      `${formatTableName(history)} exists already as ${kind}${why}, where --history keeps the changes of ` +
        `${formatTableName(table)}; dynacrate leaves it untouched. Rename or drop it yourself, choose another ` +
        "--table (TARGET_TABLE for the Lambda function), or run without --history.",
    );
  }
  return ADDED_HISTORY_COLUMNS.filter((c) => !have.has(c));
}

/** Creates the history table if missing, after checking the name is dynacrate's. */
export async function ensureHistoryTable(
  sink: Sink,
  table: TableName,
  partition: HistoryPartition,
  settings?: TableSettings,
): Promise<void> {
  const lacking = await checkHistoryTable(sink, table);
  if (lacking) {
    // A table an earlier release made: the columns added since, its rows kept.
    for (const column of lacking) await sink.query(sink.dialect.history.addColumn(table, column));
    return;
  }
  for (const statement of sink.dialect.history.create(table, partition, settings))
    await sink.query(statement);
}
