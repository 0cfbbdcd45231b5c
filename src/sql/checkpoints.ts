// Statements of the relay's checkpoint table: the last applied position of
// each shard of a stream, per target table, kept in the target database
// beside the data it describes. Two relays of one stream into two tables have
// checkpoints of their own.
//
// The layout before targets were part of the key (`dynacrate_checkpoints`,
// keyed by stream and shard) is read once, to carry its positions over to the
// target they were written for (see CheckpointStore).

import type { Dialect } from "./dialect.ts";
import { createOwnTable } from "./own-table.ts";
import type { Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";

/** Checkpoints keyed by (stream, target, shard). */
export const CHECKPOINT_TABLE: TableName = {
  schema: undefined,
  name: "dynacrate_target_checkpoints",
};
/** The earlier layout, keyed by (stream, shard): read to carry its positions over. */
export const LEGACY_CHECKPOINT_TABLE: TableName = {
  schema: undefined,
  name: "dynacrate_checkpoints",
};

export function createCheckpointTable(dialect: Dialect): Statement {
  return createOwnTable(
    dialect,
    CHECKPOINT_TABLE,
    {
      stream: "TEXT NOT NULL",
      target: "TEXT NOT NULL",
      shard: "TEXT NOT NULL",
      position: "TEXT",
      finished: "BOOLEAN NOT NULL",
      updated_at: "TIMESTAMP WITH TIME ZONE NOT NULL",
    },
    ["stream", "target", "shard"],
  );
}

export function saveCheckpoint(
  dialect: Dialect,
  stream: string,
  target: string,
  shard: string,
  position: string | undefined,
  finished: boolean,
): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const now = dialect.name === "postgresql" ? `${p(6)}::timestamptz` : p(6);
  const key = `${q("stream")}, ${q("target")}, ${q("shard")}`;
  return {
    sql:
      `INSERT INTO ${dialect.quoteTable(CHECKPOINT_TABLE)} (${key}, ${q("position")}, ${q("finished")}, ${q("updated_at")}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${now}) ON CONFLICT (${key}) DO UPDATE SET ` +
      `${q("position")} = excluded.${q("position")}, ${q("finished")} = excluded.${q("finished")}, ` +
      `${q("updated_at")} = excluded.${q("updated_at")}`,
    params: [
      stream,
      target,
      shard,
      position ?? null,
      finished,
      dialect.name === "postgresql" ? new Date().toISOString() : Date.now(),
    ],
  };
}

export function loadCheckpoints(dialect: Dialect, stream: string, target: string): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  return {
    sql: `SELECT ${q("shard")}, ${q("position")}, ${q("finished")} FROM ${dialect.quoteTable(CHECKPOINT_TABLE)} WHERE ${q("stream")} = ${p(1)} AND ${q("target")} = ${p(2)}`,
    params: [stream, target],
  };
}

/** Forgets a target's checkpoints of a stream: the relay starts over from `--from`. */
export function deleteCheckpoints(dialect: Dialect, stream: string, target: string): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  return {
    sql: `DELETE FROM ${dialect.quoteTable(CHECKPOINT_TABLE)} WHERE ${q("stream")} = ${p(1)} AND ${q("target")} = ${p(2)}`,
    params: [stream, target],
  };
}

/** The earlier layout's checkpoints of a stream. */
export function loadLegacyCheckpoints(dialect: Dialect, stream: string): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `SELECT ${q("shard")}, ${q("position")}, ${q("finished")} FROM ${dialect.quoteTable(LEGACY_CHECKPOINT_TABLE)} WHERE ${q("stream")} = ${dialect.placeholder(1)}`,
    params: [stream],
  };
}

/** Removes the earlier layout's checkpoints of a stream once a target has taken them over. */
export function deleteLegacyCheckpoints(dialect: Dialect, stream: string): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `DELETE FROM ${dialect.quoteTable(LEGACY_CHECKPOINT_TABLE)} WHERE ${q("stream")} = ${dialect.placeholder(1)}`,
    params: [stream],
  };
}

/** One row of the target's state table if it has any; fails as a missing relation when it does not exist. */
export function anyStateRow(dialect: Dialect, target: TableName): Statement {
  return {
    sql: `SELECT 1 AS ${dialect.quoteIdentifier("one")} FROM ${dialect.quoteTable(stateTable(target))} LIMIT 1`,
    params: [],
  };
}

/** CrateDB shows writes to searches after a refresh; a restart must see the last checkpoints. */
export function refreshTable(dialect: Dialect, table: TableName): Statement | undefined {
  return dialect.refresh(table);
}
