// Statements of the relay's checkpoint table: the last applied position of
// each shard, kept in the target database beside the data it describes.

import type { Dialect } from "./dialect.ts";
import type { Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

export const CHECKPOINT_TABLE: TableName = { schema: undefined, name: "dynacrate_checkpoints" };

function placeholder(dialect: Dialect, n: number): string {
  return dialect.name === "postgresql" ? `$${n}` : "?";
}

export function createCheckpointTable(dialect: Dialect, table = CHECKPOINT_TABLE): Statement {
  const q = dialect.quoteIdentifier;
  const text = dialect.name === "postgresql" ? "text" : "TEXT";
  return {
    sql:
      `CREATE TABLE IF NOT EXISTS ${dialect.quoteTable(table)} (${q("stream")} ${text} NOT NULL, ` +
      `${q("shard")} ${text} NOT NULL, ${q("position")} ${text}, ${q("finished")} BOOLEAN NOT NULL, ` +
      `${q("updated_at")} TIMESTAMP WITH TIME ZONE NOT NULL, PRIMARY KEY (${q("stream")}, ${q("shard")}))`,
    params: [],
  };
}

export function saveCheckpoint(
  dialect: Dialect,
  stream: string,
  shard: string,
  position: string | undefined,
  finished: boolean,
  table = CHECKPOINT_TABLE,
): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => placeholder(dialect, n);
  const now = dialect.name === "postgresql" ? `${p(5)}::timestamptz` : p(5);
  return {
    sql:
      `INSERT INTO ${dialect.quoteTable(table)} (${q("stream")}, ${q("shard")}, ${q("position")}, ${q("finished")}, ${q("updated_at")}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${now}) ON CONFLICT (${q("stream")}, ${q("shard")}) DO UPDATE SET ` +
      `${q("position")} = excluded.${q("position")}, ${q("finished")} = excluded.${q("finished")}, ` +
      `${q("updated_at")} = excluded.${q("updated_at")}`,
    params: [
      stream,
      shard,
      position ?? null,
      finished,
      dialect.name === "postgresql" ? new Date().toISOString() : Date.now(),
    ],
  };
}

export function loadCheckpoints(
  dialect: Dialect,
  stream: string,
  table = CHECKPOINT_TABLE,
): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `SELECT ${q("shard")}, ${q("position")}, ${q("finished")} FROM ${dialect.quoteTable(table)} WHERE ${q("stream")} = ${placeholder(dialect, 1)}`,
    params: [stream],
  };
}

/** CrateDB shows writes to searches after a refresh; a restart must see the last checkpoints. */
export function refreshCheckpoints(
  dialect: Dialect,
  table = CHECKPOINT_TABLE,
): Statement | undefined {
  return dialect.name === "cratedb"
    ? { sql: `REFRESH TABLE ${dialect.quoteTable(table)}`, params: [] }
    : undefined;
}
