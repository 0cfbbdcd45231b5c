// Bad change records and what the codec says about them (RecordError with the
// record's id and the exact field), plus the parts of a record that decide
// order and meaning: timestamps and their precision, TTL deletes, versions.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AttributeMap,
  type AttributeValue,
  decodeSourceRecord,
  encodeRow,
  itemToNative,
  MAX_DEPTH,
  parseChange,
  type RowFormat,
  sourceRecords,
} from "../../src/codec/index.ts";
import { transcode } from "../../src/codec/transcode.ts";
import { RecordError } from "../../src/errors.ts";
import {
  BASE_MILLIS,
  kinesisDynamoRecord,
  lambdaKinesisEvent,
  streamsRecord,
  TTL_IDENTITY,
} from "../support/fixtures.ts";

const EXACT: RowFormat = { numbers: "exact", keyNumbers: "exact" };
const KEYS: AttributeMap = { id: { S: "item-1" } };
const SEED = Number(process.env.FC_SEED ?? 42);

/** parseChange + encodeRow: the whole decode of one record. */
function decode(record: unknown, format: RowFormat = EXACT, ref?: string) {
  return encodeRow(parseChange(record, ref ? { ref } : {}), format);
}

function rejectionOf(fn: () => unknown): RecordError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RecordError);
    return error as RecordError;
  }
  throw new Error("expected a RecordError, but the record was accepted");
}

/** A Kinesis record whose NewImage holds `attributes` besides the key. */
function withImage(attributes: Record<string, unknown>, eventID = "evt-bad"): unknown {
  return kinesisDynamoRecord({
    keys: KEYS,
    newImage: { ...KEYS, ...(attributes as AttributeMap) },
    eventID,
  });
}

/** A valid Kinesis record with one part of it replaced. */
function withDynamodb(patch: Record<string, unknown>, eventID = "evt-bad"): unknown {
  const record = kinesisDynamoRecord({ keys: KEYS, eventID }) as unknown as {
    dynamodb: Record<string, unknown>;
  };
  return { ...record, dynamodb: { ...record.dynamodb, ...patch } };
}

interface BadCase {
  name: string;
  record: unknown;
  field: string | undefined;
  message: RegExp;
  format?: RowFormat;
}

const BAD_RECORDS: BadCase[] = [
  // attribute values
  {
    name: "N not a number",
    record: withImage({ price: { N: "12,50" } }),
    field: "dynamodb.NewImage.price.N",
    message: /not a DynamoDB number/,
  },
  {
    name: "N empty",
    record: withImage({ price: { N: "" } }),
    field: "dynamodb.NewImage.price.N",
    message: /not a DynamoDB number/,
  },
  {
    name: "N with 39 digits",
    record: withImage({ price: { N: "1".repeat(39) } }),
    field: "dynamodb.NewImage.price.N",
    message: /39 significant digits/,
  },
  {
    name: "N above 9.99E+125",
    record: withImage({ price: { N: "1E+126" } }),
    field: "dynamodb.NewImage.price.N",
    message: /outside DynamoDB's range/,
  },
  {
    name: "N below 1E-130",
    record: withImage({ price: { N: "9E-131" } }),
    field: "dynamodb.NewImage.price.N",
    message: /outside DynamoDB's range/,
  },
  {
    name: "N an object",
    record: withImage({ price: { N: {} } }),
    field: "dynamodb.NewImage.price.N",
    message: /decimal string/,
  },
  {
    name: "S in a list not a string",
    record: withImage({ tags: { L: [{ S: "a" }, { S: "b" }, { S: 3 }] } }),
    field: "dynamodb.NewImage.tags.L[2].S",
    message: /S must be a string/,
  },
  {
    name: "NS member in a nested map",
    record: withImage({ m: { M: { inner: { NS: ["1", "x"] } } } }),
    field: "dynamodb.NewImage.m.M.inner.NS[1]",
    message: /not a DynamoDB number/,
  },
  {
    name: "attribute name with a dot",
    record: withImage({ m: { M: { "a.b": { N: "x" } } } }),
    field: 'dynamodb.NewImage.m.M["a.b"].N',
    message: /not a DynamoDB number/,
  },
  {
    name: "attribute name with a space and quote",
    record: withImage({ 'say "hi"': { BOOL: "yes" } }),
    field: 'dynamodb.NewImage["say \\"hi\\""].BOOL',
    message: /BOOL must be true or false/,
  },
  {
    name: "attribute named like an index",
    record: withImage({ "[0]": { NULL: 1 } }),
    field: 'dynamodb.NewImage["[0]"].NULL',
    message: /NULL must be true/,
  },
  {
    name: "SS member not a string",
    record: withImage({ s: { SS: ["a", 1] } }),
    field: "dynamodb.NewImage.s.SS[1]",
    message: /SS members must be strings/,
  },
  {
    name: "BS member not base64",
    record: withImage({ s: { BS: ["AAE=", "not base64!"] } }),
    field: "dynamodb.NewImage.s.BS[1]",
    message: /base64/,
  },
  {
    name: "B not base64",
    record: withImage({ b: { B: "é" } }),
    field: "dynamodb.NewImage.b.B",
    message: /B must be base64 text/,
  },
  {
    name: "NULL false",
    record: withImage({ n: { NULL: false } }),
    field: "dynamodb.NewImage.n.NULL",
    message: /NULL must be true/,
  },
  {
    name: "BOOL a string",
    record: withImage({ t: { BOOL: "true" } }),
    field: "dynamodb.NewImage.t.BOOL",
    message: /BOOL must be true or false/,
  },
  {
    name: "M null",
    record: withImage({ m: { M: null } }),
    field: "dynamodb.NewImage.m.M",
    message: /a map must be an object/,
  },
  {
    name: "M an array",
    record: withImage({ m: { M: [] } }),
    field: "dynamodb.NewImage.m.M",
    message: /a map must be an object/,
  },
  {
    name: "L not an array",
    record: withImage({ l: { L: {} } }),
    field: "dynamodb.NewImage.l.L",
    message: /L must be an array/,
  },
  {
    name: "attribute null",
    record: withImage({ x: null }),
    field: "dynamodb.NewImage.x",
    message: /must be an object like/,
  },
  {
    name: "attribute {}",
    record: withImage({ x: {} }),
    field: "dynamodb.NewImage.x",
    message: /one type descriptor/,
  },
  {
    name: "two type descriptors",
    record: withImage({ x: { S: "a", N: "1" } }),
    field: "dynamodb.NewImage.x",
    message: /one type descriptor, got S, N/,
  },
  {
    name: "lower-case descriptor",
    record: withImage({ x: { s: "a" } }),
    field: "dynamodb.NewImage.x.s",
    message: /unknown type descriptor "s"/,
  },
  {
    name: "null in a list",
    record: withImage({ l: { L: [{ N: "1" }, null] } }),
    field: "dynamodb.NewImage.l.L[1]",
    message: /must be an object like/,
  },
  {
    name: "a number a double can not hold, format double-strict",
    record: withImage({ big: { N: "9007199254740993" } }),
    field: "dynamodb.NewImage.big.N",
    message: /can not be held exactly by a double/,
    format: { numbers: "double-strict", keyNumbers: "double-strict" },
  },
  // the key
  {
    name: "Keys missing",
    record: withDynamodb({ Keys: undefined }),
    field: "dynamodb.Keys",
    message: /missing/,
  },
  {
    name: "Keys empty",
    record: withDynamodb({ Keys: {} }),
    field: "dynamodb.Keys",
    message: /is empty/,
  },
  {
    name: "Keys an array",
    record: withDynamodb({ Keys: [] }),
    field: "dynamodb.Keys",
    message: /missing/,
  },
  {
    name: "key of type M",
    record: withDynamodb({ Keys: { id: { M: {} } } }),
    field: "dynamodb.Keys.id",
    message: /key attributes are S, N or B, got M/,
  },
  {
    name: "key S empty",
    record: withDynamodb({ Keys: { id: { S: "" } } }),
    field: "dynamodb.Keys.id",
    message: /non-empty/,
  },
  {
    name: "key N garbage",
    record: withDynamodb({ Keys: { id: { N: "NaN" } } }),
    field: "dynamodb.Keys.id",
    message: /not a DynamoDB number/,
  },
  {
    name: "key name with a dot",
    record: withDynamodb({ Keys: { "a.b": { B: "!" } } }),
    field: 'dynamodb.Keys["a.b"]',
    message: /base64/,
  },
  // the record
  {
    name: "eventSource wrong",
    record: { ...(withImage({}) as object), eventSource: "aws:kinesis" },
    field: "eventSource",
    message: /unknown eventSource "aws:kinesis"/,
  },
  {
    name: "eventName lower case",
    record: { ...(withImage({}) as object), eventName: "insert" },
    field: "eventName",
    message: /expected INSERT, MODIFY or REMOVE/,
  },
  {
    name: "dynamodb missing",
    record: { ...(withImage({}) as object), dynamodb: undefined },
    field: "dynamodb",
    message: /missing/,
  },
  {
    name: "NewImage an array",
    record: withDynamodb({ NewImage: [] }),
    field: "dynamodb.NewImage",
    message: /map of attribute values/,
  },
  {
    name: "OldImage a string",
    record: withDynamodb({ OldImage: "x" }),
    field: "dynamodb.OldImage",
    message: /map of attribute values/,
  },
  {
    name: "INSERT without NewImage",
    record: withDynamodb({ NewImage: undefined }),
    field: "dynamodb.NewImage",
    message:
      /KEYS_ONLY or OLD_IMAGE carries no new image; set the stream's view type to NEW_IMAGE or NEW_AND_OLD_IMAGES/,
  },
  {
    name: "MODIFY without NewImage from a KEYS_ONLY DynamoDB stream",
    record: streamsRecord({
      eventName: "MODIFY",
      keys: KEYS,
      newImage: null,
      streamViewType: "KEYS_ONLY",
      eventID: "evt-bad",
    }),
    field: "dynamodb.NewImage",
    message: /view type KEYS_ONLY carries no new image/,
  },
  {
    name: "Kinesis timestamp missing",
    record: withDynamodb({ ApproximateCreationDateTime: undefined }),
    field: "dynamodb.ApproximateCreationDateTime",
    message: /must be a number/,
  },
  {
    name: "Kinesis timestamp text",
    record: withDynamodb({ ApproximateCreationDateTime: "2024-07-12" }),
    field: "dynamodb.ApproximateCreationDateTime",
    message: /must be a number/,
  },
  {
    name: "Kinesis timestamp negative",
    record: withDynamodb({ ApproximateCreationDateTime: -1 }),
    field: "dynamodb.ApproximateCreationDateTime",
    message: /must be a number/,
  },
  {
    name: "Kinesis precision unknown",
    record: withDynamodb({ ApproximateCreationDateTimePrecision: "SECOND" }),
    field: "dynamodb.ApproximateCreationDateTimePrecision",
    message: /MILLISECOND or MICROSECOND/,
  },
  {
    name: "Streams SequenceNumber not digits",
    record: {
      ...streamsRecord({ keys: KEYS, eventID: "evt-bad" }),
      dynamodb: { ...streamsRecord({ keys: KEYS }).dynamodb, SequenceNumber: "12a" },
    },
    field: "dynamodb.SequenceNumber",
    message: /decimal string/,
  },
  {
    name: "N a JSON number (rounded by JSON.parse)",
    record: withImage({ big: { N: Number("12345678901234567890123") } }),
    field: "dynamodb.NewImage.big.N",
    message:
      /a JSON number \(1\.2345678901234568e\+22\), but DynamoDB writes a number as a decimal string/,
  },
  {
    name: "NS member a JSON number",
    record: withImage({ ns: { NS: ["1", 2] } }),
    field: "dynamodb.NewImage.ns.NS[1]",
    message: /DynamoDB writes a number as a decimal string/,
  },
  {
    name: "key N a JSON number",
    record: kinesisDynamoRecord({ keys: { id: { N: 7 } } as never, eventID: "evt-bad" }),
    field: "dynamodb.Keys.id",
    message: /DynamoDB writes a number as a decimal string/,
  },
  {
    name: "SS empty",
    record: withImage({ tags: { SS: [] } }),
    field: "dynamodb.NewImage.tags.SS",
    message: /SS is empty; DynamoDB has no empty set/,
  },
  {
    name: "NS empty",
    record: withImage({ n: { NS: [] } }),
    field: "dynamodb.NewImage.n.NS",
    message: /NS is empty/,
  },
  {
    name: "BS empty",
    record: withImage({ b: { BS: [] } }),
    field: "dynamodb.NewImage.b.BS",
    message: /BS is empty/,
  },
  {
    name: "SS duplicate member",
    record: withImage({ tags: { SS: ["a", "b", "a"] } }),
    field: "dynamodb.NewImage.tags.SS[2]",
    message: /duplicate set member "a"/,
  },
  {
    name: "NS members equal by value",
    record: withImage({ n: { NS: ["1", "1.0"] } }),
    field: "dynamodb.NewImage.n.NS[1]",
    message: /duplicate set member "1.0"/,
  },
  {
    name: "BS duplicate member",
    record: withImage({ b: { BS: ["AAE=", "AAE="] } }),
    field: "dynamodb.NewImage.b.BS[1]",
    message: /duplicate set member "AAE="/,
  },
  {
    name: "NewImage key disagrees with Keys",
    record: kinesisDynamoRecord({
      keys: KEYS,
      newImage: { id: { S: "item-2" }, a: { S: "x" } },
      eventID: "evt-bad",
    }),
    field: "dynamodb.NewImage.id",
    message: /key attribute disagrees with dynamodb.Keys/,
  },
  {
    name: "NewImage key of another type than in Keys",
    record: kinesisDynamoRecord({
      keys: { id: { N: "1" } },
      newImage: { id: { S: "1" } },
      eventID: "evt-bad",
    }),
    field: "dynamodb.NewImage.id",
    message: /key attribute disagrees with dynamodb.Keys/,
  },
  {
    name: "Streams record without SequenceNumber",
    record: {
      ...streamsRecord({ keys: KEYS, eventID: "evt-bad" }),
      dynamodb: { ...streamsRecord({ keys: KEYS }).dynamodb, SequenceNumber: undefined },
    },
    field: "dynamodb.SequenceNumber",
    message: /missing on a DynamoDB Streams record/,
  },
  {
    name: "Streams record without SequenceNumber, known by its StreamViewType alone",
    record: {
      ...streamsRecord({ keys: KEYS, eventID: "evt-bad" }),
      eventSourceARN: undefined,
      dynamodb: { ...streamsRecord({ keys: KEYS }).dynamodb, SequenceNumber: undefined },
    },
    field: "dynamodb.SequenceNumber",
    message: /missing on a DynamoDB Streams record/,
  },
  {
    name: "Streams timestamp missing",
    record: {
      ...streamsRecord({ keys: KEYS, eventID: "evt-bad" }),
      dynamodb: {
        ...streamsRecord({ keys: KEYS }).dynamodb,
        ApproximateCreationDateTime: undefined,
      },
    },
    field: "dynamodb.ApproximateCreationDateTime",
    message: /epoch seconds or an ISO timestamp, got nothing/,
  },
  {
    name: "Streams timestamp garbage",
    record: {
      ...streamsRecord({ keys: KEYS, eventID: "evt-bad" }),
      dynamodb: { ...streamsRecord({ keys: KEYS }).dynamodb, ApproximateCreationDateTime: "soon" },
    },
    field: "dynamodb.ApproximateCreationDateTime",
    message: /epoch seconds or an ISO timestamp/,
  },
];

describe("bad records are rejected with a RecordError naming the record and the field", () => {
  it.each(BAD_RECORDS.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const error = rejectionOf(() => decode(c.record, c.format));
    expect(error.record).toBe("evt-bad");
    expect(error.field).toBe(c.field);
    expect(error.message).toMatch(c.message);
    expect(error.message).toContain(`record evt-bad, field ${c.field}: `);
  });

  it.each(BAD_RECORDS.map((c) => [c.name, c] as const))(
    "%s: the one-pass transcoder leaves it to the path that names the field",
    (_, c) => {
      expect(transcode(JSON.stringify(c.record), {}, c.format ?? EXACT)).toBeUndefined();
    },
  );

  it("a NewImage that writes the key as Keys does (numbers by value) is accepted on both paths", () => {
    const record = kinesisDynamoRecord({
      keys: { id: { N: "10" } },
      newImage: { id: { N: "1E+1" }, a: { S: "x" } },
    });
    const slow = decode(record);
    const fast = transcode(JSON.stringify(record), {}, EXACT);
    expect(fast?.data).toBe(slow.data);
    expect(slow.data).toBe('{"a":"x"}');
  });

  it("names a record without an eventID by the caller's ref, or by its stream position", () => {
    const noId = { ...(withImage({ price: { N: "x" } }) as object), eventID: undefined };
    expect(rejectionOf(() => decode(noId, EXACT, "line 12")).record).toBe("line 12");
    expect(
      rejectionOf(() => encodeRow(parseChange(noId, { position: "4900" }), EXACT)).record,
    ).toBe("at 4900");
    expect(rejectionOf(() => decode(noId)).record).toBe("(unnamed)");
    // With both, the eventID comes first and the ref says where it was read.
    expect(
      rejectionOf(() => decode(withImage({ price: { N: "x" } }), EXACT, "line 12")).record,
    ).toBe("evt-bad (line 12)");
  });

  it("rejects things that are not records at all", () => {
    for (const junk of [null, 42, "INSERT", [], [withImage({})], true]) {
      const error = rejectionOf(() => parseChange(junk, { ref: "line 1" }));
      expect(error.record).toBe("line 1");
      expect(error.field).toBeUndefined();
      expect(error.message).toMatch(/must be a JSON object/);
    }
  });

  it("rejects undecodable Kinesis data per record, keeping the others and their positions", () => {
    const good = kinesisDynamoRecord({ keys: KEYS, eventID: "good" });
    const event = lambdaKinesisEvent([good, "{not json", good]);
    const records = sourceRecords(event);
    expect(records.map((r) => r.position)).toEqual(
      event.Records.map((r) => r.kinesis.sequenceNumber),
    );
    expect(decodeSourceRecord(records[0] as (typeof records)[number]).eventId).toBe("good");
    const error = rejectionOf(() => decodeSourceRecord(records[1] as (typeof records)[number]));
    expect(error.field).toBe("kinesis.data");
    expect(error.record).toBe("record 1");
    expect(decodeSourceRecord(records[2] as (typeof records)[number]).eventId).toBe("good");
  });

  it("keeps an attribute named like an Object.prototype member or __proto__", () => {
    // JSON.parse makes "__proto__" an ordinary member; so must the codec.
    const record = JSON.parse(
      JSON.stringify(
        kinesisDynamoRecord({
          keys: KEYS,
          newImage: { ...KEYS, constructor: { S: "c" }, toString: { N: "1" } },
        }),
      ).replace('"toString"', '"__proto__"'),
    );
    const change = parseChange(record);
    const row = encodeRow(change, EXACT);
    expect(JSON.parse(row.data as string)).toEqual(JSON.parse('{"constructor":"c","__proto__":1}'));
    const native = itemToNative(change.newImage as AttributeMap);
    expect(Object.keys(native).sort()).toEqual(["__proto__", "constructor", "id"]);
    expect(Object.getPrototypeOf(native)).toBe(Object.prototype);
  });
});

describe(`nesting: DynamoDB allows ${MAX_DEPTH} levels`, () => {
  /** An attribute value with `levels` nested documents (M or L alternating by `kind`). */
  function nested(levels: number, kind: "M" | "L" | "mixed"): AttributeValue {
    let value: AttributeValue = { S: "leaf" };
    for (let level = levels; level >= 1; level--) {
      const useList = kind === "L" || (kind === "mixed" && level % 2 === 0);
      value = useList ? { L: [value] } : { M: { a: value } };
    }
    return value;
  }

  it.each(["M", "L", "mixed"] as const)("accepts %s nested 32 deep and rejects 33", (kind) => {
    expect(MAX_DEPTH).toBe(32);
    const ok = decode(withImage({ deep: nested(32, kind) }));
    expect(ok.data).toContain('"leaf"');
    expect(itemToNative({ deep: nested(32, kind) }).deep).toBeDefined();
    const error = rejectionOf(() => decode(withImage({ deep: nested(33, kind) })));
    expect(error.message).toMatch(/nested deeper than DynamoDB's 32 levels/);
    expect(error.field).toMatch(/^dynamodb\.NewImage\.deep\.(M|L)/);
    // The path names the 33rd level: 32 steps down, then the offending container.
    expect(error.field?.match(/\.M|\.L/g)?.length).toBe(33);
  });
});

describe("timestamps", () => {
  const micros = (record: unknown) => parseChange(record).timestampMicros;

  it("reads Kinesis MILLISECOND and MICROSECOND precision", () => {
    expect(micros(kinesisDynamoRecord({ keys: KEYS, millis: 1_720_742_633_012 }))).toBe(
      1_720_742_633_012_000,
    );
    expect(micros(kinesisDynamoRecord({ keys: KEYS, micros: 1_720_742_633_012_345 }))).toBe(
      1_720_742_633_012_345,
    );
    // The field wins over the number of digits.
    expect(
      micros(
        kinesisDynamoRecord({ keys: KEYS, millis: 1_720_742_633_012, precision: "MICROSECOND" }),
      ),
    ).toBe(1_720_742_633_012);
  });

  it("infers the Kinesis precision from the digits when the field is absent (13 ms, 16 us)", () => {
    expect(
      micros(kinesisDynamoRecord({ keys: KEYS, millis: 1_720_742_633_012, precision: null })),
    ).toBe(1_720_742_633_012_000);
    expect(
      micros(kinesisDynamoRecord({ keys: KEYS, micros: 1_720_742_633_012_345, precision: null })),
    ).toBe(1_720_742_633_012_345);
  });

  it("reads DynamoDB Streams epoch seconds, Dates and ISO text (GetRecords)", () => {
    expect(micros(streamsRecord({ keys: KEYS, seconds: 1_720_742_633 }))).toBe(
      1_720_742_633_000_000,
    );
    const base = streamsRecord({ keys: KEYS });
    const iso = {
      ...base,
      dynamodb: { ...base.dynamodb, ApproximateCreationDateTime: "2024-07-12T00:03:53Z" },
    };
    expect(micros(iso)).toBe(1_720_742_633_000_000);
    const date = {
      ...base,
      dynamodb: { ...base.dynamodb, ApproximateCreationDateTime: new Date(BASE_MILLIS) },
    };
    expect(micros(date)).toBe(BASE_MILLIS * 1000);
  });
});

describe("TTL deletes", () => {
  it.each([
    [
      "Kinesis",
      (spec: { eventName: "REMOVE" | "INSERT"; ttl: boolean }) =>
        kinesisDynamoRecord({ keys: KEYS, ...spec }),
    ],
    [
      "DynamoDB Streams",
      (spec: { eventName: "REMOVE" | "INSERT"; ttl: boolean }) =>
        streamsRecord({ keys: KEYS, ...spec }),
    ],
  ])("are REMOVEs by the DynamoDB service (%s)", (_, make) => {
    const ttl = parseChange(make({ eventName: "REMOVE", ttl: true }));
    expect(ttl.operation).toBe("remove");
    expect(ttl.ttlDelete).toBe(true);
    expect(encodeRow(ttl, EXACT).deleted).toBe(true);
    expect(parseChange(make({ eventName: "REMOVE", ttl: false })).ttlDelete).toBe(false);
    expect(parseChange(make({ eventName: "INSERT", ttl: true })).ttlDelete).toBe(false);
  });

  it("needs both the Service type and the DynamoDB principal", () => {
    const record = (userIdentity: unknown) => ({
      ...kinesisDynamoRecord({ keys: KEYS, eventName: "REMOVE" }),
      userIdentity,
    });
    expect(parseChange(record({ ...TTL_IDENTITY })).ttlDelete).toBe(true);
    expect(
      parseChange(record({ type: "Service", principalId: "lambda.amazonaws.com" })).ttlDelete,
    ).toBe(false);
    expect(
      parseChange(record({ type: "User", principalId: "dynamodb.amazonaws.com" })).ttlDelete,
    ).toBe(false);
    expect(parseChange(record("Service")).ttlDelete).toBe(false);
    expect(parseChange(record(null)).ttlDelete).toBe(false);
  });
});

describe("versions order the changes of an item by byte comparison", () => {
  const sortsBefore = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) < 0;

  it("later Kinesis change -> greater version; same time -> greater Kinesis sequence wins", () => {
    const at = (micros: number, position?: string) =>
      parseChange(kinesisDynamoRecord({ keys: KEYS, micros }), { position }).version;
    expect(sortsBefore(at(1_720_742_633_012_345), at(1_720_742_633_012_346))).toBe(true);
    expect(sortsBefore(at(999_999), at(1_000_000))).toBe(true); // more digits, still later
    expect(sortsBefore(at(1_720_742_633_012_345, "99"), at(1_720_742_633_012_345, "100"))).toBe(
      true,
    );
    // A re-delivered duplicate: same change, same version.
    expect(at(5, "7")).toBe(at(5, "7"));
  });

  it("orders DynamoDB Streams sequence numbers numerically, whatever their length", () => {
    const at = (sequenceNumber: string, seconds = 1_720_742_633) =>
      parseChange(streamsRecord({ keys: KEYS, sequenceNumber, seconds })).version;
    expect(sortsBefore(at("99"), at("100"))).toBe(true);
    expect(sortsBefore(at("900000000000000000001"), at("1000000000000000000000"))).toBe(true);
    expect(sortsBefore(at("000123"), at("124"))).toBe(true);
    expect(at("000123")).toBe(at("123"));
  });

  it("matches (time, sequence) order for any two changes (property)", () => {
    console.log(`versions property: FC_SEED=${SEED}`);
    const change = fc.record({
      micros: fc.integer({ min: 0, max: 4_102_444_800_000_000 }), // up to 2100
      sequence: fc.bigInt({ min: 0n, max: 10n ** 40n - 1n }),
    });
    fc.assert(
      fc.property(change, change, (a, b) => {
        const version = (c: { micros: number; sequence: bigint }) =>
          parseChange(kinesisDynamoRecord({ keys: KEYS, micros: c.micros }), {
            position: String(c.sequence),
          }).version;
        const expected =
          a.micros !== b.micros
            ? a.micros < b.micros
            : a.sequence !== b.sequence
              ? a.sequence < b.sequence
              : false;
        expect(sortsBefore(version(a), version(b))).toBe(expected);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
