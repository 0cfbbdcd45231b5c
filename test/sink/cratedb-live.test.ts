// The CrateDB HTTP sink against a real CrateDB: runs only where CRATEDB_URL is
// set (e.g. http://127.0.0.1:4200), since CI has no CrateDB (FACTS.md section
// 5). It proves what the fake can not: the dialect's DDL and upsert run on
// CrateDB, the version guard holds there, a DYNAMIC sub-column fed `42.0`
// comes out DOUBLE so `42.5` fits later, and a type conflict fails one row.
// Optional: CRATEDB_USERNAME, CRATEDB_PASSWORD.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { parseChange } from "../../src/codec/parse-change.ts";
import { type EncodedRow, encodeRow } from "../../src/codec/row.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import type { SinkError } from "../../src/sink/sink-error.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { BASE_MILLIS, type KinesisDynamoSpec, kinesisDynamoRecord } from "../support/fixtures.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available (CI has none); set CRATEDB_URL=http://127.0.0.1:4200 to run this suite";
if (!url) console.log(`cratedb-live.test.ts skipped: ${SKIP_REASON}`);

const FORMAT = cratedb.rowFormat();
function encoded(spec: KinesisDynamoSpec): EncodedRow {
  return encodeRow(parseChange(kinesisDynamoRecord(spec)), FORMAT);
}

const suffix = `${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
const simple: TableName = { schema: undefined, name: `dynacrate_live_${suffix}` };
const composite: TableName = { schema: undefined, name: `dynacrate_live_${suffix}_ck` };
const SIMPLE_KEYS: KeySchema = [{ name: "id", type: "S" }];
const COMPOSITE_KEYS: KeySchema = [
  { name: "pk", type: "S" },
  { name: "sk", type: "N" },
];
const q = cratedb.quoteTable;

// The URL may hold credentials: only its host goes into the suite's name.
const host = url ? new URL(url).host : undefined;

describe.skipIf(!url)(`CrateDB HTTP sink, live (${host ?? `skipped: ${SKIP_REASON}`})`, () => {
  let sink: CrateDbHttpSink;

  beforeAll(() => {
    sink = createCrateDbHttpSink({
      url: url as string,
      username: process.env.CRATEDB_USERNAME,
      password: process.env.CRATEDB_PASSWORD,
      timeoutMs: 20_000,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    });
  });
  afterAll(async () => {
    if (!sink) return;
    for (const table of [simple, composite]) {
      await sink.query({ sql: `DROP VIEW IF EXISTS ${q(table)}`, params: [] });
      await sink.query({ sql: `DROP TABLE IF EXISTS ${q(stateTable(table))}`, params: [] });
    }
    await sink.close();
  });

  /** A primary key lookup on the state table: CrateDB answers it from the latest write, no refresh needed. */
  async function stored(id: string): Promise<Record<string, unknown> | undefined> {
    const rows = await sink.query({
      sql: `SELECT "data", "aux", "deleted", "version" FROM ${q(stateTable(simple))} WHERE "pk"['id'] = ?`,
      params: [id],
    });
    return rows[0];
  }
  /** Through the user's view; the refresh is the test's, to read what was just written (never the sink's). */
  async function live(id: string): Promise<Record<string, unknown>[]> {
    await sink.query({ sql: `REFRESH TABLE ${q(stateTable(simple))}`, params: [] });
    return sink.query({
      sql: `SELECT "pk", "data" FROM ${q(simple)} WHERE "pk"['id'] = ?`,
      params: [id],
    });
  }
  const put = (id: string, image: AttributeMap, millis: number): EncodedRow =>
    encoded({ keys: { id: { S: id } }, newImage: { id: { S: id }, ...image }, millis });

  it("creates the state table and the view, idempotently", async () => {
    await sink.ensureTable(simple, SIMPLE_KEYS);
    await sink.ensureTable(composite, COMPOSITE_KEYS);
    // A second sink runs the DDL again: IF NOT EXISTS / OR REPLACE make that harmless.
    const other = createCrateDbHttpSink({
      url: url as string,
      username: process.env.CRATEDB_USERNAME,
      password: process.env.CRATEDB_PASSWORD,
    });
    await other.ensureTable(simple, SIMPLE_KEYS);
    await other.close();
    const tables = await sink.query<{ table_name: string; table_type: string }>({
      sql: "SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN (?, ?) ORDER BY table_name",
      params: [simple.name, stateTable(simple).name],
    });
    expect(tables).toEqual([
      { table_name: simple.name, table_type: "VIEW" },
      { table_name: stateTable(simple).name, table_type: "BASE TABLE" },
    ]);
  });

  it("inserts, applies a newer change, ignores an older one, and keeps a deleted key out", async () => {
    const t = BASE_MILLIS;
    let result = await sink.write(
      simple,
      [put("k1", { v: { S: "first" } }, t), put("k2", { v: { S: "x" } }, t)],
      SIMPLE_KEYS,
    );
    expect(result).toEqual({
      applied: 2,
      stale: 0,
      duplicates: 0,
      staleUnknown: true,
      failedRows: new Map(),
      routedToAux: 0,
    });
    expect((await stored("k1"))?.data).toEqual({ v: "first" });

    await sink.write(simple, [put("k1", { v: { S: "newer" } }, t + 10)], SIMPLE_KEYS);
    expect((await stored("k1"))?.data).toEqual({ v: "newer" });

    result = await sink.write(simple, [put("k1", { v: { S: "older" } }, t + 5)], SIMPLE_KEYS);
    // CrateDB counts the guarded row as updated; the values stay.
    expect(result.failedRows.size).toBe(0);
    expect((await stored("k1"))?.data).toEqual({ v: "newer" });

    await sink.write(
      simple,
      [encoded({ eventName: "REMOVE", keys: { id: { S: "k2" } }, millis: t + 20 })],
      SIMPLE_KEYS,
    );
    expect(await stored("k2")).toMatchObject({ deleted: true, data: null });
    await sink.write(simple, [put("k2", { v: { S: "late" } }, t + 15)], SIMPLE_KEYS);
    expect(await stored("k2")).toMatchObject({ deleted: true, data: null });

    expect(await live("k1")).toEqual([{ pk: { id: "k1" }, data: { v: "newer" } }]);
    expect(await live("k2")).toEqual([]);
  });

  it("sends numbers as DOUBLE: 42 (written 42.0) and then 42.5 both fit the same column", async () => {
    const t = BASE_MILLIS + 1000;
    const first = await sink.write(simple, [put("n1", { a: { N: "42" } }, t)], SIMPLE_KEYS);
    expect(first.failedRows.size).toBe(0);
    const second = await sink.write(simple, [put("n2", { a: { N: "42.5" } }, t)], SIMPLE_KEYS);
    expect(second.failedRows.size).toBe(0);
    expect((await stored("n1"))?.data).toEqual({ a: 42 });
    expect((await stored("n2"))?.data).toEqual({ a: 42.5 });
    const [column] = await sink.query<{ data_type: string }>({
      sql: "SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
      params: [stateTable(simple).name, "data['a']"],
    });
    expect(column?.data_type).toBe("double precision");
  });

  // What CrateDB 6.4.3 was seen to do: a value that can not be cast to an
  // existing sub-column's type fails the WHOLE bulk request (4000), a conflict
  // in a sub-column the same bulk adds fails just that row (-2). The sink
  // routes such values to `aux` before sending, so neither happens.
  it("stores a value whose type differs from its column's in aux, for that row; the other rows as usual", async () => {
    const t = BASE_MILLIS + 2000;
    const bad = put("c1", { a: { S: "not a number" }, b: { S: "kept" } }, t);
    const good = put("c2", { a: { N: "7" } }, t);
    const result = await sink.write(simple, [bad, good], SIMPLE_KEYS);
    expect(result.failedRows.size).toBe(0);
    expect(result.routedToAux).toBe(1);
    expect(await stored("c1")).toMatchObject({
      data: { b: "kept" },
      aux: { a: "not a number" },
    });
    expect((await stored("c2"))?.data).toEqual({ a: 7 });
  });

  it("routes rows of one bulk that add a new attribute with different types: the first type takes the column", async () => {
    const t = BASE_MILLIS + 3000;
    const rows = [
      put("r1", { fresh: { N: "1" } }, t),
      put("r2", { fresh: { S: "text" } }, t),
      put("r3", { other: { BOOL: true } }, t),
    ];
    const result = await sink.write(simple, rows, SIMPLE_KEYS);
    expect(result.applied).toBe(3);
    expect(result.failedRows.size).toBe(0);
    expect((await stored("r1"))?.data).toEqual({ fresh: 1 });
    expect(await stored("r2")).toMatchObject({ data: {}, aux: { fresh: "text" } });
  });

  it("reports a key attribute the STRICT pk does not have as -2 for that row only", async () => {
    const t = BASE_MILLIS + 4000;
    const extra = { ...put("s2", {}, t), pk: '{"id":"s2","extra":"x"}' };
    const result = await sink.write(simple, [put("s1", {}, t), extra], SIMPLE_KEYS);
    expect(result.applied).toBe(1);
    expect(result.failedRows.get(1)).toMatchObject({ kind: "rejected", code: "4000" });
    expect(result.failedRows.get(1)?.message).toMatch(/strict object `pk`/);
  });

  it("keys on a composite primary key (pk:S, sk:N)", async () => {
    const t = BASE_MILLIS;
    const row = (sk: string, v: string, millis: number) =>
      encoded({
        keys: { pk: { S: "p" }, sk: { N: sk } },
        newImage: { pk: { S: "p" }, sk: { N: sk }, v: { S: v } },
        millis,
      });
    const result = await sink.write(
      composite,
      [row("1", "one", t), row("2", "two", t)],
      COMPOSITE_KEYS,
    );
    expect(result.applied).toBe(2);
    await sink.write(
      composite,
      [row("1", "one, newer", t + 1), row("2", "two, older", t - 1)],
      COMPOSITE_KEYS,
    );
    // A lookup by the whole primary key sees a write at once: the N key is its text in pk_text.
    const rows = await sink.query({
      sql: `SELECT "data" FROM ${q(stateTable(composite))} WHERE "pk"['pk'] = ? AND "pk_text"['sk'] = ?`,
      params: ["p", "1"],
    });
    expect(rows).toEqual([{ data: { v: "one, newer" } }]);
    const [two] = await sink.query({
      sql: `SELECT "data" FROM ${q(stateTable(composite))} WHERE "pk"['pk'] = ? AND "pk_text"['sk'] = ?`,
      params: ["p", "2"],
    });
    expect(two).toEqual({ data: { v: "two" } });
  });

  it("classifies CrateDB's whole-request errors: unknown table is fatal (4041), bad SQL rejected (4000)", async () => {
    const missing = await sink
      .write(
        { schema: undefined, name: `dynacrate_missing_${suffix}` },
        [put("x", {}, BASE_MILLIS)],
        SIMPLE_KEYS,
      )
      .catch((e: unknown) => e as SinkError);
    expect(missing).toMatchObject({ kind: "fatal", code: "4041" });
    const bad = await sink
      .query({ sql: "SELEC 1", params: [] })
      .catch((e: unknown) => e as SinkError);
    expect(bad).toMatchObject({ kind: "rejected", code: "4000" });
  });
});
