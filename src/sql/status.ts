// Statements of `dynacrate status`: what the relays left in a target database
// (every checkpoint), what a target's state table holds (rows, tombstones,
// the newest change and when it was written), and what a dead-letter table
// holds. Leases are read by leases.ts's readLeases.

import { CHECKPOINT_TABLE } from "./checkpoints.ts";
import type { Dialect } from "./dialect.ts";
import type { Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";

/** Every checkpoint: rows {stream, target, shard, position, finished, updated_at}. */
export function allCheckpoints(dialect: Dialect): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql:
      `SELECT ${q("stream")}, ${q("target")}, ${q("shard")}, ${q("position")}, ${q("finished")}, ${q("updated_at")} ` +
      `FROM ${dialect.quoteTable(CHECKPOINT_TABLE)} ORDER BY ${q("target")}, ${q("stream")}, ${q("shard")}`,
    params: [],
  };
}

/** Per `deleted` (false: rows, true: tombstones): {deleted, n, newest (version), written (updated_at)}. */
export function stateSummary(dialect: Dialect, table: TableName): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql:
      `SELECT ${q("deleted")}, count(*) AS ${q("n")}, max(${q("version")}) AS ${q("newest")}, max(${q("updated_at")}) AS ${q("written")} ` +
      `FROM ${dialect.quoteTable(stateTable(table))} GROUP BY ${q("deleted")}`,
    params: [],
  };
}

/** One row {n, newest}: the letters a dead-letter table holds and when the last one failed. */
export function deadLetterSummary(dialect: Dialect, table: TableName): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `SELECT count(*) AS ${q("n")}, max(${q("failed_at")}) AS ${q("newest")} FROM ${dialect.quoteTable(table)}`,
    params: [],
  };
}
