// The PostgreSQL dialect: `pk`, `data` and `aux` as jsonb (numbers exact), the
// batch written by one statement that reads its rows from one JSON parameter.

import { createHash } from "node:crypto";
import type { NumberFormat } from "../codec/decimal.ts";
import type { EncodedRow, RowFormat } from "../codec/row.ts";
import { ConfigError } from "../errors.ts";
import type { Dialect, Privilege, PrivilegeObject, TableLayout } from "./dialect.ts";
import { postgresHistory } from "./postgresql-history.ts";
import { postgresTableProblems, postgresTargetProblems } from "./relation-names.ts";
import type { BatchWrite, Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";
import { newerVersion } from "./version-order.ts";

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
    return {
      // jsonb holds any DynamoDB number exactly; only "string" changes anything.
      numbers: numbers === "string" ? "string" : "exact",
      keyNumbers: "exact",
      // text and jsonb refuse U+0000 ("unsupported Unicode escape sequence").
      nulRefusedBy: "PostgreSQL",
    };
  },

  quoteIdentifier: q,
  quoteTable,
  viewColumns: ["pk", "data", "aux"],

  lookupRelations(table: TableName): Statement {
    // pg_class rather than information_schema.tables, which leaves out
    // materialized views, indexes and sequences: any of them blocks the name.
    return {
      sql:
        "SELECT c.relname AS name, CASE c.relkind WHEN 'r' THEN 'BASE TABLE' WHEN 'p' THEN 'BASE TABLE' " +
        "WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN' WHEN 'i' THEN 'INDEX' " +
        "WHEN 'S' THEN 'SEQUENCE' ELSE c.relkind::text END AS kind, " +
        "CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS definition " +
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE n.nspname = COALESCE($1::text, current_schema()) AND c.relname IN ($2, $3)",
      params: [table.schema ?? null, table.name, stateTable(table).name],
    };
  },

  relationsInAnyCase(table: TableName): Statement {
    return {
      sql:
        "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE n.nspname = COALESCE($1::text, current_schema()) AND lower(c.relname) IN (lower($2), lower($3)) " +
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
      params: [table.schema ?? null, table.name, stateTable(table).name],
    };
  },

  targetNameProblems: postgresTargetProblems,
  tableNameProblems: postgresTableProblems,

  schemaPrivileges(schema: string | undefined): Statement {
    // A missing schema is created (CREATE SCHEMA): that takes CREATE on the database.
    return {
      sql:
        'SELECT current_user::text AS "user", s.name AS schema, n.oid IS NOT NULL AS "exists", ' +
        "CASE WHEN n.oid IS NULL THEN s.name IS NOT NULL AND has_database_privilege(current_database(), 'CREATE') " +
        "ELSE has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE') END AS can_create " +
        "FROM (SELECT COALESCE($1::text, current_schema()::text) AS name) s LEFT JOIN pg_namespace n ON n.nspname = s.name",
      params: [schema ?? null],
    };
  },

  tablePrivileges(table: TableName): Statement {
    const has = (p: Privilege) => `has_table_privilege($1, '${p}') AS ${p.toLowerCase()}`;
    return {
      sql: `SELECT ${(["SELECT", "INSERT", "UPDATE", "DELETE"] as const).map(has).join(", ")}`,
      params: [quoteTable(table)],
    };
  },

  grantText(privileges: Privilege[], on: PrivilegeObject, user: string): string {
    const what = privileges.join(", ");
    return "schema" in on
      ? `GRANT ${what} ON SCHEMA ${q(on.schema)} TO ${q(user)}`
      : `GRANT ${what} ON ${quoteTable(on.table)} TO ${q(user)}`;
  },

  lookupColumns(table: TableName): Statement {
    // pg_attribute, not information_schema.columns: the latter hides the
    // columns of a table the user has no privilege on, which would make a
    // table of dynacrate's layout look like another one (the set-up check
    // then names the missing privilege instead).
    return {
      sql:
        "SELECT a.attname::text AS column_name, format_type(a.atttypid, a.atttypmod) AS data_type " +
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace " +
        "WHERE n.nspname = COALESCE($1::text, current_schema()) AND c.relname = $2 AND a.attnum > 0 " +
        "AND NOT a.attisdropped ORDER BY a.attnum",
      params: [table.schema ?? null, table.name],
    };
  },

  // PostgreSQL shows a committed row at once and keeps replicas outside the table.
  tableSettings: () => "",

  createTable(table: TableName): Statement[] {
    const state = quoteTable(stateTable(table));
    const statements: Statement[] = [];
    if (table.schema)
      statements.push({ sql: `CREATE SCHEMA IF NOT EXISTS ${q(table.schema)}`, params: [] });
    statements.push(
      {
        // key_hash: SHA-256 of the canonical key. A DynamoDB key (2,048-byte
        // partition key + 1,024-byte sort key) can exceed a b-tree's row limit
        // (2,704 bytes), so the primary key is its hash, 32 bytes for any key.
        // COLLATE "C": versions compare byte-wise, whatever the database's locale.
        sql:
          `CREATE TABLE IF NOT EXISTS ${state} (key_hash bytea PRIMARY KEY, pk jsonb NOT NULL, data jsonb, aux jsonb, ` +
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

  upsert(
    table: TableName,
    rows: EncodedRow[],
    _keySchema,
    now: Date,
    layout: TableLayout = "key-hash",
  ): BatchWrite {
    const hashed = layout === "key-hash";
    let json = "[";
    for (const row of rows) {
      // The key goes as text and PostgreSQL hashes it (sha256, the same
      // digest as keyHash): one C call per row there, where a hash object per
      // row here cost the codec path a tenth of its time.
      const hash = hashed ? `"k":${JSON.stringify(row.key)},` : "";
      json +=
        `${json.length === 1 ? "" : ","}{${hash}"pk":${row.pk},"data":${row.data ?? "null"},` +
        `"aux":${row.aux ?? "null"},"version":"${row.version}","deleted":${row.deleted}}`;
    }
    json += "]";
    const state = quoteTable(stateTable(table));
    const key = hashed ? "key_hash" : "pk";
    // One statement: `r` the rows in the order given (the pipeline sorts them
    // by key, so concurrent writers lock rows in one order and never
    // deadlock), `d` the rows the table already holds at the same version
    // (duplicates; every part of a WITH sees the table as it was before the
    // INSERT), `w` the guarded upsert. Rows neither written nor duplicates are stale.
    return {
      kind: "single",
      sql:
        `WITH r AS MATERIALIZED (SELECT ${hashed ? "sha256(convert_to(x.k, 'UTF8')) AS key_hash, " : ""}x.pk, x.data, x.aux, x.version, x.deleted ` +
        `FROM jsonb_to_recordset($1::jsonb) AS x(${hashed ? "k text, " : ""}pk jsonb, data jsonb, aux jsonb, version text, deleted boolean)), ` +
        `d AS (SELECT count(*)::int AS n FROM r JOIN ${state} AS s ON s.${key} = r.${key} AND s.version = r.version), ` +
        `w AS (INSERT INTO ${state} AS t (${hashed ? "key_hash, " : ""}pk, data, aux, version, deleted, updated_at) ` +
        `SELECT ${hashed ? "r.key_hash, " : ""}r.pk, r.data, r.aux, r.version, r.deleted, $2::timestamptz FROM r ` +
        `ON CONFLICT (${key}) DO UPDATE SET ${hashed ? "pk = excluded.pk, " : ""}data = excluded.data, aux = excluded.aux, ` +
        `version = excluded.version, deleted = excluded.deleted, updated_at = excluded.updated_at ` +
        `WHERE ${newerVersion("excluded.version", "t.version")} RETURNING 1) ` +
        `SELECT (SELECT count(*)::int FROM w) AS applied, (SELECT n FROM d) AS duplicates`,
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

  selectLiveText(table: TableName): Statement {
    return {
      sql: `SELECT pk::text AS pk, data::text AS data, aux::text AS aux FROM ${quoteTable(table)}`,
      params: [],
    };
  },

  placeholder: (n: number) => `$${n}`,

  refresh: () => undefined,

  createDeadLetterTable(table: TableName): Statement[] {
    return [
      ...(table.schema
        ? [{ sql: `CREATE SCHEMA IF NOT EXISTS ${q(table.schema)}`, params: [] }]
        : []),
      {
        sql:
          `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (${q("position")} text, ${q("ref")} text, ${q("reason")} text NOT NULL, ` +
          `${q("field")} text, ${q("event_source_arn")} text, ${q("record")} text, ` +
          `${q("failed_at")} timestamptz NOT NULL DEFAULT now())`,
        params: [],
      },
    ];
  },

  get history() {
    return postgresHistory(q, quoteTable);
  },
};

/** The primary key of the state table: SHA-256 of the canonical key text, in hex for the JSON parameter. */
export function keyHash(canonicalKey: string): string {
  return createHash("sha256").update(canonicalKey, "utf8").digest("hex");
}

/**
 * Which layout an existing state table has: `key-hash` (key_hash bytea
 * PRIMARY KEY) or `pk-key` (pk jsonb PRIMARY KEY, the layout before key_hash,
 * whose b-tree refuses keys over 2,704 bytes). Answers one row
 * `{layout}`; no row when the table does not exist.
 */
export function stateLayoutQuery(table: TableName): Statement {
  return {
    sql:
      `SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.oid AND attname = 'key_hash' AND NOT attisdropped) ` +
      `THEN 'key-hash' ELSE 'pk-key' END AS layout FROM pg_class c WHERE c.oid = to_regclass($1)`,
    params: [quoteTable(stateTable(table))],
  };
}
