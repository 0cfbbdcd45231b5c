// The PostgreSQL dialect: `pk`, `data` and `aux` as jsonb (numbers exact), the
// batch written by one statement that reads its rows from one JSON parameter.

import type { NumberFormat } from "../codec/decimal.ts";
import type { EncodedRow, RowFormat } from "../codec/row.ts";
import { ConfigError } from "../errors.ts";
import type { Dialect } from "./dialect.ts";
import type { BatchWrite, Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";

// PostgreSQL cuts identifiers to 63 bytes (NAMEDATALEN - 1) with only a
// notice, so a long table name would make the state table, its index and the
// view collide after truncation: such names are refused instead.
const MAX_IDENTIFIER_BYTES = 63;

/** Quotes an identifier; `"` inside doubles. Used for every identifier. */
export function quotePostgresIdentifier(name: string): string {
  if (name.includes("\u0000")) {
    throw new ConfigError(
      `identifier ${JSON.stringify(name)}: a PostgreSQL identifier can not hold a NUL character`,
    );
  }
  if (Buffer.byteLength(name, "utf8") > MAX_IDENTIFIER_BYTES) {
    throw new ConfigError(
      `identifier ${JSON.stringify(name)} is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES} bytes ` +
        `(dynacrate adds "__state" and "__tombstones" to the table name): choose a shorter table name`,
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

const q = quotePostgresIdentifier;

function quoteTable(table: TableName): string {
  return table.schema ? `${q(table.schema)}.${q(table.name)}` : q(table.name);
}

export const postgresql: Dialect = {
  name: "postgresql",

  rowFormat(numbers?: NumberFormat): RowFormat {
    // jsonb holds any DynamoDB number exactly; only "string" changes anything.
    return { numbers: numbers === "string" ? "string" : "exact", keyNumbers: "exact" };
  },

  quoteIdentifier: q,
  quoteTable,

  createTable(table: TableName): Statement[] {
    const state = quoteTable(stateTable(table));
    const statements: Statement[] = [];
    if (table.schema)
      statements.push({ sql: `CREATE SCHEMA IF NOT EXISTS ${q(table.schema)}`, params: [] });
    statements.push(
      {
        // COLLATE "C": versions compare byte-wise, whatever the database's locale.
        sql:
          `CREATE TABLE IF NOT EXISTS ${state} (pk jsonb PRIMARY KEY, data jsonb, aux jsonb, ` +
          `version text COLLATE "C" NOT NULL, deleted boolean NOT NULL DEFAULT false, ` +
          `updated_at timestamptz NOT NULL DEFAULT now())`,
        params: [],
      },
      {
        sql: `CREATE INDEX IF NOT EXISTS ${q(`${table.name}__tombstones`)} ON ${state} (updated_at) WHERE deleted`,
        params: [],
      },
      {
        sql: `CREATE OR REPLACE VIEW ${quoteTable(table)} AS SELECT pk, data, aux FROM ${state} WHERE NOT deleted`,
        params: [],
      },
    );
    return statements;
  },

  upsert(table: TableName, rows: EncodedRow[], _keySchema, now: Date): BatchWrite {
    let json = "[";
    for (const row of rows) {
      json +=
        `${json.length === 1 ? "" : ","}{"pk":${row.pk},"data":${row.data ?? "null"},` +
        `"aux":${row.aux ?? "null"},"version":"${row.version}","deleted":${row.deleted}}`;
    }
    json += "]";
    const state = quoteTable(stateTable(table));
    return {
      kind: "single",
      sql:
        `INSERT INTO ${state} AS t (pk, data, aux, version, deleted, updated_at) ` +
        `SELECT r.pk, r.data, r.aux, r.version, r.deleted, $2::timestamptz ` +
        `FROM jsonb_to_recordset($1::jsonb) AS r(pk jsonb, data jsonb, aux jsonb, version text, deleted boolean) ` +
        `ON CONFLICT (pk) DO UPDATE SET data = excluded.data, aux = excluded.aux, version = excluded.version, ` +
        `deleted = excluded.deleted, updated_at = excluded.updated_at WHERE t.version < excluded.version`,
      params: [json, now.toISOString()],
      rows: rows.length,
    };
  },

  purgeTombstones(table: TableName, before: Date): Statement {
    return {
      sql: `DELETE FROM ${quoteTable(stateTable(table))} WHERE deleted AND updated_at < $1::timestamptz`,
      params: [before.toISOString()],
    };
  },

  selectLive(table: TableName): Statement {
    return { sql: `SELECT pk, data, aux FROM ${quoteTable(table)}`, params: [] };
  },
};
