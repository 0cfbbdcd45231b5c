// The tables dynacrate keeps its own state in (checkpoints, leases, purge
// horizons, load progress): one CREATE TABLE IF NOT EXISTS for all of them,
// with the dialect's table settings (CrateDB's replicas and refresh).

import type { Dialect } from "./dialect.ts";
import type { Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

/**
 * Creates `table` unless it exists: `columns` maps each column to its type and
 * constraints (SQL both databases read alike), `primaryKey` names the key.
 */
export function createOwnTable(
  dialect: Dialect,
  table: TableName,
  columns: Record<string, string>,
  primaryKey: string[],
): Statement {
  const q = dialect.quoteIdentifier;
  const list = Object.entries(columns).map(([name, type]) => `${q(name)} ${type}`);
  return {
    sql:
      `CREATE TABLE IF NOT EXISTS ${dialect.quoteTable(table)} (${list.join(", ")}, ` +
      `PRIMARY KEY (${primaryKey.map(q).join(", ")}))${dialect.tableSettings()}`,
    params: [],
  };
}
