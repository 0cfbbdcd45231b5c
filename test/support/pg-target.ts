// A PostgreSQL target for a test file: a fresh database on the suite's server,
// a sink on it, unique table names, and a reader of what users would see.

import { inject } from "vitest";
import { PostgresSink } from "../../src/sink/postgres.ts";
import type { RetryPolicy } from "../../src/sink/retry.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { freshDatabase } from "./pg-database.ts";

export interface PgTarget {
  url: string;
  sink: PostgresSink;
  table(prefix?: string): TableName;
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
  return {
    url: database.url,
    sink,
    table: (prefix = "t") => ({ schema: undefined, name: `${prefix}_${process.pid}_${++counter}` }),
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
