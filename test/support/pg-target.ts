// A PostgreSQL target for a test file: a fresh database on the suite's server,
// a sink on it, unique table names, and a reader of what users would see.

import { inject } from "vitest";
import { PostgresSink } from "../../src/sink/postgres.ts";
import type { RetryPolicy } from "../../src/sink/retry.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { freshDatabase } from "./pg-database.ts";

export interface PgTarget {
  url: string;
  sink: PostgresSink;
  table(prefix?: string): TableName;
  /**
   * A fresh table whose state table refuses (a CHECK constraint) a row whose
   * `attribute` is `value`: a change the codec takes and the database refuses
   * for its content.
   */
  refusing(prefix: string, attribute: string, value: string): Promise<TableName>;
  /** The view's rows, keyed by the `id` key attribute. */
  live(table: TableName): Promise<Map<string, Record<string, unknown>>>;
  /** Every row of the state table, tombstones included. */
  state(table: TableName): Promise<Array<{ id: string; deleted: boolean; version: string }>>;
  close(): Promise<void>;
}

let counter = 0;

export async function pgTarget(options: { retry?: RetryPolicy } = {}): Promise<PgTarget> {
  const database = await freshDatabase(inject("pgUrl"));
  const sink = new PostgresSink({
    url: database.url,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const table = (prefix = "t"): TableName => ({
    schema: undefined,
    name: `${prefix}_${process.pid}_${++counter}`,
  });
  return {
    url: database.url,
    sink,
    table,
    async refusing(prefix, attribute, value) {
      const created = table(prefix);
      await sink.ensureTable(created, [{ name: "id", type: "S" }]);
      // DDL takes no parameters: the two texts are SQL string literals.
      const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
      await sink.query({
        sql: `ALTER TABLE ${sink.dialect.quoteTable(stateTable(created))} ADD CHECK (data->>${literal(attribute)} IS DISTINCT FROM ${literal(value)})`,
        params: [],
      });
      return created;
    },
    async live(table) {
      const rows = await sink.query<{ pk: Record<string, unknown>; data: Record<string, unknown> }>(
        sink.dialect.selectLive(table),
      );
      return new Map(rows.map((r) => [String(r.pk.id), r.data]));
    },
    async state(table) {
      return sink.query({
        sql: `SELECT pk->>'id' AS id, deleted, version FROM ${sink.dialect.quoteTable({ ...table, name: `${table.name}__state` })} ORDER BY 1`,
        params: [],
      });
    },
    async close() {
      await sink.close();
      await database.drop();
    },
  };
}
