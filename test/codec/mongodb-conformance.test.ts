// Holds the MongoDB codec to the reference translator's MongoDB vectors
// (test/fixtures/commons-codec/mongodb-cases.json): meaning, not text. The
// same oid, the same document in `data`, the same operation, the same
// rejections and ignored events. Where dynacrate differs on purpose, the
// vector (or the field of a vector) is in DEVIATIONS with what we do instead
// and why, and that is checked too: a deviation that no longer applies fails.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  decodeMongoRecord,
  encodeMongoDocument,
  MONGODB_KEY_SCHEMA,
  mongoVersion,
} from "../../src/codec/mongodb-event.ts";
import type { EncodedRow, RowFormat } from "../../src/codec/row.ts";
import { RecordError } from "../../src/errors.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { decimalKey, type ExactJson, JsonNum, parseExact } from "./exact-json.ts";

const FILE = new URL("../fixtures/commons-codec/mongodb-cases.json", import.meta.url);
const EXACT: RowFormat = { numbers: "exact", keyNumbers: "exact" };

// biome-ignore lint/suspicious/noExplicitAny: vectors are free-form JSON, checked field by field below.
type Raw = any;
const vectors = JSON.parse(readFileSync(FILE, "utf8")) as Raw[];

interface Deviation {
  /** What the reference does. */
  reference: string;
  /** What dynacrate does instead, and why. */
  dynacrate: string;
  /** For a document vector: the fields (paths) whose values differ on purpose. */
  fields?: string[];
}

/** Every deliberate difference from the reference, with its reason. */
const DEVIATIONS: Record<string, Deviation> = {
  decode_cdc_sql_ddl: {
    reference: "CREATE TABLE foo (oid TEXT, data OBJECT(DYNAMIC))",
    dynacrate:
      "the state table foo__state with pk OBJECT(STRICT) AS (oid TEXT PRIMARY KEY), data OBJECT(STRICT) (every sub-column declared before a row needs it), version, deleted, and the view foo: " +
      "the same version guard and tombstones as for DynamoDB, so redelivered and late events change nothing; query pk['oid'] instead of oid",
  },
  "sql_ddl[full-load]": {
    reference: "the same DDL as for change events",
    dynacrate:
      "the same state table and view as for change events (one table, fed by copy and stream)",
  },
  decode_cdc_update: {
    reference: "UPDATE foo SET data = :record WHERE oid = ...",
    dynacrate:
      "a version-guarded upsert of the looked-up document: an UPDATE of a row whose insert was missed (a stream started late, a batch split) would change nothing",
  },
  decode_cdc_replace: {
    reference: "UPDATE foo SET data = :record WHERE oid = ...",
    dynacrate: "a version-guarded upsert, as for update",
  },
  decode_cdc_delete: {
    reference: "DELETE FROM foo WHERE oid = ...",
    dynacrate:
      "a tombstone (deleted = true, with the delete's version): a late, older insert or update can not bring the document back",
  },
  "to_sql_operation[all-types]": {
    reference: "the document with BSON types turned into plain JSON values",
    dynacrate: "the same, except these fields",
    fields: [
      // Exact numbers instead of text, like DynamoDB numbers (number format "string" gives text).
      "bson.decimal128",
      "canonical.decimal_largest",
      "canonical.decimal_regular",
      "canonical.int64",
      // A Timestamp keeps its increment: {"t": seconds, "i": increment}, not seconds * 1000.
      "bson.timestamp",
      "canonical.timestamp",
      // A regular expression as "/pattern/options" text, not Python's repr "Regex('.*', 0)".
      "bson.regex",
      "canonical.regex",
      // A Date of -2^63 ms is kept as written; the reference turns it into 0.
      "canonical.date_numberlong_invalid",
      // Base64 kept as written: "...B==" and the reference's re-encoded "...A==" are the same bytes.
      "canonical.list_uuid[4]",
      "canonical.list_uuid[5]",
      "canonical.list_uuid[6]",
      // Dates keep their milliseconds; the reference drops them (whole seconds * 1000).
      "bson.datetimems",
      "python.datetime",
      "canonical.date_iso8601",
      "canonical.list_date[0]",
      "canonical.list_dict[0].value",
      "canonical.list_dict[1].value",
      // A Python set has no order: the vector marks it "any".
      "python.set_str",
    ],
  },
  "to_sql_operation[anomalies]": {
    reference:
      "tikray jq transformations reshape the document (never executed by the reference's own suite here)",
    dynacrate: "no transformations: the document is replicated as it is",
  },
};

/** Paths where two JSON values differ; numbers compared by exact value. */
function differences(actual: ExactJson, expected: Raw, path: string, out: string[]): void {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    if (expected.$any === true) return void out.push(path);
    if (
      actual === null ||
      typeof actual !== "object" ||
      Array.isArray(actual) ||
      actual instanceof JsonNum
    )
      return void out.push(path);
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of keys)
      differences(
        (actual as Record<string, ExactJson>)[k] as ExactJson,
        expected[k],
        path ? `${path}.${k}` : k,
        out,
      );
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return void out.push(path);
    for (let i = 0; i < expected.length; i++)
      differences(actual[i] as ExactJson, expected[i], `${path}[${i}]`, out);
    return;
  }
  if (typeof expected === "number") {
    if (!(actual instanceof JsonNum) || decimalKey(actual.text) !== decimalKey(String(expected)))
      out.push(path);
    return;
  }
  if (actual !== expected) out.push(path);
}

function decode(input: Raw): EncodedRow | undefined {
  return decodeMongoRecord({ payload: input, ref: "vector" }, EXACT);
}

describe("MongoDB conformance: the reference's vectors", () => {
  it("has the 13 vectors its README counts", () => {
    expect(vectors).toHaveLength(13);
  });

  for (const v of vectors) {
    const deviation = DEVIATIONS[v.name];
    it(`${v.name}${deviation ? " (deviation)" : ""}`, () => {
      if (v.kind === "ddl") {
        const sql = cratedb
          .createTable({ schema: undefined, name: v.table_name }, MONGODB_KEY_SCHEMA)
          .map((s) => s.sql)
          .join(";\n");
        expect(sql).toMatch(/"pk" OBJECT\(STRICT\) AS \("oid" TEXT PRIMARY KEY\)/);
        expect(sql).toMatch(/"data" OBJECT\(STRICT\)/);
        expect(deviation).toBeDefined();
        return;
      }
      if (v.expected_error) {
        expect(() => decode(v.input)).toThrow(RecordError);
        expect(() => decode(v.input)).toThrow(/operationType/);
        return;
      }
      if (v.expected_result === "None (event ignored)") {
        expect(decode(v.input)).toBeUndefined();
        return;
      }
      if (v.kind === "full-load") {
        const row = encodeMongoDocument(v.input, mongoVersion(1, 0), EXACT, v.name);
        const expected = v.expected_params[0];
        expect(JSON.parse(row.pk)).toEqual({ oid: expected.oid });
        const diff: string[] = [];
        differences(parseExact(row.data as string), expected.record, "", diff);
        if (v.name === "to_sql_operation[anomalies]") {
          // No transformations: the document arrives as it is.
          expect(JSON.parse(row.data as string)).toEqual({ ...v.input, _id: expected.oid });
          expect(diff.length).toBeGreaterThan(0);
          return;
        }
        expect(diff.sort()).toEqual([...(deviation?.fields ?? [])].sort());
        return;
      }
      const row = decode(v.input) as EncodedRow;
      expect(row).toBeDefined();
      const params = v.expected_params;
      const oid = params?.oid ?? /oid = '([^']+)'/.exec(v.expected_sql)?.[1];
      expect(JSON.parse(row.pk)).toEqual({ oid });
      if (v.expected_sql.startsWith("DELETE")) {
        expect(row).toMatchObject({ deleted: true, data: null });
        expect(deviation).toBeDefined();
        return;
      }
      expect(row.deleted).toBe(false);
      const diff: string[] = [];
      differences(parseExact(row.data as string), params.record, "", diff);
      expect(diff).toEqual(deviation?.fields ?? []);
      // INSERT conforms; UPDATE becomes an upsert (a deviation).
      expect(deviation !== undefined).toBe(v.expected_sql.startsWith("UPDATE"));
    });
  }

  it("names only existing vectors in DEVIATIONS", () => {
    const names = new Set(vectors.map((v) => v.name));
    for (const name of Object.keys(DEVIATIONS)) expect(names, name).toContain(name);
  });
});
