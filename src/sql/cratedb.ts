// The CrateDB dialect: the reference's layout (`pk` an OBJECT(STRICT) whose
// sub-columns are the primary key, `data` for the attributes, `aux` IGNORED)
// plus the version columns, written with one bulk INSERT ... ON CONFLICT per
// batch. `data` is STRICT where the reference has DYNAMIC: the sink declares
// every sub-column before a row needs it (cratedb-types.ts says why), so a row
// that would add one on the way is refused instead of written.

import type { NumberFormat } from "../codec/decimal.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow, RowFormat } from "../codec/row.ts";
import { ConfigError } from "../errors.ts";
import { auxText } from "./cratedb-aux-text.ts";
import { crateHistory } from "./cratedb-history.ts";
import { KEY_COLUMN_TYPES, keyIsText } from "./cratedb-keys.ts";
import { columnDefinition, type NewColumn } from "./cratedb-types.ts";
import type { Dialect, Privilege, PrivilegeObject, TableLayout, TableSettings } from "./dialect.ts";
import { crateNameProblem, crateTableProblems, crateTargetProblems } from "./relation-names.ts";
import { type BatchWrite, RawJson, type Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";
import { newerVersion } from "./version-order.ts";

/** Quotes an identifier; `"` inside doubles. Used for every identifier. */
export function quoteCrateIdentifier(name: string): string {
  if (name.includes("\u0000"))
    throw new ConfigError(
      `identifier ${JSON.stringify(name)}: a CrateDB identifier can not hold a NUL character`,
    );
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal, for the sub-column names in `pk['id']` (CrateDB's subscript syntax). */
function subscript(name: string): string {
  return `'${name.replaceAll("'", "''")}'`;
}

const q = quoteCrateIdentifier;

function checkName(name: string, what: string): void {
  const problem = crateNameProblem(name, what);
  if (problem) throw new ConfigError(problem);
}

function quoteTable(table: TableName): string {
  if (table.schema) checkName(table.schema, "schema name");
  checkName(table.name, "table name");
  return table.schema ? `${q(table.schema)}.${q(table.name)}` : q(table.name);
}

function requireKeys(keySchema: KeySchema | undefined, table: TableName): KeySchema {
  if (!keySchema || keySchema.length === 0) {
    throw new ConfigError(
      `CrateDB table ${table.name}: the key schema is needed to declare the primary key; give it as --key id:S[,sort:N]`,
    );
  }
  return keySchema;
}

/**
 * Declares sub-columns of a state table (`data['m']['x']`), parents first,
 * before rows that need them are written (cratedb-types.ts says why).
 */
export function addColumns(table: TableName, columns: NewColumn[]): Statement {
  const adds = columns.map(({ path, type }) => {
    const [top, ...names] = path;
    const column = `${q(top as string)}${names.map((n) => `[${subscript(n)}]`).join("")}`;
    return `ADD COLUMN ${column} ${columnDefinition(type)}`;
  });
  return { sql: `ALTER TABLE ${quoteTable(stateTable(table))} ${adds.join(", ")}`, params: [] };
}

const rawOrNull = (json: string | null) => (json === null ? null : new RawJson(json));

const COLUMNS = [
  "pk",
  "pk_text",
  "data",
  "aux",
  "aux_text",
  "deleted",
  "updated_at",
  "version",
].map(q);
/** The key columns: written with the row, never changed by a conflict. */
const KEY_COLUMNS = new Set([q("pk"), q("pk_text")]);

/** The view's columns; views of earlier releases have the first three only (sink/target-check.ts). */
const VIEW_COLUMNS = ["pk", "pk_text", "data", "aux", "aux_text"];

/** `pk_text`'s definition: every key attribute as TEXT, a primary key where `primary` says. */
function pkTextColumn(keys: KeySchema, primary: (k: KeySchema[number]) => boolean): string {
  const members = keys.map((k) => `${q(k.name)} TEXT${primary(k) ? " PRIMARY KEY" : ""}`);
  return `${q("pk_text")} OBJECT(STRICT) AS (${members.join(", ")})`;
}

/**
 * What a state table made by an earlier release lacks, added before the view
 * is made anew over it: `aux_text` (cratedb-aux-text.ts), and `pk_text`, which
 * there holds the key as text without being its primary key ("pk-key").
 */
export function upgradeStateTable(
  table: TableName,
  columns: { column_name: string }[],
): Statement[] {
  const state = quoteTable(stateTable(table));
  const names = columns.map((c) => c.column_name);
  const keyNames = names.flatMap((name) => {
    const key = /^pk\['(.*)'\]$/s.exec(name);
    return key ? [key[1] as string] : [];
  });
  const adds: string[] = [];
  if (!names.includes("pk_text")) {
    const members = keyNames.map((name) => `${q(name)} TEXT`).join(", ");
    adds.push(`ADD COLUMN ${q("pk_text")} OBJECT(STRICT) AS (${members})`);
  }
  if (!names.includes("aux_text")) adds.push(`ADD COLUMN ${q("aux_text")} OBJECT(IGNORED)`);
  return adds.length === 0 ? [] : [{ sql: `ALTER TABLE ${state} ${adds.join(", ")}`, params: [] }];
}

/**
 * Tells a state table's layout (dialect.ts): "text-key" when `pk_text` is
 * part of its primary key, "pk-key" for a table an earlier release made.
 */
export function layoutOf(table: TableName): Statement {
  return {
    sql:
      "SELECT CASE WHEN count(*) > 0 THEN 'text-key' ELSE 'pk-key' END AS layout " +
      "FROM information_schema.key_column_usage " +
      "WHERE table_schema = COALESCE(?, CURRENT_SCHEMA) AND table_name = ? AND column_name = 'pk_text'",
    params: [table.schema ?? null, stateTable(table).name],
  };
}

/** A row as the CrateDB sink sends it: with `pk_text` when `pk` no longer holds the keys' text. */
export type CrateRow = EncodedRow & { pkText?: string };

export const cratedb: Dialect = {
  name: "cratedb",

  rowFormat(numbers: NumberFormat = "double"): RowFormat {
    return {
      // `exact`: the exact decimal text, as `string` writes it. NUMERIC(38, s)
      // sub-columns declared on first sight would keep them numbers (CrateDB
      // 6.4.3 accepts ALTER TABLE ... ADD COLUMN data['x'] NUMERIC(38, 2) and
      // sums and compares them exactly), but a scale fixed on first sight
      // silently rounds later values with more decimals; until dynacrate
      // declares and routes by scale, exact means text.
      numbers: numbers === "exact" ? "string" : numbers,
      // Exact text as a JSON string: the sink checks it against the key
      // column's type and sends it so that no digit is lost (cratedb-keys.ts).
      keyNumbers: "string",
    };
  },

  quoteIdentifier: q,
  quoteTable,
  viewColumns: VIEW_COLUMNS,

  lookupRelations(table: TableName): Statement {
    // CURRENT_SCHEMA follows the sink's Default-Schema, as unqualified names do.
    return {
      sql:
        "SELECT t.table_name AS name, t.table_type AS kind, v.view_definition AS definition " +
        "FROM information_schema.tables t LEFT JOIN information_schema.views v " +
        "ON v.table_schema = t.table_schema AND v.table_name = t.table_name " +
        "WHERE t.table_schema = COALESCE(?, CURRENT_SCHEMA) AND t.table_name IN (?, ?)",
      params: [table.schema ?? null, table.name, stateTable(table).name],
    };
  },

  relationsInAnyCase(table: TableName): Statement {
    return {
      sql:
        "SELECT table_name AS name FROM information_schema.tables " +
        "WHERE table_schema = COALESCE(?, CURRENT_SCHEMA) AND lower(table_name) IN (lower(?), lower(?))",
      params: [table.schema ?? null, table.name, stateTable(table).name],
    };
  },

  targetNameProblems: crateTargetProblems,
  tableNameProblems: crateTableProblems,

  schemaPrivileges(schema: string | undefined): Statement {
    // CrateDB creates a schema with its first table; DDL on it (or on the cluster) allows both.
    return {
      sql:
        'SELECT current_user AS "user", s.name AS schema, ' +
        'EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = s.name) AS "exists", ' +
        "has_schema_privilege(s.name, 'CREATE') AS can_create FROM (SELECT COALESCE(?, CURRENT_SCHEMA) AS name) s",
      params: [schema ?? null],
    };
  },

  tablePrivileges(table: TableName): Statement {
    // has_table_privilege takes the name as written, unquoted (checked on 6.4.3).
    const name = table.schema ? `${table.schema}.${table.name}` : table.name;
    // The labels are quoted: CrateDB refuses a keyword (`select`, `delete`) as a bare alias.
    const has = (p: Privilege) => `has_table_privilege(?, '${p}') AS ${q(p.toLowerCase())}`;
    const privileges = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;
    return {
      sql: `SELECT ${privileges.map(has).join(", ")}`,
      params: privileges.map(() => name),
    };
  },

  grantText(privileges: Privilege[], on: PrivilegeObject, user: string): string {
    // CrateDB's privilege classes: DQL reads, DML writes, DDL creates.
    const classes = privileges.map((p) =>
      p === "CREATE" ? "DDL" : p === "SELECT" ? "DQL" : "DML",
    );
    const kind = [...new Set(classes)].join(", ");
    return "schema" in on
      ? `GRANT ${kind} ON SCHEMA ${q(on.schema)} TO ${q(user)}`
      : `GRANT ${kind} ON TABLE ${quoteTable(on.table)} TO ${q(user)}`;
  },

  lookupColumns(table: TableName): Statement {
    return {
      sql:
        "SELECT column_name, data_type FROM information_schema.columns " +
        "WHERE table_schema = COALESCE(?, CURRENT_SCHEMA) AND table_name = ? ORDER BY ordinal_position",
      params: [table.schema ?? null, table.name],
    };
  },

  tableSettings(settings: TableSettings = {}): string {
    // '0-1' expands to one replica of each shard once the cluster has a second
    // node, so a table keeps its data through one node's loss; on a single node
    // it means none (a replica could not be placed there, and the table would
    // stay under-replicated). It is CrateDB's default, written out so that it
    // holds whatever the cluster's own defaults say.
    const list = ["number_of_replicas = '0-1'"];
    const refresh = settings.refreshIntervalMs;
    if (refresh !== undefined) {
      // A setting's value is no bound parameter in CrateDB's DDL: it is checked here instead.
      if (!Number.isSafeInteger(refresh) || refresh < 1)
        throw new ConfigError(
          `refresh interval ${refresh}: give a whole number of milliseconds above 0`,
        );
      list.push(`refresh_interval = ${refresh}`);
    }
    return ` WITH (${list.join(", ")})`;
  },

  createTable(
    table: TableName,
    keySchema: KeySchema | undefined,
    settings?: TableSettings,
  ): Statement[] {
    const keys = requireKeys(keySchema, table);
    const state = quoteTable(stateTable(table));
    const pk = keys
      .map(
        (k) => `${q(k.name)} ${KEY_COLUMN_TYPES[k.type]}${keyIsText(k.type) ? "" : " PRIMARY KEY"}`,
      )
      .join(", ");
    return [
      {
        sql:
          `CREATE TABLE IF NOT EXISTS ${state} (${q("pk")} OBJECT(STRICT) AS (${pk}), ` +
          `${pkTextColumn(keys, (k) => keyIsText(k.type))}, ` +
          `${q("data")} OBJECT(STRICT), ${q("aux")} OBJECT(IGNORED), ${q("aux_text")} OBJECT(IGNORED), ${q("version")} TEXT NOT NULL, ` +
          `${q("deleted")} BOOLEAN NOT NULL, ${q("updated_at")} TIMESTAMP WITH TIME ZONE NOT NULL)` +
          cratedb.tableSettings(settings),
        params: [],
      },
      {
        sql:
          `CREATE OR REPLACE VIEW ${quoteTable(table)} AS SELECT ${VIEW_COLUMNS.map(q).join(", ")} ` +
          `FROM ${state} WHERE NOT ${q("deleted")}`,
        params: [],
      },
    ];
  },

  upsert(
    table: TableName,
    rows: CrateRow[],
    keySchema: KeySchema | undefined,
    now: Date,
    layout: TableLayout = "text-key",
  ): BatchWrite {
    const keys = requireKeys(keySchema, table);
    const conflict = keys
      .map((k) => {
        const column = layout === "text-key" && keyIsText(k.type) ? "pk_text" : "pk";
        return `${q(column)}[${subscript(k.name)}]`;
      })
      .join(", ");
    const version = q("version");
    // ON CONFLICT DO UPDATE takes no WHERE in CrateDB: each assignment keeps
    // the stored value unless the incoming version is newer. `version` goes
    // last so every condition reads the stored version.
    const newer = newerVersion(`excluded.${version}`, version);
    const set = COLUMNS.filter((c) => !KEY_COLUMNS.has(c))
      .map((c) => `${c} = CASE WHEN ${newer} THEN excluded.${c} ELSE ${c} END`)
      .join(", ");
    const updatedAt = now.getTime();
    return {
      kind: "bulk",
      sql:
        `INSERT INTO ${quoteTable(stateTable(table))} (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")}) ` +
        `ON CONFLICT (${conflict}) DO UPDATE SET ${set}`,
      bulkArgs: rows.map((row) => [
        new RawJson(row.pk),
        // The codec writes every key value as a JSON string (numbers as their
        // exact text), so its pk is pk_text as it is, until the sink rewrites pk.
        new RawJson(row.pkText ?? row.pk),
        row.data === null ? null : new RawJson(row.data),
        row.aux === null ? null : new RawJson(row.aux),
        rawOrNull(auxText(row.aux)),
        row.deleted,
        updatedAt,
        row.version,
      ]),
    };
  },

  purgeTombstones(table: TableName, before: Date): Statement {
    return {
      sql: `DELETE FROM ${quoteTable(stateTable(table))} WHERE ${q("deleted")} AND ${q("updated_at")} < ?`,
      params: [before.getTime()],
    };
  },

  selectLive(table: TableName): Statement {
    return {
      sql: `SELECT ${q("pk")}, ${q("data")}, ${q("aux")} FROM ${quoteTable(table)}`,
      params: [],
    };
  },

  selectLiveText(table: TableName): Statement {
    // The HTTP answer is parsed JSON, which would round 20-digit keys.
    return {
      sql: `SELECT CAST(${q("pk")} AS TEXT) AS pk, CAST(${q("pk_text")} AS TEXT) AS pk_text, CAST(${q("data")} AS TEXT) AS data, CAST(${q("aux")} AS TEXT) AS aux FROM ${quoteTable(table)}`,
      params: [],
    };
  },

  placeholder: () => "?",

  refresh(table: TableName): Statement {
    return { sql: `REFRESH TABLE ${quoteTable(table)}`, params: [] };
  },

  createDeadLetterTable(table: TableName): Statement[] {
    // The record is stored, not indexed (Lucene refuses terms over 32 KB).
    return [
      {
        sql:
          `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (${q("position")} TEXT, ${q("ref")} TEXT, ${q("reason")} TEXT NOT NULL, ` +
          `${q("field")} TEXT, ${q("event_source_arn")} TEXT, ` +
          `${q("record")} TEXT INDEX OFF STORAGE WITH (columnstore = false), ` +
          `${q("failed_at")} TIMESTAMP WITH TIME ZONE NOT NULL)${cratedb.tableSettings()}`,
        params: [],
      },
    ];
  },

  get history() {
    return crateHistory(q, quoteTable, (settings) => cratedb.tableSettings(settings));
  },
};
