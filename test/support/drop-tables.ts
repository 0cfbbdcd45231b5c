// Removes what a test created in a live database: each table's view and its
// state table, in that order, and its history table (a view can not outlive the table it reads);
// and names fresh tables for a suite, remembering them for the drop.

import type { Sink } from "../../src/sink/sink.ts";
import { historyTable } from "../../src/sql/history.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";

export async function dropTables(sink: Sink, tables: TableName[]): Promise<void> {
  for (const table of tables) {
    await sink.query({ sql: `DROP VIEW IF EXISTS ${sink.dialect.quoteTable(table)}`, params: [] });
    await sink.query({
      sql: `DROP TABLE IF EXISTS ${sink.dialect.quoteTable(stateTable(table))}`,
      params: [],
    });
    await sink.query({
      sql: `DROP TABLE IF EXISTS ${sink.dialect.quoteTable(historyTable(table))}`,
      params: [],
    });
  }
}

/** Fresh, distinct table names for one suite; `tables` lists them for `dropTables`. */
export function tableNames(): { tables: TableName[]; fresh(prefix: string): TableName } {
  const tables: TableName[] = [];
  let n = 0;
  return {
    tables,
    fresh(prefix) {
      const table = {
        schema: undefined,
        name: `dc_${prefix}_${process.pid}_${Date.now().toString(36)}_${n++}`,
      };
      tables.push(table);
      return table;
    },
  };
}
