// Holds the codec and the CrateDB dialect to the conformance vectors of the
// reference translator (commons-codec), kept as test data in
// test/fixtures/commons-codec/ (its README says where they come from). Meaning is compared, not text: the
// same pk / data / aux split, the same decoded values, the same operation,
// the same rejections. Where dynacrate differs on purpose, the vector is in
// DEVIATIONS with what we do instead and why, and that is checked too.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type AttributeMap,
  type Change,
  encodeRow,
  itemToNative,
  type NativeValue,
  parseChange,
  type RowFormat,
} from "../../src/codec/index.ts";
import { type KeySchema, keySchemaOf, parseKeySchema } from "../../src/codec/key-schema.ts";
import { DynamoNumber } from "../../src/codec/to-native.ts";
import { ConfigError, DynacrateError, InternalError, RecordError } from "../../src/errors.ts";
import {
  cratedb,
  parseTableName,
  quoteCrateIdentifier,
  stateTable,
  type TableName,
} from "../../src/sql/index.ts";
import { newerVersion } from "../../src/sql/version-order.ts";
import { BASE_MILLIS, keysOf, kinesisDynamoRecord } from "../support/fixtures.ts";
import { decimalKey, type ExactJson, JsonNum, parseExact } from "./exact-json.ts";

const DIR = new URL("../fixtures/commons-codec/", import.meta.url);
/** File -> vector count, as the folder's README states them. */
const FILES = {
  "dynamodb-cases.json": 8,
  "dynamodb-edge-cases.json": 78,
  "dynamodb-aux-cases.json": 35,
} as const;

const EXACT: RowFormat = { numbers: "exact", keyNumbers: "exact" };
const NOW = new Date("2024-07-12T00:00:00Z");

// ---------------------------------------------------------------------------
// The vectors

// biome-ignore lint/suspicious/noExplicitAny: vectors are free-form JSON, checked field by field below.
type Raw = any;

interface Vector {
  /** The vector's name; a name used twice gets ` @<reference test module>`. */
  id: string;
  file: string;
  kind: string;
  /** As JSON.parse reads it: what a consumer of the record sees. */
  raw: Raw;
  /** The same vector with numbers kept as written (the reference's floats: `42.0`). */
  exact: { [name: string]: ExactJson };
}

function loadVectors(): Vector[] {
  const dirPath = fileURLToPath(DIR);
  if (!existsSync(dirPath)) return [];
  const vectors: Vector[] = [];
  for (const file of Object.keys(FILES)) {
    const text = readFileSync(new URL(file, DIR), "utf8");
    const raws = JSON.parse(text) as Raw[];
    const exacts = parseExact(text) as { [name: string]: ExactJson }[];
    raws.forEach((raw, i) => {
      vectors.push({
        id: raw.name,
        file,
        kind: raw.kind,
        raw,
        exact: exacts[i] as { [name: string]: ExactJson },
      });
    });
  }
  const seen = new Map<string, number>();
  for (const v of vectors) seen.set(v.id, (seen.get(v.id) ?? 0) + 1);
  for (const v of vectors) {
    if ((seen.get(v.id) ?? 0) > 1)
      v.id = `${v.raw.name} @${/(test_\w+)\.py/.exec(v.raw.source)?.[1] ?? v.file}`;
  }
  return vectors;
}

const VECTORS = loadVectors();
const byId = (id: string): Vector => {
  const v = VECTORS.find((x) => x.id === id);
  if (!v) throw new Error(`no vector ${id}`);
  return v;
};

// ---------------------------------------------------------------------------
// Running a vector through dynacrate

/**
 * Vectors crafted for the reference omit `ApproximateCreationDateTime`, which
 * every real Kinesis record carries and which dynacrate needs to order changes
 * (it rejects a record without it, see the test below). The harness adds a
 * fixed timestamp to such records.
 */
function completeTimestamp(input: Raw): Raw {
  const d = input?.dynamodb;
  if (typeof d !== "object" || d === null || Array.isArray(d)) return input;
  if (d.SequenceNumber !== undefined || d.ApproximateCreationDateTime !== undefined) return input;
  return { ...input, dynamodb: { ...d, ApproximateCreationDateTime: BASE_MILLIS } };
}

/** The vector about JSON numbers, kept as it is: its deviation is the rejection. */
const JSON_NUMBER_VECTOR = "n_json_number_not_string";

/**
 * Vectors crafted for the reference write some numbers as JSON numbers
 * (`{"N": 1}`, `{"NS": [1, 2]}`), where DynamoDB always writes decimal text;
 * dynacrate rejects them (a JSON number may already be rounded, see the test
 * below). The harness writes such numbers as the text of the same number.
 */
function completeNumbers(input: Raw): Raw {
  const d = input?.dynamodb;
  if (typeof d !== "object" || d === null || Array.isArray(d)) return input;
  const keys = numbersAsText(d.Keys);
  const newImage = numbersAsText(d.NewImage);
  if (keys === d.Keys && newImage === d.NewImage) return input;
  return { ...input, dynamodb: { ...d, Keys: keys, NewImage: newImage } };
}

/** Attribute values with JSON numbers in N and NS written as text; the same object when it has none. */
function numbersAsText(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out = value.map(numbersAsText);
    return out.some((x, i) => x !== value[i]) ? out : value;
  }
  if (typeof value !== "object" || value === null) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    let written = inner;
    if (name === "N" && typeof inner === "number") written = String(inner);
    else if (name === "NS" && Array.isArray(inner) && inner.some((m) => typeof m === "number"))
      written = inner.map((m) => (typeof m === "number" ? String(m) : m));
    else written = numbersAsText(inner);
    if (written !== inner) changed = true;
    out[name] = written;
  }
  return changed ? out : value;
}

function complete(input: Raw, name?: string): Raw {
  const timed = completeTimestamp(input);
  return name === JSON_NUMBER_VECTOR ? timed : completeNumbers(timed);
}

const needsCompletion = (v: Vector): boolean =>
  v.kind === "cdc" && complete(v.raw.input, v.raw.name) !== v.raw.input;

/** What a cdc or full-load vector turns into here: rows and the statements that write them. */
interface Translated {
  table: TableName;
  rows: { pk: ExactJson; data: ExactJson; aux: ExactJson; deleted: boolean; change: Change }[];
  /** The same rows encoded in the CrateDB row format (numbers as floats). */
  crateRows: { pk: ExactJson; data: ExactJson; aux: ExactJson }[];
  upsertSql: string;
  ddl: string[];
}

function parseJson(text: string | null): ExactJson {
  return text === null ? null : parseExact(text);
}

function translateChanges(
  tableName: string,
  changes: Change[],
  keySchema: KeySchema | undefined,
): Translated {
  const table = parseTableName(tableName);
  const rows = changes.map((change) => {
    const row = encodeRow(change, EXACT);
    return {
      pk: parseJson(row.pk),
      data: parseJson(row.data),
      aux: parseJson(row.aux),
      deleted: row.deleted,
      change,
    };
  });
  const crateRows = changes.map((change) => {
    const row = encodeRow(change, cratedb.rowFormat());
    return { pk: parseJson(row.pk), data: parseJson(row.data), aux: parseJson(row.aux) };
  });
  const schema = keySchema ?? (changes[0] ? keySchemaOf(changes[0].keys) : undefined);
  const encoded = changes.map((c) => encodeRow(c, cratedb.rowFormat()));
  const upsertSql = schema ? cratedb.upsert(table, encoded, schema, NOW).sql : "";
  const ddl = schema ? cratedb.createTable(table, schema).map((s) => s.sql) : [];
  return { table, rows, crateRows, upsertSql, ddl };
}

function translateCdc(v: Vector, input: Raw = complete(v.raw.input, v.raw.name)): Translated {
  const change = parseChange(input, { ref: v.id });
  return translateChanges(v.raw.table_name, [change], undefined);
}

function schemaOf(v: Vector): KeySchema | undefined {
  const schema = v.raw.primary_key_schema as { name: string; type: "S" | "N" | "B" }[] | null;
  return schema ? schema.map((k) => ({ name: k.name, type: k.type })) : undefined;
}

/** A full-load item becomes an INSERT built by the fixtures, its Keys picked by the key schema. */
function translateFullLoad(v: Vector): Translated {
  const items = (Array.isArray(v.raw.input) ? v.raw.input : [v.raw.input]).map(
    numbersAsText,
  ) as AttributeMap[];
  const schema = schemaOf(v);
  const changes = items.map((item) =>
    parseChange(
      kinesisDynamoRecord({
        eventName: "INSERT",
        keys: keysOf(
          item,
          (schema ?? []).map((k) => k.name),
        ),
        newImage: item,
      }),
      { ref: v.id },
    ),
  );
  return translateChanges(v.raw.table_name, changes, schema);
}

/** Runs `fn` and returns its DynacrateError; fails on success and on any other error. */
function rejection(fn: () => unknown): DynacrateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DynacrateError) return error;
    throw new Error(`expected a RecordError or ConfigError, got ${String(error)}`, {
      cause: error,
    });
  }
  throw new Error("expected a rejection, but the input was accepted");
}

function expectRecordError(fn: () => unknown, field: string, message?: RegExp): RecordError {
  const error = rejection(fn);
  expect(error).toBeInstanceOf(RecordError);
  expect((error as RecordError).field).toBe(field);
  if (message) expect(error.message).toMatch(message);
  return error as RecordError;
}

function expectConfigError(fn: () => unknown, message?: RegExp): void {
  const error = rejection(fn);
  expect(error).toBeInstanceOf(ConfigError);
  if (message) expect(error.message).toMatch(message);
}

// ---------------------------------------------------------------------------
// Comparing meaning

/** Decodes the vector files' markers: `{"$decimal": ...}`, `{"$float": "nan"}`, bytes as base64. */
function refValue(value: ExactJson): ExactJson | { float: number } {
  if (value && typeof value === "object" && !Array.isArray(value) && !(value instanceof JsonNum)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const inner = value[keys[0] as string] as ExactJson;
      switch (keys[0]) {
        case "$decimal":
          return new JsonNum(inner as string);
        case "$float":
          return {
            float: Number(
              (inner as string)
                .replace(/^(-?)inf(inity)?$/i, "$1Infinity")
                .replace(/^nan$/i, "NaN"),
            ),
          };
        case "$bytes_b64":
        case "$binary_wrapper_b64":
          return inner;
      }
    }
  }
  return value;
}

/** The pointer of a path, for unordered_paths (`/typed/s`, `/0/typed/s`). */
type Path = (string | number)[];

function sameNumber(ours: JsonNum, ref: JsonNum | { float: number }): boolean {
  if (!(ref instanceof JsonNum)) return false; // NaN / Infinity: dynacrate never writes them
  // Exact decimal value of the reference's float literal; the sign of zero counts.
  return (
    decimalKey(ours.text) === decimalKey(ref.text) &&
    ours.text.startsWith("-") === ref.text.startsWith("-")
  );
}

/** Asserts that `ours` means the same as the reference's `ref`; unordered paths compare as multisets. */
function expectSame(ours: ExactJson, refRaw: ExactJson, path: Path, unordered: Set<string>): void {
  const where = `/${path.join("/")}`;
  const ref = refValue(refRaw);
  if (ref instanceof JsonNum || (ref && typeof ref === "object" && "float" in ref)) {
    expect(ours, `${where}: a number`).toBeInstanceOf(JsonNum);
    expect(
      sameNumber(ours as JsonNum, ref as JsonNum | { float: number }),
      `${where}: ours ${(ours as JsonNum).text}, reference ${ref instanceof JsonNum ? ref.text : String((ref as { float: number }).float)}`,
    ).toBe(true);
    return;
  }
  if (Array.isArray(ref)) {
    expect(Array.isArray(ours), `${where}: an array`).toBe(true);
    const list = ours as ExactJson[];
    expect(list.length, `${where}: length`).toBe(ref.length);
    if (unordered.has(where) || unordered.has("*")) {
      // Match each reference member to a distinct member of ours.
      const left = [...list];
      for (const member of ref) {
        const at = left.findIndex((candidate) => {
          try {
            expectSame(candidate, member, [...path, "?"], unordered);
            return true;
          } catch {
            return false;
          }
        });
        expect(
          at,
          `${where}: no member of ours matches ${JSON.stringify(member)}`,
        ).toBeGreaterThanOrEqual(0);
        left.splice(at, 1);
      }
      return;
    }
    ref.forEach((member, i) => {
      expectSame(list[i] as ExactJson, member as ExactJson, [...path, i], unordered);
    });
    return;
  }
  if (ref !== null && typeof ref === "object") {
    expect(
      ours !== null && typeof ours === "object" && !Array.isArray(ours),
      `${where}: an object`,
    ).toBe(true);
    const obj = ours as { [name: string]: ExactJson };
    expect(Object.keys(obj).sort(), `${where}: attribute names`).toEqual(Object.keys(ref).sort());
    for (const name of Object.keys(ref)) {
      expectSame(
        obj[name] as ExactJson,
        (ref as { [name: string]: ExactJson })[name] as ExactJson,
        [...path, name],
        unordered,
      );
    }
    return;
  }
  expect(ours, where).toEqual(ref);
}

/** A native value (itemToNative) as ExactJson, numbers keeping their exact text. */
function nativeToExact(value: NativeValue): ExactJson {
  if (value instanceof DynamoNumber) return new JsonNum(value.value);
  if (Array.isArray(value)) return value.map(nativeToExact);
  if (value !== null && typeof value === "object") {
    const out: { [name: string]: ExactJson } = {};
    for (const [name, member] of Object.entries(value)) out[name] = nativeToExact(member);
    return out;
  }
  return value;
}

/** The relation a reference statement writes, as CrateDB reads it (unquoted parts fold to lower case). */
function referenceRelation(sql: string): string[] {
  const m =
    /^(?:INSERT INTO|UPDATE|DELETE FROM) ((?:"(?:[^"]|"")*"|[^\s"]+)(?:\.(?:"(?:[^"]|"")*"|[^\s".]+))*)/.exec(
      sql,
    );
  if (!m) throw new Error(`no relation in ${sql}`);
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^."]+)/g;
  for (const part of (m[1] as string).matchAll(re)) {
    parts.push(
      part[1] !== undefined ? part[1].replaceAll('""', '"') : (part[2] as string).toLowerCase(),
    );
  }
  return parts;
}

function unorderedPaths(v: Vector): Set<string> {
  // Our layout names the reference's `typed` `data` and `untyped` `aux`.
  return new Set(
    ((v.raw.unordered_paths ?? []) as string[]).map((p) =>
      p.replace(/\/typed(?=\/|$)/, "/data").replace(/\/untyped(?=\/|$)/, "/aux"),
    ),
  );
}

/** The statement kind of a reference SQL text, and the row we must write for it. */
function expectOperation(referenceSql: string, row: Translated["rows"][number]): void {
  if (referenceSql.startsWith("DELETE")) {
    expect(row.deleted, "DELETE -> a tombstone").toBe(true);
    expect(row.data, "a tombstone has no data").toBeNull();
  } else {
    expect(referenceSql).toMatch(/^(INSERT INTO|UPDATE) /);
    expect(row.deleted, "INSERT / UPDATE -> a live row").toBe(false);
  }
}

/** Compares rows; `batch`: the reference's params are a list (full load), its paths start with the index. */
function expectRows(v: Vector, t: Translated, expected: ExactJson[], batch: boolean): void {
  expect(t.rows.length, "rows").toBe(expected.length);
  const unordered = unorderedPaths(v);
  t.rows.forEach((row, i) => {
    const ref = expected[i] as { [name: string]: ExactJson };
    const base: Path = batch ? [i] : [];
    expectOperation(v.raw.expected_sql, row);
    expectSame(row.pk, ref.pk as ExactJson, [...base, "pk"], unordered);
    if (!row.deleted) {
      // DELETE ... WHERE pk=:pk reads only pk: the reference's other params are unused.
      expectSame(row.data, ref.typed as ExactJson, [...base, "data"], unordered);
      expectSame(row.aux, ref.untyped as ExactJson, [...base, "aux"], unordered);
    }
  });
  // The relation: what the reference writes is what our view shows, our state table beside it.
  const relation = referenceRelation(v.raw.expected_sql);
  const ours = t.table.schema ? [t.table.schema, t.table.name] : [t.table.name];
  expect(ours, "table").toEqual(relation);
  if (t.upsertSql) expect(t.upsertSql).toContain(cratedb.quoteTable(stateTable(t.table)));
}

/** Column clauses of a CrateDB CREATE TABLE, normalised: identifiers unquoted, STRING = TEXT. */
function ddlClauses(sql: string): {
  table: string;
  pk: string[];
  data: string | undefined;
  aux: boolean;
} {
  const plain = sql
    .replace(/"((?:[^"]|"")*)"/g, (_, name: string) => name.replaceAll('""', '"'))
    .replace(/\bSTRING\b/g, "TEXT");
  const table = /^CREATE TABLE IF NOT EXISTS (\S+) \(/.exec(plain)?.[1] ?? "";
  const pk = /\bpk OBJECT\(STRICT\) AS \(([^)]*)\)/.exec(plain)?.[1];
  return {
    table,
    pk: pk ? pk.split(",").map((c) => c.trim()) : [],
    data: /[(,] ?data OBJECT\((DYNAMIC|STRICT)\)/.exec(plain)?.[1],
    aux: /[(,] ?aux OBJECT\(IGNORED\)/.test(plain),
  };
}

/** Our DDL has the reference's pk / data / aux clauses (plus our own columns), and a view under its name. */
function expectSameDdl(referenceDdl: string, ours: string[], table: TableName): void {
  const ref = ddlClauses(referenceDdl);
  const create = ours.find((s) => s.startsWith("CREATE TABLE"));
  expect(create, "a CREATE TABLE").toBeDefined();
  const our = ddlClauses(create as string);
  expect(new Set(our.pk), "pk clauses").toEqual(new Set(ref.pk));
  // A deliberate deviation: the reference's `data` is DYNAMIC; ours is STRICT,
  // since dynacrate declares every sub-column before a row needs it and a row
  // that would add one while CrateDB writes it must be refused (G11).
  expect(ref.data, "the reference's data OBJECT(DYNAMIC)").toBe("DYNAMIC");
  expect(our.data, "our data OBJECT(STRICT)").toBe("STRICT");
  expect(our.aux && ref.aux, "aux OBJECT(IGNORED)").toBe(true);
  const view = ours.find((s) => s.startsWith("CREATE OR REPLACE VIEW"));
  // The view adds pk_text (the key as exact text, G12) and aux_text (aux's
  // values as text, to filter by, G11) to the reference's columns.
  expect(view).toContain(
    `VIEW ${cratedb.quoteTable(table)} AS SELECT "pk", "pk_text", "data", "aux", "aux_text" FROM`,
  );
  expect(ref.table.split(".").at(-1)).toBe(table.name);
}

/** Runs a `deserialize` / `decode_record` input as an item attribute and an image. */
function expectDeserialize(v: Vector): void {
  const input = refInput(v.raw.input);
  // `observed`: what the reference returned where its test asserts nothing more.
  const expected = (
    v.raw.expected === null && "observed" in v.raw ? v.exact.observed : v.exact.expected
  ) as ExactJson;
  const unordered = new Set<string>(v.raw.order_insensitive || isSetMarker(expected) ? ["*"] : []);
  const ref = isSetMarker(expected)
    ? ((expected as { $set: ExactJson }).$set as ExactJson)
    : expected;
  // itemToNative on an image holding the value
  const native = itemToNative({ v: input } as AttributeMap).v as NativeValue;
  expectSame(nativeToExact(native), ref, [], unordered);
  // encodeRow on a change whose image holds the value: data.v is the same
  const t = translateChanges(
    "foo",
    [
      parseChange(
        kinesisDynamoRecord({ keys: { k: { S: "key" } }, newImage: { k: { S: "key" }, v: input } }),
      ),
    ],
    undefined,
  );
  const row = t.rows[0] as Translated["rows"][number];
  const data = row.data as { [n: string]: ExactJson };
  const written = ("v" in data ? data.v : (row.aux as { [n: string]: ExactJson }).v) as ExactJson;
  expectSame(written, ref, [], unordered);
}

function isSetMarker(value: ExactJson): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "$set" in value;
}

/** Inputs hold Python bytes as `{"$bytes_b64": ...}`; on the wire they are base64 text. */
function refInput(value: Raw): Raw {
  if (Array.isArray(value)) return value.map(refInput);
  if (value !== null && typeof value === "object") {
    if (Object.keys(value).length === 1 && typeof value.$bytes_b64 === "string")
      return value.$bytes_b64;
    return Object.fromEntries(Object.entries(value).map(([k, member]) => [k, refInput(member)]));
  }
  return value;
}

// `error-other` vectors call a reference function directly; each maps to the
// dynacrate entry point that takes the same input.
const ERROR_CALLS: Record<
  string,
  { ours: string; run: () => unknown; error: typeof RecordError | typeof ConfigError }
> = {
  sql_ddl_failure: {
    ours: "cratedb.createTable without a key schema",
    run: () => cratedb.createTable(parseTableName("foo"), undefined),
    error: ConfigError,
  },
  unicode_throws_error: {
    ours: "an image attribute {B: 'é'}",
    run: () => encodeImage({ b: { B: "é" } }),
    error: RecordError,
  },
  integer_throws_error: {
    ours: "an image attribute {B: 1}",
    run: () => encodeImage({ b: { B: 1 } }),
    error: RecordError,
  },
  deserialize_invalid_type: {
    ours: "an image attribute {FOO: 'bar'}",
    run: () => encodeImage({ x: { FOO: "bar" } }),
    error: RecordError,
  },
  deserialize_empty_structure: {
    ours: "an image attribute {}",
    run: () => encodeImage({ x: {} }),
    error: RecordError,
  },
  primary_key_schema_from_table_unknown_type: {
    ours: 'parseKeySchema("Id:F")',
    run: () => parseKeySchema("Id:F"),
    error: ConfigError,
  },
};

function encodeImage(image: Raw): unknown {
  const record = kinesisDynamoRecord({
    keys: { k: { S: "key" } },
    newImage: { k: { S: "key" }, ...image },
  });
  return encodeRow(parseChange(record), EXACT);
}

/** The field our error names for each cdc vector the reference rejects too. */
const OUR_ERROR_FIELD: Record<string, string | "config"> = {
  decode_cdc_unknown_source: "eventSource",
  decode_cdc_unknown_event: "eventName",
  n_overflow_raises: "dynamodb.NewImage.n.N",
  n_underflow_raises: "dynamodb.NewImage.n.N",
  n_signaling_nan_raises: "dynamodb.NewImage.n.N",
  event_source_missing: "eventSource",
  event_source_wrong: "eventSource",
  event_name_missing: "eventName",
  event_name_lowercase: "eventName",
  dynamodb_missing: "dynamodb",
  keys_missing_with_new_image: "dynamodb.Keys",
  keys_missing_remove: "dynamodb.Keys",
  unknown_type_descriptor: "dynamodb.NewImage.x.FOO",
  attribute_not_an_object: "dynamodb.NewImage.x",
  attribute_empty_object: "dynamodb.NewImage.x",
  "table_name_quoting[a.b.c.d]": "config",
};

/** Asserts that dynacrate does what the reference's vector says. Throws where it does not. */
function expectConformant(v: Vector): void {
  switch (v.kind) {
    case "cdc": {
      if (v.raw.expected_error) {
        const field = OUR_ERROR_FIELD[v.id];
        expect(field, `OUR_ERROR_FIELD has no entry for ${v.id}`).toBeDefined();
        if (field === "config") expectConfigError(() => translateCdc(v));
        else expectRecordError(() => translateCdc(v), field as string);
        return;
      }
      expectRows(v, translateCdc(v), [v.exact.expected_params as ExactJson], false);
      return;
    }
    case "full-load": {
      if (v.raw.expected_error) {
        rejection(() => translateFullLoad(v));
        return;
      }
      const t = translateFullLoad(v);
      expectRows(v, t, v.exact.expected_params as ExactJson[], true);
      const schema = schemaOf(v);
      if (v.raw.expected_ddl) expectSameDdl(v.raw.expected_ddl, t.ddl, t.table);
      if (v.raw.expected_ddl_error) expectConfigError(() => cratedb.createTable(t.table, schema));
      return;
    }
    case "decode_record": {
      // The reference's translator has no key schema here (pk {}); dynacrate
      // always has a key, so the image gets one it does not hold, and only
      // the data / aux split is compared.
      const image = v.raw.input as AttributeMap;
      const record = kinesisDynamoRecord({ keys: { vector_key: { S: "k" } }, newImage: image });
      const t = translateChanges("foo", [parseChange(record)], undefined);
      const row = t.rows[0] as Translated["rows"][number];
      const expected = v.exact.expected as { typed: ExactJson; untyped: ExactJson };
      expectSame(row.data, expected.typed, ["data"], new Set());
      expectSame(row.aux, expected.untyped, ["aux"], new Set());
      return;
    }
    case "deserialize":
      expectDeserialize(v);
      return;
    case "ddl": {
      const table = parseTableName(v.raw.table_name);
      expectSameDdl(
        v.raw.expected_sql,
        cratedb.createTable(table, schemaOf(v)).map((s) => s.sql),
        table,
      );
      return;
    }
    case "error-other": {
      const call = ERROR_CALLS[v.id];
      expect(call, `ERROR_CALLS has no entry for ${v.id} (${v.raw.call})`).toBeDefined();
      const error = rejection((call as (typeof ERROR_CALLS)[string]).run);
      expect(error).toBeInstanceOf((call as (typeof ERROR_CALLS)[string]).error);
      return;
    }
    case "pk-schema": {
      const { schema, keys } = pkSchemaVector(v);
      const ddl = cratedb.createTable(parseTableName("foo"), schema)[0]?.sql ?? "";
      expect(keys.map((k) => quoteCrateIdentifier(k))).toEqual(v.raw.expected.column_names);
      for (const clause of v.raw.observed_ddl_clauses as string[]) expect(ddl).toContain(clause);
      return;
    }
    default:
      throw new Error(`unknown vector kind ${v.kind}`);
  }
}

function pkSchemaVector(v: Vector): { schema: KeySchema; keys: string[] } {
  const types = new Map<string, string>(
    (v.raw.input.attribute_definitions as { AttributeName: string; AttributeType: string }[]).map(
      (d) => [d.AttributeName, d.AttributeType],
    ),
  );
  const keys = (v.raw.input.key_schema as { AttributeName: string }[]).map((k) => k.AttributeName);
  // The CLI's --key option is how a key schema reaches dynacrate.
  return { schema: parseKeySchema(keys.map((k) => `${k}:${types.get(k)}`).join(",")), keys };
}

// ---------------------------------------------------------------------------
// Deliberate differences from the reference

interface Deviation {
  /** What dynacrate does instead. */
  instead: string;
  why: string;
  /** Runs the vector (or each vector it applies to) and asserts what we do. */
  ours: (v: Vector) => void;
  /**
   * For a difference of every vector of a kind (an operation, a number
   * format): which vectors; those are still held to the reference otherwise.
   * Without it, the key is one vector's name.
   */
  appliesTo?: (v: Vector) => boolean;
}

const rejectsNumber =
  (attribute: string, message: RegExp = /not a DynamoDB number/) =>
  (v: Vector) =>
    expectRecordError(() => translateCdc(v), `dynamodb.NewImage.${attribute}.N`, message);

const NUMBER_REJECTED =
  "rejects the record with a RecordError naming the attribute (the reference writes NaN / Infinity / a float)";
const NUMBER_WHY =
  "DynamoDB never sends such a number (it allows 38 digits, magnitude 1E-130 to 9.99E+125); a record that has one is corrupt, and NaN in a table hides that";
const NO_NEW_IMAGE =
  /missing on (INSERT|MODIFY): a stream of view type KEYS_ONLY or OLD_IMAGE carries no new image; set the stream's view type to NEW_IMAGE or NEW_AND_OLD_IMAGES/;

const expectData = (v: Vector, pk: string, data: string) => {
  const t = translateCdc(v);
  const row = t.rows[0] as Translated["rows"][number];
  expectSame(row.pk, parseExact(pk), ["pk"], new Set());
  expectSame(row.data, parseExact(data), ["data"], new Set());
  // Exact texts, not only the same value.
  expect(JSON.stringify(row.data, (_, x) => (x instanceof JsonNum ? `#${x.text}` : x))).toBe(
    JSON.stringify(parseExact(data), (_, x) => (x instanceof JsonNum ? `#${x.text}` : x)),
  );
};

const DEVIATIONS: Record<string, Deviation> = {
  // --- operations (every vector with the reference statement) ---
  "(every INSERT) INSERT ... ON CONFLICT DO NOTHING": {
    instead:
      "an upsert guarded by version: INSERT ... ON CONFLICT (pk keys) DO UPDATE SET each column to the incoming value when its version is newer",
    why: "DO NOTHING drops a newer image that arrives after a duplicate or an older change of the same item (Kinesis delivers out of order and more than once)",
    appliesTo: (v) => /ON CONFLICT DO NOTHING/.test(v.raw.expected_sql ?? ""),
    ours: (v) => expectGuardedUpsert(translateCdc(v)),
  },
  "(every MODIFY) UPDATE ... WHERE pk=:pk": {
    instead: "the same guarded upsert as INSERT",
    why: "an UPDATE of a row that is missing (its INSERT not yet applied, lost, or before a full load) silently matches nothing",
    appliesTo: (v) => /^UPDATE /.test(v.raw.expected_sql ?? ""),
    ours: (v) => expectGuardedUpsert(translateCdc(v)),
  },
  "(every REMOVE) DELETE ... WHERE pk=:pk": {
    instead:
      "the guarded upsert writes a tombstone (deleted = true, data NULL) into the state table; the user's view hides it; purgeTombstones removes old ones",
    why: "without a trace of the delete, a late, older INSERT or MODIFY of the item would bring it back",
    appliesTo: (v) => /^DELETE /.test(v.raw.expected_sql ?? ""),
    ours: (v) => {
      const t = translateCdc(v);
      expectGuardedUpsert(t);
      expect(t.rows[0]?.deleted).toBe(true);
      expect(t.ddl.find((s) => s.startsWith("CREATE OR REPLACE VIEW"))).toMatch(
        /WHERE NOT "deleted"$/,
      );
    },
  },
  "(every number) N is always a binary float": {
    instead:
      'number format "exact" (PostgreSQL) writes the decimal text as it is: "42" stays 42, 84.84 stays 84.84; the CrateDB format writes a float literal (42.0) like the reference',
    why: "jsonb keeps any DynamoDB number exactly; CrateDB needs float literals so a DYNAMIC column is created DOUBLE (FACTS.md section 5)",
    appliesTo: (v) =>
      v.kind === "cdc" &&
      !v.raw.expected_error &&
      !/^DELETE /.test(v.raw.expected_sql) &&
      hasInteger(v.exact.expected_params as ExactJson),
    ours: (v) => {
      const t = translateCdc(v);
      const { pk, data, aux } = t.rows[0] as Translated["rows"][number];
      const exact = numbersOf([pk, data, aux]);
      const c = t.crateRows[0] as Translated["crateRows"][number];
      const crate = numbersOf([c.pk, c.data, c.aux]);
      expect(
        exact.some((n) => !n.isFloatLiteral),
        "exact format keeps integer literals",
      ).toBe(true);
      expect(
        crate.every((n) => n.isFloatLiteral),
        "CrateDB format writes float literals",
      ).toBe(true);
    },
  },

  // --- numbers ---
  n_negative_zero: {
    instead: "writes 0",
    why: "-0 and 0 are the same DynamoDB number (it normalises -0 to 0); only a binary float keeps the sign",
    ours: (v) => expectData(v, '{"id":"k1"}', '{"n":0}'),
  },
  n_beyond_2_53_loses_precision: {
    instead: "keeps every digit: 9007199254740993",
    why: "DynamoDB holds 38 digits; rounding to a double silently changes the value",
    ours: (v) => expectData(v, '{"id":"k1"}', '{"n":9007199254740993}'),
  },
  n_more_than_38_digits: {
    instead: NUMBER_REJECTED,
    why: NUMBER_WHY,
    ours: rejectsNumber("n", /significant digits/),
  },
  n_max_exponent_ok: {
    instead: NUMBER_REJECTED,
    why: `9.9E+126 is above DynamoDB's largest number 9.99...E+125 (the reference's context allows E+126). ${NUMBER_WHY}`,
    ours: rejectsNumber("n", /outside DynamoDB's range/),
  },
  n_subnormal_exact_ok: {
    instead: NUMBER_REJECTED,
    why: `1E-165 is below DynamoDB's smallest magnitude 1E-130. ${NUMBER_WHY}`,
    ours: rejectsNumber("n", /outside DynamoDB's range/),
  },
  n_invalid_string_is_nan: { instead: NUMBER_REJECTED, why: NUMBER_WHY, ours: rejectsNumber("n") },
  n_empty_string_is_nan: { instead: NUMBER_REJECTED, why: NUMBER_WHY, ours: rejectsNumber("n") },
  n_whitespace_is_nan: { instead: NUMBER_REJECTED, why: NUMBER_WHY, ours: rejectsNumber("n") },
  n_hex_is_nan: { instead: NUMBER_REJECTED, why: NUMBER_WHY, ours: rejectsNumber("n") },
  n_infinity: { instead: NUMBER_REJECTED, why: NUMBER_WHY, ours: rejectsNumber("a") },

  // --- attribute values DynamoDB never sends ---
  bool_and_null: {
    instead: 'rejects {"NULL": false} (field dynamodb.NewImage.n2.NULL)',
    why: "DynamoDB writes NULL only as true; another value means the record was not written by DynamoDB",
    ours: (v) =>
      expectRecordError(() => translateCdc(v), "dynamodb.NewImage.n2.NULL", /NULL must be true/),
  },
  lowercase_type_descriptor_accepted: {
    instead: 'rejects "s" / "bool" as unknown type descriptors',
    why: "DynamoDB's descriptors are upper case; guessing at others hides a producer's bug",
    ours: (v) =>
      expectRecordError(() => translateCdc(v), "dynamodb.NewImage.x.s", /unknown type descriptor/),
  },
  varied_check_is_case_sensitive: {
    instead: 'rejects the lower-case "s" in the list',
    why: "as lowercase_type_descriptor_accepted",
    ours: (v) =>
      expectRecordError(
        () => translateCdc(v),
        "dynamodb.NewImage.l.L[1].s",
        /unknown type descriptor/,
      ),
  },
  multi_key_descriptor_first_wins: {
    instead: "rejects an attribute value with two type descriptors",
    why: "an attribute value has exactly one type; taking the first silently drops data",
    ours: (v) =>
      expectRecordError(() => translateCdc(v), "dynamodb.NewImage.x", /one type descriptor/),
  },
  decode_cdc_modify_basic: {
    instead: 'rejects {"S": null} (field dynamodb.NewImage.null_string.S)',
    why: "S is always a string in DynamoDB (an absent value is NULL: true); the reference's own fixture is not a record DynamoDB writes",
    ours: (v) =>
      expectRecordError(
        () => translateCdc(v),
        "dynamodb.NewImage.null_string.S",
        /S must be a string/,
      ),
  },

  n_json_number_not_string: {
    instead: "rejects the record (field dynamodb.NewImage.a.N): a number must be decimal text",
    why: "DynamoDB writes every number as a string; a JSON number was made by another producer and may already be rounded (12345678901234567890123 is not that number as a double)",
    ours: (v) =>
      expectRecordError(
        () => translateCdc(v),
        "dynamodb.NewImage.a.N",
        /DynamoDB writes a number as a decimal string/,
      ),
  },
  ns_dedup_numeric_equal: {
    instead: "rejects the record (field dynamodb.NewImage.s.NS[1]): duplicate set member",
    why: "DynamoDB refuses a set with equal members; such a record was not written by DynamoDB, and keeping one member would hide that",
    ours: (v) =>
      expectRecordError(() => translateCdc(v), "dynamodb.NewImage.s.NS[1]", /duplicate set member/),
  },
  bs_dedup: {
    instead: "rejects the record (field dynamodb.NewImage.s.BS[1]): duplicate set member",
    why: "as ns_dedup_numeric_equal",
    ours: (v) =>
      expectRecordError(() => translateCdc(v), "dynamodb.NewImage.s.BS[1]", /duplicate set member/),
  },
  empty_sets: {
    instead: "rejects the record (field dynamodb.NewImage.a.SS): a set is never empty",
    why: "DynamoDB has no empty set (it refuses to write one); a record that has one was not written by DynamoDB",
    ours: (v) => expectRecordError(() => translateCdc(v), "dynamodb.NewImage.a.SS", /is empty/),
  },

  // --- stream view types without a new image ---
  keys_only_insert: {
    instead: "rejects the record, naming the view type to set",
    why: "without NewImage the item's attributes are unknown; writing {} would wipe the row's data",
    ours: (v) => expectRecordError(() => translateCdc(v), "dynamodb.NewImage", NO_NEW_IMAGE),
  },
  keys_only_modify_wipes_data: {
    instead: "rejects the record, naming the view type to set",
    why: "the reference's UPDATE sets data = {}: a KEYS_ONLY stream would erase every row it touches",
    ours: (v) => expectRecordError(() => translateCdc(v), "dynamodb.NewImage", NO_NEW_IMAGE),
  },
  old_image_only_modify: {
    instead: "rejects the record, naming the view type to set",
    why: "as keys_only_modify_wipes_data: an OLD_IMAGE stream has no new image",
    ours: (v) => expectRecordError(() => translateCdc(v), "dynamodb.NewImage", NO_NEW_IMAGE),
  },

  // --- the key ---
  key_missing_from_new_image: {
    instead: 'pk is taken from Keys: {"id": "k1"}',
    why: "Keys is the item's identity in every record; a pk of {} would merge all such items into one row",
    ours: (v) => expectData(v, '{"id":"k1"}', '{"x":1}'),
  },
  key_value_taken_from_new_image: {
    instead:
      "rejects the record: its NewImage names another item than its Keys (field dynamodb.NewImage.id)",
    why: "DynamoDB writes the item's key in both; a record where they differ is corrupt, and either choice would write the wrong item",
    ours: (v) =>
      expectRecordError(
        () => translateCdc(v),
        "dynamodb.NewImage.id",
        /disagrees with dynamodb.Keys/,
      ),
  },
  empty_keys_object: {
    instead: "rejects the record (field dynamodb.Keys)",
    why: "a change must name its item; pk {} would merge unrelated items",
    ours: (v) => expectRecordError(() => translateCdc(v), "dynamodb.Keys", /is empty/),
  },

  // --- table names ---
  "table_name_quoting[_t]": {
    instead: "ConfigError: CrateDB refuses table names that start with _",
    why: "the statement would fail on every record at run time; the name is checked once, at start",
    ours: (v) => expectConfigError(() => translateCdc(v), /can not start with "_"/),
  },
  'table_name_quoting[we"ird]': {
    instead: 'ConfigError: CrateDB refuses " in table names',
    why: "as table_name_quoting[_t]",
    ours: (v) => expectConfigError(() => translateCdc(v), /not allowed by CrateDB/),
  },
  "table_name_quoting[a.b.c]": {
    instead: "ConfigError: too many parts",
    why: 'CrateDB names a table schema.table; a third part fails at run time. A name with a dot is written quoted: "a.b".c',
    ours: (v) => expectConfigError(() => translateCdc(v), /too many parts/),
  },

  // --- full load ---
  full_load_without_schema: {
    instead:
      "no rows without a key schema: each item is rejected (dynamodb.Keys is empty), and createTable says to give --key",
    why: "the key is the row's identity; pk {} for every item would collapse the table into one row",
    ours: (v) => {
      expectRecordError(() => translateFullLoad(v), "dynamodb.Keys", /is empty/);
      expectConfigError(
        () => cratedb.createTable(parseTableName(v.raw.table_name), undefined),
        /--key/,
      );
    },
  },
  full_load_item_missing_key_attr: {
    instead: "rejects the item (its Keys are empty)",
    why: "an item without its key attribute can not come from the table; pk {} would merge such items",
    ours: (v) => expectRecordError(() => translateFullLoad(v), "dynamodb.Keys", /is empty/),
  },
  full_load_composite_key: {
    instead:
      'the N key is a primary key by its exact text in pk_text and a DOUBLE in pk: pk OBJECT(STRICT) AS ("device" TEXT PRIMARY KEY, "ts" DOUBLE PRECISION), pk_text OBJECT(STRICT) AS ("device" TEXT, "ts" TEXT PRIMARY KEY); the rows are the same',
    why: "BIGINT and DOUBLE lose DynamoDB's 38-digit keys and merge distinct ones, and NUMERIC(38, 0) holds no fraction (1.5) nor 1E+125; the exact text keys every number DynamoDB accepts, and the DOUBLE keeps pk['ts'] a number to compare and range over",
    ours: (v) => {
      const t = translateFullLoad(v);
      expectRows(v, t, v.exact.expected_params as ExactJson[], true);
      expect(t.ddl[0]).toContain(
        '"pk" OBJECT(STRICT) AS ("device" TEXT PRIMARY KEY, "ts" DOUBLE PRECISION), "pk_text" OBJECT(STRICT) AS ("device" TEXT, "ts" TEXT PRIMARY KEY)',
      );
    },
  },
  full_load_tuple_input: {
    instead: "loads the one item (a JSON array is a batch)",
    why: "the reference fails on a Python tuple; JSON has no tuples, so the input is a list of one item",
    ours: (v) => {
      const t = translateFullLoad(v);
      expect(t.rows.length).toBe(1);
      expectSame(t.rows[0]?.pk ?? null, parseExact('{"id":"a"}'), ["pk"], new Set());
    },
  },
  primary_key_schema_from_table_success: {
    instead:
      'an N key attribute is declared "Id" DOUBLE PRECISION in pk and "Id" TEXT PRIMARY KEY in pk_text',
    why: "as full_load_composite_key",
    ours: (v) => {
      const { schema, keys } = pkSchemaVector(v);
      expect(keys.map(quoteCrateIdentifier)).toEqual(v.raw.expected.column_names);
      expect(cratedb.createTable(parseTableName("foo"), schema)[0]?.sql).toContain(
        '"pk" OBJECT(STRICT) AS ("Id" DOUBLE PRECISION), "pk_text" OBJECT(STRICT) AS ("Id" TEXT PRIMARY KEY)',
      );
    },
  },
};

function expectGuardedUpsert(t: Translated): void {
  const state = cratedb.quoteTable(stateTable(t.table));
  expect(t.upsertSql).toMatch(
    new RegExp(
      `^INSERT INTO ${escapeRe(state)} \\("pk", "pk_text", "data", "aux", "aux_text", "deleted", "updated_at", "version"\\) VALUES \\(\\?, \\?, \\?, \\?, \\?, \\?, \\?, \\?\\) ON CONFLICT \\(.+\\) DO UPDATE SET `,
    ),
  );
  for (const column of ["data", "aux", "aux_text", "deleted", "updated_at", "version"]) {
    expect(t.upsertSql).toContain(
      `"${column}" = CASE WHEN ${newerVersion('excluded."version"', '"version"')} THEN excluded."${column}" ELSE "${column}" END`,
    );
  }
  expect(t.upsertSql).not.toMatch(/DO NOTHING/);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function numbersOf(value: ExactJson): JsonNum[] {
  if (value instanceof JsonNum) return [value];
  if (Array.isArray(value)) return value.flatMap(numbersOf);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(numbersOf);
  return [];
}

function hasInteger(value: ExactJson): boolean {
  return numbersOf(value).some((n) => /^-?\d+\.0$/.test(n.text));
}

const vectorDeviation = (v: Vector): Deviation | undefined => {
  const d = DEVIATIONS[v.id];
  return d && !d.appliesTo ? d : undefined;
};

type Category = "run" | "deviation" | "not-extracted";
const categoryOf = (v: Vector): Category =>
  v.kind === "not-extracted" ? "not-extracted" : vectorDeviation(v) ? "deviation" : "run";

// ---------------------------------------------------------------------------
// The tests

describe("conformance with the reference translator (commons-codec)", () => {
  it("reads the vectors from test/fixtures/commons-codec/", () => {
    const path = fileURLToPath(DIR);
    if (!existsSync(path)) {
      throw new Error(`the conformance vectors are missing: expected the folder ${path}`);
    }
    for (const [file, count] of Object.entries(FILES)) {
      expect(VECTORS.filter((v) => v.file === file).length, file).toBe(count);
    }
  });

  it("accounts for every vector: run + deviation + not-extracted = total", () => {
    const counts = { run: 0, deviation: 0, "not-extracted": 0 } as Record<Category, number>;
    for (const v of VECTORS) counts[categoryOf(v)]++;
    const total = Object.values(FILES).reduce((a, b) => a + b, 0);
    const completed = VECTORS.filter(needsCompletion).length;
    console.log(
      `conformance vectors: ${total} total; ${counts.run} run and conformant, ${counts.deviation} deliberate deviations, ` +
        `${counts["not-extracted"]} not extracted (ignored: ${VECTORS.filter(
          (v) => v.kind === "not-extracted",
        )
          .map((v) => v.id)
          .join(", ")}); ${completed} cdc inputs completed with a timestamp`,
    );
    expect(counts.run + counts.deviation + counts["not-extracted"]).toBe(total);
    expect(VECTORS.length).toBe(total);
    expect(new Set(VECTORS.map((v) => v.id)).size, "vector ids are unique").toBe(total);
  });

  it("names only existing vectors in DEVIATIONS, and each global deviation applies somewhere", () => {
    for (const [key, deviation] of Object.entries(DEVIATIONS)) {
      if (deviation.appliesTo) {
        expect(VECTORS.filter(deviation.appliesTo).length, key).toBeGreaterThan(0);
      } else {
        expect(
          VECTORS.some((v) => v.id === key),
          `DEVIATIONS names ${key}, which is no vector`,
        ).toBe(true);
        expect(byId(key).kind).not.toBe("not-extracted");
      }
    }
  });

  const runnable = VECTORS.filter((v) => categoryOf(v) === "run");
  const deviating = VECTORS.filter((v) => categoryOf(v) === "deviation");

  describe.each(Object.keys(FILES))("%s", (file) => {
    const run = runnable.filter((v) => v.file === file);
    it.each(run.map((v) => [v.id, v] as const))("%s: same meaning as the reference", (_, v) => {
      expectConformant(v);
    });
  });

  describe("deviations: what we do instead, checked, and still different from the reference", () => {
    it.each(deviating.map((v) => [v.id, v] as const))("%s", (id, v) => {
      const deviation = DEVIATIONS[id] as Deviation;
      deviation.ours(v);
      let difference: unknown;
      try {
        expectConformant(v);
      } catch (error) {
        difference = error;
      }
      expect(
        difference,
        `${id} now matches the reference: remove it from DEVIATIONS`,
      ).toBeDefined();
      // A difference of meaning, not a crash of the harness or the codec.
      expect(difference).not.toBeInstanceOf(TypeError);
      expect(difference).not.toBeInstanceOf(InternalError);
    });

    const global = Object.entries(DEVIATIONS).filter(([, d]) => d.appliesTo);
    it.each(global)("%s", (_, deviation) => {
      const vectors = VECTORS.filter(
        (v) => categoryOf(v) === "run" && (deviation.appliesTo as (v: Vector) => boolean)(v),
      );
      expect(vectors.length).toBeGreaterThan(0);
      for (const v of vectors) deviation.ours(v);
    });
  });

  it("rejects each completed input without the completion, naming dynamodb.ApproximateCreationDateTime or the number", () => {
    const completed = VECTORS.filter(
      (v) => needsCompletion(v) && !v.raw.expected_error && categoryOf(v) === "run",
    );
    expect(completed.length).toBeGreaterThan(0);
    for (const v of completed) {
      const timestamp = completeTimestamp(v.raw.input);
      if (timestamp !== v.raw.input) {
        expectRecordError(
          () => translateCdc(v, completeNumbers(v.raw.input)),
          "dynamodb.ApproximateCreationDateTime",
          /must be a number/,
        );
      }
      if (completeNumbers(timestamp) !== timestamp) {
        const error = rejection(() => translateCdc(v, timestamp));
        expect(error).toBeInstanceOf(RecordError);
        expect((error as RecordError).field, v.id).toMatch(/\.N$|\.NS\[\d+\]$/);
        expect(error.message).toMatch(/DynamoDB writes a number as a decimal string/);
      }
    }
  });

  it("treats a TTL delete as a REMOVE and marks it (remove_ttl_service_delete)", () => {
    const t = translateCdc(byId("remove_ttl_service_delete"));
    expect(t.rows[0]?.deleted).toBe(true);
    expect(t.rows[0]?.change.ttlDelete).toBe(true);
  });

  it("prints the deviation table", () => {
    const lines = Object.entries(DEVIATIONS).map(
      ([key, d]) => `- ${key}: ${d.instead} (why: ${d.why})`,
    );
    console.log(`dynacrate's deliberate deviations from commons-codec:\n${lines.join("\n")}`);
    expect(lines.length).toBe(Object.keys(DEVIATIONS).length);
  });
});
