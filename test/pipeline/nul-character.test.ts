// U+0000 (NUL) in a change (docs/SEMANTICS.md G15). DynamoDB strings may hold
// it; PostgreSQL can store it neither in text nor in jsonb, so there a change
// holding it fails alone, with a reason that names U+0000 and the attribute,
// and every other change of the batch applies. CrateDB 6.4.3 stores it as
// it is (checked on the live server: keys, values, object keys), so there
// the same batch applies whole and reads back exactly. Records go through
// both codec paths: as JSON text (the transcoder) and parsed.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeMongoRecord } from "../../src/codec/mongodb-event.ts";
import { refuseNul } from "../../src/codec/nul-char.ts";
import type { EncodedRow } from "../../src/codec/row.ts";
import { type SourceRecord, sourceRecords } from "../../src/codec/source-record.ts";
import { TextRecord } from "../../src/codec/text-record.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { RecordError } from "../../src/errors.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { BASE_MILLIS, kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

interface Case {
  id: string;
  keys?: AttributeMap;
  image: AttributeMap;
  /** The field the error names; undefined: the change applies on PostgreSQL too. */
  field: string | undefined;
}

const CASES: Case[] = [
  { id: "plain", image: { note: { S: "no NUL here" } }, field: undefined },
  {
    id: "nested",
    image: { doc: { M: { text: { S: "x\u0000y" } } } },
    field: "dynamodb.NewImage.doc.M.text.S",
  },
  {
    id: "name",
    image: { "odd\u0000name": { S: "v" } },
    field: 'dynamodb.NewImage["odd\\u0000name"]',
  },
  { id: "set", image: { tags: { SS: ["a", "b\u0000"] } }, field: "dynamodb.NewImage.tags.SS[1]" },
  {
    id: "list",
    image: { l: { L: [{ N: "1" }, { S: "\u0000" }] } },
    field: "dynamodb.NewImage.l.L[1].S",
  },
  { id: "key\u0000", image: {}, field: "dynamodb.Keys.id.S" },
  // Six characters, backslash and "u0000": no NUL, though its JSON text holds `\u0000`.
  { id: "escaped", image: { esc: { S: "\\u0000" } }, field: undefined },
];

function records(asText: boolean): SourceRecord[] {
  return CASES.map((c, i) => {
    const record = kinesisDynamoRecord({
      keys: { id: { S: c.id } },
      newImage: { id: { S: c.id }, ...c.image },
      millis: BASE_MILLIS + i,
      eventID: `${asText ? "text" : "parsed"}-${c.id.replace("\u0000", "")}`,
    });
    return asText
      ? new TextRecord(JSON.stringify(record), { ref: `line ${i + 1}` })
      : (sourceRecords(record)[0] as SourceRecord);
  });
}

describe("U+0000 on PostgreSQL: the change fails alone, naming U+0000 and its attribute", () => {
  let target: PgTarget;
  beforeAll(async () => {
    target = await pgTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it.each([
    ["as JSON text", true],
    ["parsed", false],
  ])("%s", async (_, asText) => {
    const table = target.table("nul");
    const pipeline = new ApplyPipeline(target.sink, { table });
    const result = await pipeline.apply(records(asText));
    const refused = CASES.map((c, i) => ({ ...c, line: i + 1 })).filter(
      (c) => c.field !== undefined,
    );
    expect(result.applied).toBe(CASES.length - refused.length);
    expect(
      result.failed.map((f) => ({
        ref: f.ref,
        permanent: f.permanent,
        field: (f.error as RecordError).field,
        message: f.error.message,
      })),
    ).toEqual(
      refused.map((c) => {
        const eventId = `${asText ? "text" : "parsed"}-${c.id.replace("\u0000", "")}`;
        const ref = asText ? `${eventId} (line ${c.line})` : eventId;
        return {
          ref,
          permanent: true,
          field: c.field,
          message: `record ${ref}, field ${c.field}: holds U+0000 (the NUL character), which PostgreSQL can not store in text or jsonb`,
        };
      }),
    );
    for (const f of result.failed) expect(f.error).toBeInstanceOf(RecordError);
    expect(await target.live(table)).toEqual(
      new Map([
        ["plain", { note: "no NUL here" }],
        ["escaped", { esc: "\\u0000" }],
      ]),
    );
  });
});

describe("U+0000 in a MongoDB change event, for PostgreSQL", () => {
  it("is named by its path in the document", () => {
    const row = decodeMongoRecord(
      {
        payload: {
          _id: { _data: "8266A0000000000001" },
          operationType: "insert",
          clusterTime: { $timestamp: { t: 1721140162, i: 2 } },
          ns: { db: "shop", coll: "orders" },
          documentKey: { _id: "k" },
          fullDocument: { _id: "k", a: { b: ["ok", "x\u0000"] } },
        },
        ref: "e",
      },
      { numbers: "exact", keyNumbers: "exact" },
    ) as EncodedRow;
    expect(() => refuseNul(row, "PostgreSQL")).toThrow(
      "field document.a.b[1]: holds U+0000 (the NUL character), which PostgreSQL can not store in text or jsonb",
    );
  });
});

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; start one with ../shared/cratedb/start to run this suite";
if (!url) console.log(`nul-character.test.ts CrateDB suite skipped: ${SKIP_REASON}`);

describe.skipIf(!url)("U+0000 on CrateDB: stored as it is", () => {
  let sink: CrateDbHttpSink;
  const table: TableName = {
    schema: undefined,
    name: `dynacrate_nul_${Date.now().toString(36)}_${process.pid}`,
  };
  beforeAll(() => {
    sink = createCrateDbHttpSink({ url: url as string, timeoutMs: 20_000 });
  });
  afterAll(async () => {
    if (!sink) return;
    await sink.query({ sql: `DROP VIEW IF EXISTS ${cratedb.quoteTable(table)}`, params: [] });
    await sink.query({
      sql: `DROP TABLE IF EXISTS ${cratedb.quoteTable(stateTable(table))}`,
      params: [],
    });
    await sink.close();
  });

  it("every change applies and reads back exactly, on both codec paths", async () => {
    const pipeline = new ApplyPipeline(sink, { table });
    const result = await pipeline.apply([...records(true), ...records(false)]);
    expect(result.failed).toEqual([]);
    expect(result.applied + result.skipped).toBe(2 * CASES.length);
    for (const c of CASES) {
      const rows = await sink.query<{ data: Record<string, unknown> }>({
        sql: `SELECT "data" FROM ${cratedb.quoteTable(stateTable(table))} WHERE "pk"['id'] = ?`,
        params: [c.id],
      });
      const expected: Record<string, unknown> = {
        plain: { note: "no NUL here" },
        nested: { doc: { text: "x\u0000y" } },
        name: { "odd\u0000name": "v" },
        set: { tags: ["a", "b\u0000"] },
        list: {},
        "key\u0000": {},
        escaped: { esc: "\\u0000" },
      };
      expect(rows.map((r) => r.data)).toEqual([expected[c.id]]);
    }
  });
});
