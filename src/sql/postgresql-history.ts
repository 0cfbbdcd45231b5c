// The change history on PostgreSQL: a plain table keyed by the change's id,
// images as jsonb (any shape, numbers exact), and a hash index on the key for
// the changes of one item: a b-tree entry holds at most about 2.7 KB, and a
// DynamoDB key (2,048 + 1,024 bytes) can be longer, so a b-tree on the key
// would refuse that item's changes.

import type { HistoryRow } from "../codec/history-row.ts";
import { type HistoryPartition, type HistoryStatements, historyTable } from "./history.ts";
import type { BatchWrite, Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

export function postgresHistory(
  q: (name: string) => string,
  quoteTable: (table: TableName) => string,
): HistoryStatements {
  const table = (t: TableName) => quoteTable(historyTable(t));
  return {
    create(t: TableName, _partition: HistoryPartition): Statement[] {
      const statements: Statement[] = [];
      if (t.schema)
        statements.push({ sql: `CREATE SCHEMA IF NOT EXISTS ${q(t.schema)}`, params: [] });
      statements.push(
        {
          // COLLATE "C": versions order byte-wise, whatever the database's locale.
          sql:
            `CREATE TABLE IF NOT EXISTS ${table(t)} (change_id text PRIMARY KEY, key text NOT NULL, pk jsonb NOT NULL, ` +
            "operation text NOT NULL, ttl_delete boolean NOT NULL, changed_at timestamptz NOT NULL, " +
            `changed_micros bigint NOT NULL, version text COLLATE "C" NOT NULL, new_image jsonb, old_image jsonb, ` +
            "position text, ref text, recorded_at timestamptz NOT NULL, update_description jsonb)",
          params: [],
        },
        {
          sql: `CREATE INDEX IF NOT EXISTS ${q(`${t.name}__history_key`)} ON ${table(t)} USING hash (key)`,
          params: [],
        },
      );
      return statements;
    },

    addColumn(t: TableName, column: string): Statement {
      return {
        sql: `ALTER TABLE ${table(t)} ADD COLUMN IF NOT EXISTS ${q(column)} jsonb`,
        params: [],
      };
    },

    append(t: TableName, rows: HistoryRow[], now: Date): BatchWrite {
      let json = "[";
      for (const row of rows) {
        json +=
          `${json.length === 1 ? "" : ","}{"id":${JSON.stringify(row.id)},"key":${JSON.stringify(row.key)},` +
          `"pk":${row.pk},"operation":"${row.operation}","ttl":${row.ttlDelete},"us":${row.timestampMicros},` +
          `"version":${JSON.stringify(row.version)},"new":${row.newImage ?? "null"},"old":${row.oldImage ?? "null"},` +
          `"position":${JSON.stringify(row.position)},"ref":${JSON.stringify(row.ref)},"ud":${row.updateDescription ?? "null"}}`;
      }
      json += "]";
      return {
        kind: "single",
        rows: rows.length,
        // The microseconds as an interval from the epoch: exact, where a
        // floating to_timestamp() would round.
        sql:
          `INSERT INTO ${table(t)} (change_id, key, pk, operation, ttl_delete, changed_at, changed_micros, version, ` +
          "new_image, old_image, position, ref, recorded_at, update_description) " +
          "SELECT x.id, x.key, x.pk, x.operation, x.ttl, timestamptz 'epoch' + x.us * interval '1 microsecond', x.us, " +
          "x.version, x.new, x.old, x.position, x.ref, $2::timestamptz, x.ud " +
          "FROM jsonb_to_recordset($1::jsonb) AS x(id text, key text, pk jsonb, operation text, ttl boolean, us bigint, " +
          "version text, new jsonb, old jsonb, position text, ref text, ud jsonb) ON CONFLICT (change_id) DO NOTHING",
        params: [json, now.toISOString()],
      };
    },

    asOf(t: TableName, at: Date): Statement {
      return {
        sql:
          "SELECT pk::text AS pk, new_image::text AS new_image, version FROM " +
          "(SELECT DISTINCT ON (key) pk, new_image, version, operation " +
          `FROM ${table(t)} WHERE changed_at <= $1::timestamptz ORDER BY key, version DESC) AS h ` +
          "WHERE operation <> 'remove'",
        params: [at.toISOString()],
      };
    },

    changesOf(t: TableName, key: string): Statement {
      return {
        sql: `SELECT change_id, operation, version, new_image::text AS new_image FROM ${table(t)} WHERE key = $1 ORDER BY version`,
        params: [key],
      };
    },
  };
}
