// Values never enter SQL text: attribute names and values full of quotes,
// brackets, semicolons and backslashes travel in parameters (CrateDB
// bulk_args, PostgreSQL's one JSON parameter), and identifiers go through the
// dialect's one quoting function.

import { sqlparse } from "@cratedb/cratedb-sqlparse";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AttributeMap, encodeRow, parseChange } from "../../src/codec/index.ts";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import {
  cratedb,
  type Dialect,
  parseTableName,
  postgresql,
  quoteCrateIdentifier,
  quotePostgresIdentifier,
  RawJson,
  type TableName,
} from "../../src/sql/index.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";

const SEED = Number(process.env.FC_SEED ?? 42);
const NOW = new Date("2024-07-12T10:00:00Z");
const TABLE = parseTableName("foo");
const KEY: KeySchema = [{ name: "id", type: "S" }];

const NASTY = [
  "'; DROP TABLE foo; --",
  '"); DELETE FROM "foo__state"; --',
  "Robert'); DROP TABLE Students;--",
  "\\'; SELECT 1; --",
  "]['pk'] = 1; --",
  "$1::text; --",
  "?, ?); --",
  "/* comment */",
  "\u0000\u0001\u001f",
  "Räuber 🚀 \u2028",
  "E'\\x41'",
  "$$dollar$$",
];

function row(dialect: Dialect, keys: AttributeMap, image: AttributeMap) {
  return encodeRow(
    parseChange(kinesisDynamoRecord({ keys, newImage: { ...keys, ...image } })),
    dialect.rowFormat(),
  );
}

/** Every string in a decoded payload, member names included. */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([name, member]) => [name, ...stringsIn(member)]);
  }
  return [];
}

/** The text a statement sends: SQL only, whatever the rows hold. */
function upsertSql(
  dialect: Dialect,
  rows: ReturnType<typeof row>[],
  keySchema = KEY,
  table: TableName = TABLE,
) {
  return dialect.upsert(table, rows, keySchema, NOW);
}

describe.each([cratedb, postgresql].map((d) => [d.name, d] as const))("%s", (_, dialect) => {
  const emptySql = upsertSql(dialect, []).sql;

  it("sends the same SQL text whatever the rows hold; values travel as parameters", () => {
    const rows = NASTY.map((text, i) =>
      row(
        dialect,
        { id: { S: `${text}#${i}` } },
        {
          [text]: { S: text },
          list: { L: [{ S: text }, { N: "1" }] },
          m: { M: { [text]: { SS: [text] } } },
        },
      ),
    );
    const write = upsertSql(dialect, rows);
    expect(write.sql).toBe(emptySql);
    for (const text of NASTY) expect(write.sql).not.toContain(text);
    // ... and arrive intact: decode what is sent, as CrateDB / PostgreSQL would.
    const sent =
      write.kind === "bulk"
        ? write.bulkArgs.map((args) =>
            args.map((v) => (v instanceof RawJson ? JSON.parse(v.json) : v)),
          )
        : JSON.parse(write.params[0] as string);
    const strings = stringsIn(sent);
    for (const [i, text] of NASTY.entries()) {
      expect(strings).toContain(text);
      expect(strings).toContain(`${text}#${i}`);
    }
  });

  it("sends the same SQL text for any attribute names and values (property)", () => {
    console.log(`injection property (${dialect.name}): FC_SEED=${SEED}`);
    const text = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom(...NASTY));
    const image = fc.dictionary(
      text.filter((n) => n.length > 0 && n !== "id" && n !== "__proto__"),
      fc.oneof(
        text.map((S) => ({ S })),
        fc.array(text, { minLength: 1, maxLength: 3 }).map((SS) => ({ SS: [...new Set(SS)] })),
        text.map((S) => ({ L: [{ S }, { BOOL: true }] })),
      ),
      { maxKeys: 5, noNullPrototype: true },
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            text.filter((t) => t.length > 0),
            image,
          ),
          { maxLength: 4 },
        ),
        (items) => {
          const rows = items.map(([id, img]) =>
            row(dialect, { id: { S: id } }, img as AttributeMap),
          );
          expect(upsertSql(dialect, rows).sql).toBe(emptySql);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('quotes identifiers with its one quoting function: " doubled, nothing else touched', () => {
    const quote = dialect.name === "cratedb" ? quoteCrateIdentifier : quotePostgresIdentifier;
    expect(dialect.quoteIdentifier).toBe(quote);
    fc.assert(
      fc.property(
        fc
          .string({ unit: "binary", minLength: 1, maxLength: 20 })
          .filter((s) => !s.includes("\u0000")),
        (name) => {
          const quoted = quote(name);
          expect(quoted.startsWith('"') && quoted.endsWith('"')).toBe(true);
          const inner = quoted.slice(1, -1);
          // every " inside is doubled, so the identifier can not end early
          expect(inner.replaceAll('""', "")).not.toContain('"');
          expect(inner.replaceAll('""', '"')).toBe(name);
          if (dialect.name === "cratedb")
            expect(() => sqlparse(`SELECT ${quoted} FROM t`, true)).not.toThrow();
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it("quotes key attribute names that are identifiers (DDL) or subscripts (ON CONFLICT)", () => {
    const keySchema: KeySchema = [
      { name: `k'"];--`, type: "S" },
      { name: "sk\\", type: "N" },
    ];
    const statements = [
      ...dialect.createTable(TABLE, keySchema).map((s) => s.sql),
      upsertSql(dialect, [], keySchema).sql,
    ];
    if (dialect.name === "cratedb") {
      expect(statements[0]).toContain(`("k'""];--" TEXT PRIMARY KEY, "sk\\" DOUBLE PRECISION)`);
      expect(statements[0]).toContain(
        `"pk_text" OBJECT(STRICT) AS ("k'""];--" TEXT, "sk\\" TEXT PRIMARY KEY)`,
      );
      expect(statements.at(-1)).toContain(`ON CONFLICT ("pk"['k''"];--'], "pk_text"['sk\\'])`);
      for (const sql of statements) expect(() => sqlparse(sql, true), sql).not.toThrow();
    } else {
      // PostgreSQL's pk is one jsonb column: key names never enter its SQL.
      for (const sql of statements) expect(sql).not.toContain("k'");
    }
  });
});

describe("table and schema names in CrateDB statements", () => {
  it("passes CrateDB's grammar for any name CrateDB accepts, and refuses the others with ConfigError", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", minLength: 1, maxLength: 16 }),
        fc.option(fc.string({ minLength: 1, maxLength: 8 })),
        (name, schema) => {
          const table = { schema: schema ?? undefined, name };
          const refused = [name, schema ?? "x"].some(
            (part) =>
              /[\\/*?"<>|\s,#.]/.test(part) || part.includes("\u0000") || part.startsWith("_"),
          );
          let statements: string[];
          try {
            statements = [
              ...cratedb.createTable(table, KEY).map((s) => s.sql),
              cratedb.upsert(table, [], KEY, NOW).sql,
              cratedb.purgeTombstones(table, NOW).sql,
              cratedb.selectLive(table).sql,
            ];
          } catch (error) {
            expect(refused, `${JSON.stringify(table)}: ${String(error)}`).toBe(true);
            expect((error as Error).name).toBe("ConfigError");
            return;
          }
          expect(refused, JSON.stringify(table)).toBe(false);
          for (const sql of statements) expect(() => sqlparse(sql, true), sql).not.toThrow();
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });
});
