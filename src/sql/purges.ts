// Statements of the purge horizon table: per target table, the newest version
// of any tombstone a purge removed. A change older than that can not be
// checked against a delete of its item any more (the tombstone may be gone),
// so the pipeline refuses it instead of bringing a deleted item back.

import type { Dialect } from "./dialect.ts";
import { createOwnTable } from "./own-table.ts";
import type { Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";

export const PURGE_TABLE: TableName = { schema: undefined, name: "dynacrate_purges" };

export function createPurgeTable(dialect: Dialect): Statement {
  return createOwnTable(dialect, PURGE_TABLE, { target: "TEXT", horizon: "TEXT NOT NULL" }, [
    "target",
  ]);
}

/** Raises a target's horizon to `version` (never lowers it: another writer may have purged further). */
export function raiseHorizon(dialect: Dialect, target: string, version: string): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const column = q("horizon");
  return {
    sql:
      `INSERT INTO ${dialect.quoteTable(PURGE_TABLE)}${dialect.name === "postgresql" ? " AS t" : ""} (${q("target")}, ${column}) VALUES (${p(1)}, ${p(2)}) ` +
      `ON CONFLICT (${q("target")}) DO UPDATE SET ${column} = CASE WHEN excluded.${column} > ${dialect.name === "postgresql" ? `t.${column}` : column} ` +
      `THEN excluded.${column} ELSE ${dialect.name === "postgresql" ? `t.${column}` : column} END`,
    params: [target, version],
  };
}

/** The target's horizon: one row `{horizon}`, none if never purged. */
export function loadHorizon(dialect: Dialect, target: string): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `SELECT ${q("horizon")} FROM ${dialect.quoteTable(PURGE_TABLE)} WHERE ${q("target")} = ${dialect.placeholder(1)}`,
    params: [target],
  };
}

/** The newest version among the tombstones a purge with the same `before` removes: one row `{newest}`. */
export function newestPurgeable(dialect: Dialect, table: TableName, before: Date): Statement {
  const q = dialect.quoteIdentifier;
  const pg = dialect.name === "postgresql";
  return {
    sql:
      `SELECT max(${q("version")}) AS ${q("newest")} FROM ${dialect.quoteTable(stateTable(table))} ` +
      `WHERE ${q("deleted")} AND ${q("updated_at")} < ${pg ? "$1::timestamptz" : "?"}`,
    params: [pg ? before.toISOString() : before.getTime()],
  };
}
