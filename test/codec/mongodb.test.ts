// The MongoDB codec: every Extended JSON type exact (canonical and relaxed
// forms), versions in change order, the Atlas trigger (EventBridge) shape,
// and bad events failing alone with the field at fault.

import { describe, expect, it } from "vitest";
import { historyRow } from "../../src/codec/history-row.ts";
import {
  decodeMongoRecord,
  encodeMongoDocument,
  mongoVersion,
} from "../../src/codec/mongodb-event.ts";
import type { EncodedRow, RowFormat } from "../../src/codec/row.ts";
import { RecordError } from "../../src/errors.ts";

const EXACT: RowFormat = { numbers: "exact", keyNumbers: "exact" };
const DOUBLE: RowFormat = { numbers: "double", keyNumbers: "double-strict" };

function event(doc: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    _id: { _data: "8266A0000000000001" },
    operationType: "insert",
    clusterTime: { $timestamp: { t: 1721140162, i: 2 } },
    ns: { db: "shop", coll: "orders" },
    documentKey: { _id: doc._id },
    fullDocument: doc,
    ...extra,
  };
}

function rowOf(payload: unknown, format = EXACT): EncodedRow {
  return decodeMongoRecord({ payload, ref: "e" }, format) as EncodedRow;
}

/** Every BSON type in canonical Extended JSON, as EJSON.serialize(doc, {relaxed: false}) writes it. */
const CANONICAL = {
  _id: { $oid: "669683c2b0750b2c84893f3e" },
  date: { $date: { $numberLong: "1721140162907" } },
  decimal: { $numberDecimal: "1234567890123456789012345678901234" },
  small: { $numberDecimal: "0.000001234567890123456789012345678901234" },
  scaled: { $numberDecimal: "1.50" },
  huge: { $numberDecimal: "9.999999999999999999999999999999999E+6144" },
  int64: { $numberLong: "-9223372036854775808" },
  int32: { $numberInt: "-2147483648" },
  double: { $numberDouble: "-1.2345678921232E+18" },
  whole: { $numberDouble: "42.0" },
  nan: { $numberDouble: "NaN" },
  binary: { $binary: { base64: "aGk=", subType: "00" } },
  uuid: { $binary: { base64: "c//SZESzTGmQ6OfR38A11A==", subType: "04" } },
  ts: { $timestamp: { t: 1721140162, i: 7 } },
  nested: { a: [{ b: { $numberInt: "1" } }, { c: [] }], d: {} },
  list: [{ $numberInt: "1" }, { $numberInt: "2" }],
  mixed: [{ $numberInt: "1" }, "two"],
};

describe("Extended JSON types are kept exactly", () => {
  it("canonical: every type, 34-digit decimals and 64-bit integers digit for digit", () => {
    const row = rowOf(event(CANONICAL));
    expect(row.pk).toBe('{"oid":"669683c2b0750b2c84893f3e"}');
    // Text comparison: JSON.parse would round the big numbers.
    expect(row.data).toBe(
      '{"_id":"669683c2b0750b2c84893f3e","date":1721140162907,' +
        '"decimal":1234567890123456789012345678901234,' +
        '"small":0.000001234567890123456789012345678901234,"scaled":1.50,' +
        '"huge":9.999999999999999999999999999999999E+6144,' +
        '"int64":-9223372036854775808,"int32":-2147483648,"double":-1234567892123200000,' +
        '"whole":42,"nan":"NaN","binary":"aGk=","uuid":"73ffd264-44b3-4c69-90e8-e7d1dfc035d4",' +
        '"ts":{"t":1721140162,"i":7},"nested":{"a":[{"b":1},{"c":[]}],"d":{}},"list":[1,2]}',
    );
    // A top-level array of mixed types goes to aux, as DynamoDB's varied lists do.
    expect(row.aux).toBe('{"mixed":[1,"two"]}');
    expect(row.roundedNumbers).toBe(0);
  });

  it("relaxed Extended JSON and plain JSON give the same row where they carry the same values", () => {
    const relaxed = {
      _id: { $oid: "669683c2b0750b2c84893f3e" },
      date: { $date: "2024-07-16T14:29:22.907Z" },
      int32: -2147483648,
      double: 42.42,
      ts: { $timestamp: { t: 1721140162, i: 7 } },
    };
    const row = rowOf(event(relaxed));
    expect(row.data).toBe(
      '{"_id":"669683c2b0750b2c84893f3e","date":1721140162907,"int32":-2147483648,"double":42.42,"ts":{"t":1721140162,"i":7}}',
    );
  });

  it("number formats: CrateDB's double form counts what a double can not hold", () => {
    const row = rowOf(event(CANONICAL), DOUBLE);
    const data = row.data as string;
    expect(data).toContain('"int32":-2147483648.0');
    expect(data).toContain('"whole":42.0');
    expect(data).toContain('"scaled":1.5');
    // decimal, small, huge (Infinity as a double: kept as exact text), int64 do not fit a double exactly.
    expect(row.roundedNumbers).toBe(4);
    expect(() =>
      rowOf(event(CANONICAL), { numbers: "double-strict", keyNumbers: "double-strict" }),
    ).toThrow(/fullDocument\.decimal.*can not be held exactly by a double/);
    const text = rowOf(event(CANONICAL), { numbers: "string", keyNumbers: "exact" });
    expect(text.data).toContain('"decimal":"1234567890123456789012345678901234"');
  });

  it("the oid: ObjectId hex, a string itself, a number in its shortest form, else its JSON text", () => {
    const oid = (id: unknown) => JSON.parse(rowOf(event({ _id: id })).pk).oid;
    expect(oid({ $oid: "669683C2B0750B2C84893F3E" })).toBe("669683c2b0750b2c84893f3e");
    expect(oid("order-1")).toBe("order-1");
    expect(oid({ $numberInt: "7" })).toBe("7");
    expect(oid({ $numberDouble: "7.0" })).toBe("7");
    expect(oid({ $numberDecimal: "7.00" })).toBe("7");
    expect(oid({ a: { $numberInt: "1" } })).toBe('{"a":1}');
  });
});

describe("versions order the events of one document", () => {
  it("by cluster time, then the resume token; a copied document sorts before its cluster time's events", () => {
    const v = (t: number, i: number, token?: string) => mongoVersion(t, i, token);
    const ordered = [v(5, 0), v(5, 0, "82AA"), v(5, 0, "82AB"), v(5, 1), v(5, 10), v(6, 0)];
    expect([...ordered].sort()).toEqual(ordered);
    const row = rowOf(event({ _id: 1 }, { clusterTime: { $timestamp: { t: 5, i: 1 } } }));
    expect(row.version).toBe(v(5, 1, "8266A0000000000001"));
    expect(encodeMongoDocument({ _id: 1 }, v(5, 1), EXACT, "copy").version < row.version).toBe(
      true,
    );
  });
});

describe("operations", () => {
  it("update and replace upsert the full document; delete writes a tombstone", () => {
    const update = rowOf(event({ _id: 1, a: 2 }, { operationType: "update" }));
    expect(update).toMatchObject({ deleted: false, data: '{"_id":1,"a":2}' });
    expect(update.change.operation).toBe("modify");
    const del = rowOf({
      ...event({ _id: 1 }, { operationType: "delete" }),
      fullDocument: undefined,
    });
    expect(del).toMatchObject({ deleted: true, data: null, pk: '{"oid":"1"}' });
  });

  it("an update whose lookup found nothing changes no row (its delete follows)", () => {
    expect(
      decodeMongoRecord(
        { payload: event({ _id: 1 }, { operationType: "update", fullDocument: null }) },
        EXACT,
      ),
    ).toBeUndefined();
  });

  it("an update without fullDocument fails and names the fix", () => {
    const e = { ...event({ _id: 1 }, { operationType: "update" }), fullDocument: undefined };
    expect(() => rowOf(e)).toThrow(/fullDocument.*updateLookup/);
  });

  it("mongo-java-server's update events (the update in documentKey) take the _id of the full document", () => {
    const e = event({ _id: 3, x: 1 }, { operationType: "update", documentKey: { $set: { x: 1 } } });
    expect(rowOf(e).pk).toBe('{"oid":"3"}');
  });

  it("an Atlas trigger's event through EventBridge (plain JSON, clusterTime {T, I})", () => {
    const bridged = {
      version: "0",
      id: "d2fc426c-8814-3a84-7e80-3a18ec260661",
      "detail-type": "MongoDB Database Trigger for app-db.posts",
      source: "aws.partner/mongodb.com/stitch.trigger/614b4cb6b23f417e5e559c3f",
      account: "044086777883",
      time: "2021-09-23T16:30:23Z",
      region: "us-east-1",
      resources: [],
      detail: {
        _id: { _data: "82614CAB9F000000082B022C0100296E5A1004" },
        operationType: "insert",
        clusterTime: { T: 1632414623, I: 8 },
        fullDocument: { _id: "614cab95890e884a9264002a", title: "title 123" },
        ns: { db: "app-db", coll: "posts" },
        documentKey: { _id: "614cab95890e884a9264002a" },
      },
    };
    const row = rowOf(bridged);
    expect(row.pk).toBe('{"oid":"614cab95890e884a9264002a"}');
    expect(row.version).toBe(mongoVersion(1632414623, 8, "82614CAB9F000000082B022C0100296E5A1004"));
    expect(row.change.tableName).toBe("app-db.posts");
  });
});

describe("bad events fail alone, naming the field", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["not an object", "text", /must be a JSON object/],
    ["no clusterTime", { ...event({ _id: 1 }), clusterTime: undefined }, /clusterTime/],
    ["no _id anywhere", { ...event({ a: 1 }), documentKey: {} }, /documentKey\._id/],
    ["a bad ObjectId", event({ _id: { $oid: "xyz" } }), /documentKey\._id\.\$oid/],
    [
      "a bad decimal",
      event({ _id: 1, p: { $numberDecimal: "1.2.3" } }),
      /fullDocument\.p\.\$numberDecimal/,
    ],
    ["a bad date", event({ _id: 1, d: { $date: "yesterday" } }), /fullDocument\.d\.\$date/],
    [
      "bad base64",
      event({ _id: 1, b: { $binary: { base64: "!!", subType: "00" } } }),
      /fullDocument\.b\.\$binary/,
    ],
    [
      "deep in an array",
      event({ _id: 1, l: [1, { x: { $numberLong: "1e3" } }] }),
      /fullDocument\.l\[1\]\.x\.\$numberLong/,
    ],
  ];
  for (const [name, payload, message] of cases) {
    it(name, () => {
      expect(() => rowOf(payload)).toThrow(RecordError);
      expect(() => rowOf(payload)).toThrow(message);
    });
  }
});

describe("the change history keeps an update's description and the pre-image", () => {
  const update = (extra: Record<string, unknown>) =>
    event(
      { _id: { $numberInt: "7" }, status: "shipped", qty: { $numberLong: "3" } },
      {
        operationType: "update",
        ...extra,
      },
    );

  it("as JSON, Extended JSON types written exactly as in the document", () => {
    const row = rowOf(
      update({
        updateDescription: {
          updatedFields: {
            status: "shipped",
            qty: { $numberLong: "3" },
            "a.b": { $numberDecimal: "1.50" },
          },
          removedFields: ["note"],
          truncatedArrays: [{ field: "tags", newSize: { $numberInt: "1" } }],
        },
        fullDocumentBeforeChange: { _id: { $numberInt: "7" }, status: "placed", note: "x" },
      }),
    );
    const history = historyRow(row, EXACT);
    expect(history.updateDescription).toBe(
      '{"updatedFields":{"status":"shipped","qty":3,"a.b":1.50},"removedFields":["note"],' +
        '"truncatedArrays":[{"field":"tags","newSize":1}]}',
    );
    expect(history.oldImage).toBe('{"_id":7,"status":"placed","note":"x"}');
    expect(history.newImage).toBe('{"_id":7,"status":"shipped","qty":3}');
  });

  it("null where the event has neither (an insert; a collection without pre-images)", () => {
    const history = historyRow(rowOf(event({ _id: 1, a: 1 })), EXACT);
    expect(history.updateDescription).toBeNull();
    expect(history.oldImage).toBeNull();
    expect(
      historyRow(rowOf(update({ fullDocumentBeforeChange: null })), EXACT).oldImage,
    ).toBeNull();
  });

  it("a malformed description fails that change alone, naming the field", () => {
    const bad = rowOf(
      update({ updateDescription: { updatedFields: { qty: { $numberLong: "1e3" } } } }),
    );
    expect(() => historyRow(bad, EXACT)).toThrow(RecordError);
    expect(() => historyRow(bad, EXACT)).toThrow(
      /updateDescription\.updatedFields\.qty\.\$numberLong/,
    );
    const notADocument = rowOf(update({ updateDescription: "set status" }));
    expect(() => historyRow(notADocument, EXACT)).toThrow(/updateDescription: must be a document/);
  });
});
