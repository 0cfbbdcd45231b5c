// The dialect matrix: every statement each dialect can emit, for every kind of
// key schema and table name, checked for shape, parameters and quoting; each
// CrateDB statement must pass CrateDB's own grammar (@cratedb/cratedb-sqlparse).

import { readdirSync, readFileSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { sqlparse } from "@cratedb/cratedb-sqlparse";
import { describe, expect, it } from "vitest";
import { encodeRow, parseChange } from "../../src/codec/index.ts";
import { type KeySchema, parseKeySchema } from "../../src/codec/key-schema.ts";
import { ConfigError } from "../../src/errors.ts";
import { createCheckpointTable } from "../../src/sql/checkpoints.ts";
import { auxText } from "../../src/sql/cratedb-aux-text.ts";
import {
  cratedb,
  type Dialect,
  parseTableName,
  postgresql,
  RawJson,
  type Statement,
  stateTable,
  type TableName,
} from "../../src/sql/index.ts";
import { createLoadProgressTable } from "../../src/sql/load-progress.ts";
import { createPurgeTable } from "../../src/sql/purges.ts";
import { newerVersion } from "../../src/sql/version-order.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";

const NOW = new Date("2024-07-12T10:00:00.123Z");

const KEY_SCHEMAS: Record<string, KeySchema> = {
  "id:S": parseKeySchema("id:S"),
  "id:N": parseKeySchema("id:N"),
  "id:B": parseKeySchema("id:B"),
  "pk:S,sk:N": parseKeySchema("pk:S,sk:N"),
  "device:B,ts:S": parseKeySchema("device:B,ts:S"),
  "odd key names": [
    { name: 'it\'s "odd"', type: "S" },
    { name: "a.b[0]", type: "N" },
  ],
};

const KEY_TYPES = { cratedb: { S: "TEXT", N: "DOUBLE PRECISION", B: "TEXT" } } as const;

/** Table names as users write them, the parts they mean, and whether CrateDB takes them. */
const TABLE_NAMES: { text: string; schema?: string; name: string; crate: boolean }[] = [
  { text: "foo", name: "foo", crate: true },
  { text: "select", name: "select", crate: true },
  { text: "Foo", name: "Foo", crate: true },
  { text: "my-table", name: "my-table", crate: true },
  { text: "1abc", name: "1abc", crate: true },
  { text: "data", name: "data", crate: true },
  { text: "tbl$1", name: "tbl$1", crate: true },
  { text: "Tabellé_ü_表", name: "Tabellé_ü_表", crate: true },
  { text: "from.dynamodb", schema: "from", name: "dynamodb", crate: true },
  { text: '"My Schema".t', schema: "My Schema", name: "t", crate: false },
  { text: '"Quoted"', name: "Quoted", crate: true },
  { text: 'we"ird', name: 'we"ird', crate: false },
  { text: '"we""ird"', name: 'we"ird', crate: false },
  { text: '"a.b".c', schema: "a.b", name: "c", crate: false },
  { text: '"a.b"', name: "a.b", crate: false },
  { text: "_t", name: "_t", crate: false },
  { text: "doc._t", schema: "doc", name: "_t", crate: false },
  { text: "with space", name: "with space", crate: false },
  { text: "a/b", name: "a/b", crate: false },
];

const DIALECTS: Dialect[] = [cratedb, postgresql];

/** Every statement a dialect emits for a table and key schema (with one row of each kind to upsert). */
function allStatements(dialect: Dialect, table: TableName, keySchema: KeySchema): Statement[] {
  const upsert = dialect.upsert(table, sampleRows(keySchema), keySchema, NOW);
  return [
    ...dialect.createTable(table, keySchema),
    { sql: upsert.sql, params: upsert.kind === "single" ? upsert.params : [] },
    dialect.purgeTombstones(table, NOW),
    dialect.selectLive(table),
  ];
}

function sampleKey(keySchema: KeySchema) {
  const sample = { S: { S: "k'1" }, N: { N: "42.5" }, B: { B: "AAEC" } } as const;
  return Object.fromEntries(keySchema.map((k) => [k.name, sample[k.type]]));
}

function sampleRows(keySchema: KeySchema) {
  const keys = sampleKey(keySchema);
  const live = parseChange(
    kinesisDynamoRecord({
      keys,
      newImage: { ...keys, n: { N: "1" }, l: { L: [{ S: "a" }, { N: "2" }] } },
    }),
  );
  const gone = parseChange(
    kinesisDynamoRecord({ eventName: "REMOVE", keys, micros: 1_720_742_633_012_999 }),
  );
  return [encodeRow(live, cratedb.rowFormat()), encodeRow(gone, cratedb.rowFormat())];
}

/** The identifiers in quotes in a SQL text, unescaped. */
function quotedIdentifiers(sql: string): string[] {
  return [...sql.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => (m[1] as string).replaceAll('""', '"'));
}

describe.each(DIALECTS.map((d) => [d.name, d] as const))("dialect %s", (_, dialect) => {
  describe.each(Object.entries(KEY_SCHEMAS))("key schema %s", (_, keySchema) => {
    const table = parseTableName("from.dynamodb");
    const statements = allStatements(dialect, table, keySchema);

    it("creates the state table and the view over it", () => {
      const ddl = dialect.createTable(table, keySchema).map((s) => s.sql);
      const state = dialect.quoteTable(stateTable(table));
      expect(ddl.some((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${state} (`))).toBe(true);
      expect(ddl).toContain(
        `CREATE OR REPLACE VIEW ${dialect.quoteTable(table)} AS SELECT ${dialect.viewColumns
          .map((c) => (dialect.name === "cratedb" ? `"${c}"` : c))
          .join(
            ", ",
          )} FROM ${state} WHERE NOT ${dialect.name === "cratedb" ? '"deleted"' : "deleted"}`,
      );
      for (const s of dialect.createTable(table, keySchema)) expect(s.params).toEqual([]);
    });

    if (dialect.name === "cratedb") {
      it("keys S and B attributes in pk, N attributes by their text in pk_text (a DOUBLE in pk)", () => {
        const create = dialect.createTable(table, keySchema)[0]?.sql ?? "";
        const quote = dialect.quoteIdentifier;
        const columns = keySchema
          .map(
            (k) =>
              `${quote(k.name)} ${KEY_TYPES.cratedb[k.type]}${k.type === "N" ? "" : " PRIMARY KEY"}`,
          )
          .join(", ");
        const text = keySchema
          .map((k) => `${quote(k.name)} TEXT${k.type === "N" ? " PRIMARY KEY" : ""}`)
          .join(", ");
        expect(create).toContain(`"pk" OBJECT(STRICT) AS (${columns})`);
        expect(create).toContain(`"pk_text" OBJECT(STRICT) AS (${text})`);
        expect(create).toContain('"data" OBJECT(STRICT)');
        expect(create).toContain('"aux" OBJECT(IGNORED)');
      });

      it("writes a batch as one bulk INSERT ... ON CONFLICT with a parameter row per row", () => {
        const rows = sampleRows(keySchema);
        const write = dialect.upsert(table, rows, keySchema, NOW);
        expect(write.kind).toBe("bulk");
        if (write.kind !== "bulk") return;
        expect(write.sql.match(/\?/g)?.length).toBe(8);
        const conflict = keySchema
          .map((k) => `"${k.type === "N" ? "pk_text" : "pk"}"['${k.name.replaceAll("'", "''")}']`)
          .join(", ");
        expect(write.sql).toContain(`ON CONFLICT (${conflict}) DO UPDATE SET`);
        expect(write.bulkArgs).toHaveLength(2);
        const [live, gone] = write.bulkArgs as unknown[][];
        expect(live?.[0]).toEqual(new RawJson(rows[0]?.pk as string));
        // pk_text: the codec's pk holds every key value as text.
        expect(live?.[1]).toEqual(new RawJson(rows[0]?.pk as string));
        expect(live?.[2]).toEqual(new RawJson(rows[0]?.data as string));
        expect(live?.[3]).toEqual(new RawJson(rows[0]?.aux as string));
        // aux_text: each member of aux as text (sql/cratedb-aux-text.ts).
        expect(live?.[4]).toEqual(new RawJson(auxText(rows[0]?.aux as string) as string));
        expect(live?.slice(5)).toEqual([false, NOW.getTime(), rows[0]?.version]);
        expect(gone?.slice(2)).toEqual([null, null, null, true, NOW.getTime(), rows[1]?.version]);
      });

      it("passes CrateDB's grammar (sqlparse), every statement", () => {
        for (const s of statements) expect(() => sqlparse(s.sql, true), s.sql).not.toThrow();
      });
    } else {
      it("writes a batch as one statement whose rows travel in one JSON parameter", () => {
        const rows = sampleRows(keySchema);
        const write = dialect.upsert(table, rows, keySchema, NOW);
        expect(write.kind).toBe("single");
        if (write.kind !== "single") return;
        expect(write.rows).toBe(2);
        expect(write.params).toHaveLength(2);
        expect(write.params[1]).toBe(NOW.toISOString());
        expect(write.sql.match(/\$\d/g)).toEqual(["$1", "$2"]);
        expect(JSON.parse(write.params[0] as string)).toEqual(
          rows.map((r) => ({
            k: r.key,
            pk: JSON.parse(r.pk),
            data: r.data === null ? null : JSON.parse(r.data),
            aux: r.aux === null ? null : JSON.parse(r.aux),
            version: r.version,
            deleted: r.deleted,
          })),
        );
        expect(write.sql).toContain(`WHERE ${newerVersion("excluded.version", "t.version")}`);
      });

      it('compares versions byte-wise (COLLATE "C")', () => {
        expect(
          dialect
            .createTable(table, keySchema)
            .map((s) => s.sql)
            .join("\n"),
        ).toContain('version text COLLATE "C"');
      });
    }

    it("purges tombstones older than a time given as a parameter", () => {
      const purge = dialect.purgeTombstones(table, NOW);
      expect(purge.sql).toMatch(
        /^DELETE FROM .+ WHERE "?deleted"? AND "?updated_at"? < (\?|\$1::timestamptz)$/,
      );
      expect(purge.params).toEqual([
        dialect.name === "cratedb" ? NOW.getTime() : NOW.toISOString(),
      ]);
    });

    it("selects the live rows from the view", () => {
      expect(dialect.selectLive(table)).toEqual({
        sql: `SELECT ${dialect.name === "cratedb" ? '"pk", "data", "aux"' : "pk, data, aux"} FROM "from"."dynamodb"`,
        params: [],
      });
    });
  });

  describe("table names", () => {
    it.each(TABLE_NAMES.map((t) => [t.text, t] as const))("%s", (_, t) => {
      const table = parseTableName(t.text);
      expect(table).toEqual({ schema: t.schema, name: t.name });
      if (dialect.name === "cratedb" && !t.crate) {
        for (const build of [
          () => dialect.createTable(table, KEY_SCHEMAS["id:S"]),
          () => dialect.upsert(table, [], KEY_SCHEMAS["id:S"], NOW),
          () => dialect.purgeTombstones(table, NOW),
          () => dialect.selectLive(table),
        ]) {
          expect(build).toThrow(ConfigError);
        }
        return;
      }
      const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
      const relation = t.schema ? `${quoted(t.schema)}.${quoted(t.name)}` : quoted(t.name);
      const state = t.schema
        ? `${quoted(t.schema)}.${quoted(`${t.name}__state`)}`
        : quoted(`${t.name}__state`);
      expect(dialect.quoteTable(table)).toBe(relation);
      for (const s of allStatements(dialect, table, KEY_SCHEMAS["id:S"] as KeySchema)) {
        if (s.sql.startsWith("CREATE SCHEMA")) {
          expect(s.sql).toBe(`CREATE SCHEMA IF NOT EXISTS ${quoted(t.schema as string)}`);
          continue;
        }
        // Each part of the name is one quoted identifier, whatever it holds.
        expect(s.sql.includes(relation) || s.sql.includes(state), s.sql).toBe(true);
        const identifiers = quotedIdentifiers(s.sql);
        expect(
          identifiers.some((i) => i === t.name || i === `${t.name}__state`),
          s.sql,
        ).toBe(true);
        if (t.schema) expect(identifiers).toContain(t.schema);
        if (dialect.name === "cratedb") expect(() => sqlparse(s.sql, true), s.sql).not.toThrow();
      }
    });

    it("rejects names that can not be parsed", () => {
      for (const text of ["a.b.c", "a.b.c.d", "", "a..b", '"unterminated', '"a"b', "a."]) {
        expect(() => parseTableName(text), text).toThrow(ConfigError);
      }
    });
  });
});

describe("row formats", () => {
  it("CrateDB writes numbers as doubles, keys as exact text for the sink to check; PostgreSQL keeps them exact", () => {
    expect(cratedb.rowFormat()).toEqual({ numbers: "double", keyNumbers: "string" });
    expect(cratedb.rowFormat("exact")).toEqual({ numbers: "string", keyNumbers: "string" });
    expect(cratedb.rowFormat("string")).toEqual({ numbers: "string", keyNumbers: "string" });
    const pg = { nulRefusedBy: "PostgreSQL" };
    expect(postgresql.rowFormat()).toEqual({ numbers: "exact", keyNumbers: "exact", ...pg });
    expect(postgresql.rowFormat("double")).toEqual({
      numbers: "exact",
      keyNumbers: "exact",
      ...pg,
    });
    expect(postgresql.rowFormat("string")).toEqual({
      numbers: "string",
      keyNumbers: "exact",
      ...pg,
    });
  });
});

describe("configuration errors", () => {
  it("CrateDB needs the key schema to declare its primary key", () => {
    const table = parseTableName("foo");
    expect(() => cratedb.createTable(table, undefined)).toThrow(/--key id:S/);
    expect(() => cratedb.createTable(table, [])).toThrow(ConfigError);
    expect(() => cratedb.upsert(table, [], undefined, NOW)).toThrow(ConfigError);
    expect(postgresql.createTable(table, undefined).length).toBeGreaterThan(0);
  });

  it("rejects key schemas DynamoDB can not have", () => {
    for (const text of ["id", "id:X", ":S", "id:S,id:N", "a:S,b:S,c:S", "id:M"]) {
      expect(() => parseKeySchema(text), text).toThrow(ConfigError);
    }
    expect(parseKeySchema(" id : s , ts:n")).toEqual([
      { name: "id", type: "S" },
      { name: "ts", type: "N" },
    ]);
  });

  it("rejects identifiers with NUL in both dialects, and names PostgreSQL would truncate", () => {
    for (const dialect of DIALECTS) {
      expect(() => dialect.quoteIdentifier("a\u0000b")).toThrow(ConfigError);
      expect(() =>
        dialect.createTable(parseTableName("t"), [{ name: "a\u0000", type: "S" }]).map((s) => s),
      ).toSatisfy((fn: () => unknown) => {
        try {
          fn();
          return dialect.name === "postgresql"; // PostgreSQL does not name key attributes in SQL
        } catch (error) {
          return error instanceof ConfigError;
        }
      });
    }
    // 63 bytes is PostgreSQL's limit; the state table adds "__state", the index "__tombstones".
    expect(() => postgresql.createTable(parseTableName("x".repeat(51)), undefined)).not.toThrow();
    expect(() => postgresql.createTable(parseTableName("x".repeat(52)), undefined)).toThrow(
      /longer than PostgreSQL's 63 bytes/,
    );
    expect(() => postgresql.selectLive(parseTableName("é".repeat(32)))).toThrow(ConfigError);
  });
});

describe("the dialect decides what differs per database", () => {
  it("no module outside src/sql branches on a dialect's name", () => {
    const root = fileURLToPath(new URL("../../src/", import.meta.url));
    const offenders = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts") && !file.startsWith(`sql${sep}`))
      .filter((file) =>
        /dialect\.name\b|\.name === "(cratedb|postgresql)"/.test(
          readFileSync(join(root, file), "utf8"),
        ),
      );
    expect(offenders).toEqual([]);
  });
});

describe("tables that keep their data through a node's loss", () => {
  it("every table dynacrate creates on CrateDB says number_of_replicas '0-1' (one replica once there is a second node); PostgreSQL's none", () => {
    const table = parseTableName("orders");
    const keys = KEY_SCHEMAS["id:S"] as KeySchema;
    const creates = (dialect: Dialect) => [
      dialect.createTable(table, keys)[0]?.sql ?? "",
      ...dialect.createDeadLetterTable(parseTableName("letters")).map((s) => s.sql),
      createCheckpointTable(dialect).sql,
      createPurgeTable(dialect).sql,
      createLoadProgressTable(dialect).sql,
    ];
    for (const sql of creates(cratedb)) {
      expect(sql, sql).toMatch(/\) WITH \(number_of_replicas = '0-1'\)$/);
      expect(() => sqlparse(sql, true), sql).not.toThrow();
    }
    for (const sql of creates(postgresql)) expect(sql, sql).not.toContain("WITH (");
  });
});
