// Property tests of the codec (fast-check, seeded from FC_SEED): any item
// written by the AWS SDK's marshall survives a change record of either stream
// shape with its numbers exact; the number formats keep their promises; and no
// input, however broken, makes the codec throw anything but a RecordError.

// The SDK exports its NumberValue class as NumberValueImpl (NumberValue is the interface).
import { marshall, NumberValueImpl as NumberValue } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AttributeMap,
  canonicalKey,
  DynamoNumber,
  decodeSourceRecord,
  encodeRow,
  itemToNative,
  type NativeValue,
  type NumberFormat,
  parseChange,
  type RowFormat,
  sourceRecords,
} from "../../src/codec/index.ts";
import { RecordError } from "../../src/errors.ts";
import { cratedb, postgresql } from "../../src/sql/index.ts";
import {
  kinesisDynamoRecord,
  lambdaKinesisEvent,
  lambdaStreamsEvent,
  streamsRecord,
} from "../support/fixtures.ts";
import {
  decimalKey,
  type ExactJson,
  JsonNum,
  parseExact,
  roundTripsThroughDouble,
  significantDigits,
} from "./exact-json.ts";
import {
  decimalText,
  dynamoDouble,
  itemOf,
  MARSHALL,
  type NumberChoice,
  wireItem,
} from "./record-text.ts";

const SEED = Number(process.env.FC_SEED ?? 42);
fc.configureGlobal({ seed: SEED, numRuns: Number(process.env.FC_RUNS ?? 200) });
console.log(`codec properties: FC_SEED=${SEED} (set FC_SEED to replay another run)`);

// ---------------------------------------------------------------------------
// Items as an application writes them with the AWS SDK

const ANY_NUMBER: NumberChoice = { ints: fc.maxSafeInteger(), decimals: decimalText(38) };
/** Numbers a double holds exactly and JSON.parse reads back as the same value. */
const SHORT_NUMBER: NumberChoice = {
  ints: fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }),
  decimals: decimalText(15),
};

function itemArbitrary(numbers: NumberChoice): fc.Arbitrary<Record<string, unknown>> {
  return itemOf(numbers).chain((attributes) =>
    fc.string({ minLength: 1, maxLength: 10 }).map((id) => ({ id, ...attributes })),
  );
}

/** Set members: what identifies each (DynamoDB keeps one of equal members). */
function memberKey(member: unknown): string {
  if (member instanceof Uint8Array) return `b:${Buffer.from(member).toString("base64")}`;
  if (member instanceof NumberValue) return `n:${decimalKey(member.toString())}`;
  if (typeof member === "number") return `n:${decimalKey(String(member))}`;
  return `s:${String(member)}`;
}

function nativeKey(value: NativeValue): string {
  if (value instanceof DynamoNumber) return `n:${decimalKey(value.value)}`;
  return typeof value === "string" ? `s:${value}` : `?:${JSON.stringify(value)}`;
}

const CANONICAL = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?(?:E[+-][1-9]\d*)?$/;

/** Asserts that the decoded native value is the item's original value, numbers exact. */
function expectNative(ours: NativeValue, original: unknown, path: string): void {
  if (original instanceof NumberValue || typeof original === "number") {
    expect(ours, path).toBeInstanceOf(DynamoNumber);
    const exact = (ours as DynamoNumber).value;
    expect(exact, `${path}: canonical text`).toMatch(CANONICAL);
    expect(exact === "-0", path).toBe(false);
    expect(decimalKey(exact), `${path}: ${exact} vs ${String(original)}`).toBe(
      decimalKey(String(original)),
    );
  } else if (original instanceof Uint8Array) {
    expect(ours, path).toBe(Buffer.from(original).toString("base64"));
  } else if (original instanceof Set) {
    expect(Array.isArray(ours), path).toBe(true);
    const expected = [...new Set([...original].map(memberKey))].sort();
    const actual = (ours as NativeValue[]).map((m) =>
      typeof m === "string" && expected[0]?.startsWith("b:") ? `b:${m}` : nativeKey(m),
    );
    expect(actual.sort(), path).toEqual(expected);
  } else if (Array.isArray(original)) {
    expect(Array.isArray(ours), path).toBe(true);
    expect((ours as NativeValue[]).length, path).toBe(original.length);
    original.forEach((member, i) => {
      expectNative((ours as NativeValue[])[i] as NativeValue, member, `${path}[${i}]`);
    });
  } else if (original !== null && typeof original === "object") {
    const map = ours as Record<string, NativeValue>;
    expect(Object.keys(map).sort(), path).toEqual(Object.keys(original).sort());
    for (const [name, member] of Object.entries(original))
      expectNative(map[name] as NativeValue, member, `${path}.${name}`);
  } else {
    expect(ours, path).toBe(original);
  }
}

/** The item as JSON.parse should read our exact JSON (numbers of at most 15 digits). */
function plain(value: unknown): unknown {
  if (value instanceof NumberValue) return Number(value.toString());
  if (value === 0) return 0; // DynamoDB has no -0 (marshall writes it "0")
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (value instanceof Set) {
    const seen = new Map<string, unknown>();
    for (const member of value)
      if (!seen.has(memberKey(member))) seen.set(memberKey(member), plain(member));
    return [...seen.values()];
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, member]) => [name, plain(member)]));
  }
  return value;
}

const recordShapes = {
  "Kinesis Data Streams for DynamoDB (Lambda event, base64)": (image: AttributeMap) => {
    const record = kinesisDynamoRecord({
      keys: { id: image.id as AttributeMap[string] },
      newImage: image,
    });
    const [source] = sourceRecords(lambdaKinesisEvent([record]));
    return decodeSourceRecord(source as ReturnType<typeof sourceRecords>[number]);
  },
  "DynamoDB Streams (Lambda event)": (image: AttributeMap) => {
    const record = streamsRecord({
      eventName: "MODIFY",
      keys: { id: image.id as AttributeMap[string] },
      newImage: image,
    });
    // Through JSON text, as Lambda hands it over.
    const event = JSON.parse(JSON.stringify(lambdaStreamsEvent([record])));
    const [source] = sourceRecords(event);
    return decodeSourceRecord(source as ReturnType<typeof sourceRecords>[number]);
  },
};

// ---------------------------------------------------------------------------

describe("round trip: item -> marshall -> change record -> parseChange -> itemToNative", () => {
  it.each(Object.entries(recordShapes))("gives the item back, numbers exact (%s)", (_, decode) => {
    fc.assert(
      fc.property(itemArbitrary(ANY_NUMBER), (item) => {
        const change = decode(wireItem(item));
        expectNative(itemToNative(change.newImage as AttributeMap), item, "item");
        // and the row encodes (exact format) without loss of attributes
        const row = encodeRow(change, { numbers: "exact", keyNumbers: "exact" });
        const written = {
          ...(JSON.parse(row.data as string) as object),
          ...(JSON.parse(row.aux as string) as object),
        };
        expect(Object.keys(written).sort()).toEqual(
          Object.keys(item)
            .filter((n) => n !== "id")
            .sort(),
        );
        expect(JSON.parse(row.pk)).toEqual({ id: item.id });
      }),
    );
  });
});

describe("encodeRow number formats", () => {
  const format = (numbers: NumberFormat): RowFormat => ({ numbers, keyNumbers: "exact" });
  const changeOf = (item: Record<string, unknown>) => {
    const image = wireItem(item);
    return parseChange(
      kinesisDynamoRecord({ keys: { id: image.id as AttributeMap[string] }, newImage: image }),
    );
  };

  it('"exact": data and aux parse (JSON.parse) to the item\'s values when numbers have at most 15 digits', () => {
    fc.assert(
      fc.property(itemArbitrary(SHORT_NUMBER), (item) => {
        const row = encodeRow(changeOf(item), format("exact"));
        const data = JSON.parse(row.data as string) as Record<string, unknown>;
        const aux = JSON.parse(row.aux as string) as Record<string, unknown>;
        const { id: _, ...rest } = item;
        expect({ ...data, ...aux }).toEqual(plain(rest));
        // aux holds exactly the top-level lists whose members have different types
        for (const [name, value] of Object.entries(rest)) {
          const varied =
            Array.isArray(value) &&
            new Set(value.map((m) => Object.keys(marshall({ m }, MARSHALL).m as object)[0])).size >
              1;
          expect(Object.hasOwn(aux, name), name).toBe(varied);
        }
      }),
    );
  });

  it('"double" never writes a JSON integer literal, and counts the numbers it rounds', () => {
    fc.assert(
      fc.property(itemArbitrary(ANY_NUMBER), (item) => {
        const row = encodeRow(changeOf(item), format("double"));
        const numbers = [
          ...numbersIn(parseExact(row.data as string)),
          ...numbersIn(parseExact(row.aux as string)),
        ];
        for (const n of numbers) expect(n.isFloatLiteral, n.text).toBe(true);
        const originals = originalNumbers(item).filter((_, i) => i >= 0);
        const anyRounded = originals.some((t) => !roundTripsThroughDouble(t));
        expect(row.roundedNumbers > 0).toBe(anyRounded);
      }),
    );
  });

  it('"double-strict" throws a RecordError exactly when a number does not round-trip through a double', () => {
    const candidate = fc.oneof(
      decimalText(38),
      decimalText(17),
      dynamoDouble.map(String),
      fc.maxSafeInteger().map(String),
    );
    fc.assert(
      fc.property(candidate, (numberText) => {
        const record = kinesisDynamoRecord({
          keys: { id: { S: "k" } },
          newImage: { id: { S: "k" }, n: { N: numberText } },
          eventID: "e",
        });
        const change = parseChange(record);
        let error: unknown;
        try {
          encodeRow(change, format("double-strict"));
        } catch (e) {
          error = e;
        }
        const fits = roundTripsThroughDouble(numberText);
        expect(error === undefined, `${numberText}: round-trips ${fits}`).toBe(fits);
        if (error) {
          expect(error).toBeInstanceOf(RecordError);
          expect((error as RecordError).field).toBe("dynamodb.NewImage.n.N");
        } else {
          // and the value written is the number itself
          const written = (
            parseExact(encodeRow(change, format("double-strict")).data as string) as { n: JsonNum }
          ).n;
          expect(decimalKey(written.text)).toBe(decimalKey(numberText));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("the 15-digit boundary of the fast path agrees with the exact check", () => {
    for (const t of [
      "999999999999999",
      "9999999999999999",
      "0.1",
      "0.30000000000000004",
      "123456789012345.6",
      "-0.0",
    ]) {
      expect(significantDigits(t) <= 15 ? roundTripsThroughDouble(t) : true, t).toBe(true);
    }
    const row = (n: string) =>
      encodeRow(changeOf({ id: "k", n: new NumberValue(n) }), format("exact")).data;
    expect(row("-0.0")).toBe('{"n":0}');
    expect(row("1.50")).toBe('{"n":1.50}');
  });
});

function numbersIn(value: ExactJson): JsonNum[] {
  if (value instanceof JsonNum) return [value];
  if (Array.isArray(value)) return value.flatMap(numbersIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(numbersIn);
  return [];
}

function originalNumbers(value: unknown): string[] {
  if (value instanceof NumberValue) return [value.toString()];
  if (typeof value === "number") return [String(value)];
  if (value instanceof Uint8Array) return [];
  if (value instanceof Set) return [...value].flatMap(originalNumbers);
  if (Array.isArray(value)) return value.flatMap(originalNumbers);
  if (value !== null && typeof value === "object") {
    return Object.entries(value)
      .filter(([name]) => name !== "id")
      .flatMap(([, member]) => originalNumbers(member));
  }
  return [];
}

describe("canonicalKey", () => {
  it("is equal exactly when two keys name the same item, whatever the attribute order", () => {
    // Few, separator-like characters, so that different keys often look alike.
    const piece = fc.constantFrom("x", "\u0000", "\u0001", "S", "N", '"', ",", "sk");
    const keyValue = fc.oneof(
      fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => ({ S: p.join("") })),
      fc.constantFrom("1", "1.0", "01", "1e0", "10", "0.1", "-1").map((N) => ({ N })),
      fc.constantFrom("AA==", "AAE=").map((B) => ({ B })),
    );
    const key = fc.tuple(keyValue, keyValue);
    const same = (a: Record<string, string>, b: Record<string, string>) => {
      const [ta, va] = Object.entries(a)[0] as [string, string];
      const [tb, vb] = Object.entries(b)[0] as [string, string];
      return ta === tb && (ta === "N" ? decimalKey(va) === decimalKey(vb) : va === vb);
    };
    // Two different items whose values hold what a separator-based key would use.
    const sep = "\u0001sk\u0000S\u0000";
    expect(canonicalKey({ pk: { S: `x${sep}y` }, sk: { S: "z" } })).not.toBe(
      canonicalKey({ pk: { S: "x" }, sk: { S: `y${sep}z` } }),
    );
    fc.assert(
      fc.property(key, key, fc.boolean(), ([a1, b1], [a2, b2], swap) => {
        const k1 = { pk: a1, sk: b1 } as AttributeMap;
        const k2 = (swap ? { sk: b2, pk: a2 } : { pk: a2, sk: b2 }) as AttributeMap;
        expect(canonicalKey(k1) === canonicalKey(k2)).toBe(same(a1, a2) && same(b1, b2));
      }),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Garbage in: a RecordError or a result, never anything else

const FORMATS: RowFormat[] = [
  { numbers: "exact", keyNumbers: "exact" },
  { numbers: "string", keyNumbers: "string" },
  { numbers: "double", keyNumbers: "double-strict" },
  postgresql.rowFormat(),
  cratedb.rowFormat(),
];

/** Decodes a record every way a caller can; returns normally or throws RecordError only. */
function decodeAnyway(record: unknown): void {
  const change = parseChange(record, { ref: "garbage" });
  for (const format of FORMATS) {
    let row: ReturnType<typeof encodeRow>;
    try {
      row = encodeRow(change, format);
    } catch (error) {
      if (error instanceof RecordError) continue;
      throw error;
    }
    // What the codec accepts, it writes as valid JSON.
    JSON.parse(row.pk);
    if (row.data !== null) JSON.parse(row.data);
    if (row.aux !== null) JSON.parse(row.aux);
    expect(row.key.length).toBeGreaterThan(0);
  }
}

function expectOnlyRecordErrors(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof RecordError)) {
      throw new Error(`expected only RecordError, got ${String(error)}`, { cause: error });
    }
  }
}

/** Replaces, removes or wraps one node of a valid record, found by walking `steps`. */
function mutate(
  record: unknown,
  steps: number[],
  replacement: unknown,
  how: "replace" | "delete" | "wrap",
): unknown {
  const root = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
  let parent: Record<string, unknown> | unknown[] = root;
  let key: string | number | undefined;
  for (const step of steps) {
    const node: unknown =
      key === undefined ? root : (parent as Record<string | number, unknown>)[key];
    if (node === null || typeof node !== "object") break;
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    if (key !== undefined) parent = node as Record<string, unknown>;
    key = keys[step % keys.length];
  }
  if (key === undefined) return replacement;
  const p = parent as Record<string | number, unknown>;
  if (how === "delete") {
    if (Array.isArray(p)) p.splice(key as number, 1);
    else delete p[key];
  } else p[key] = how === "wrap" ? [p[key], replacement] : replacement;
  return root;
}

describe("garbage in", () => {
  const validRecord = itemArbitrary(ANY_NUMBER).chain((item) =>
    fc.constantFrom("INSERT", "MODIFY", "REMOVE").map((eventName) => {
      const image = wireItem(item);
      const spec = {
        eventName: eventName as "INSERT",
        keys: { id: image.id as AttributeMap[string] },
        newImage: image,
        oldImage: image,
      };
      return eventName === "MODIFY" ? streamsRecord(spec) : kinesisDynamoRecord(spec);
    }),
  );

  it("random JSON as a record: a Change, or a RecordError", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (junk) => {
        expectOnlyRecordErrors(() => decodeAnyway(junk));
        expectOnlyRecordErrors(() =>
          decodeAnyway({ eventSource: "aws:dynamodb", eventName: "INSERT", dynamodb: junk }),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it("a valid record with one part broken: a Change, or a RecordError", () => {
    fc.assert(
      fc.property(
        validRecord,
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        fc.oneof(
          fc.jsonValue(),
          fc.constantFrom(
            {},
            [],
            { S: 1 },
            { N: "x" },
            { M: null },
            { L: {} },
            { NS: [] },
            "",
            -1,
            1e300,
          ),
        ),
        fc.constantFrom("replace", "delete", "wrap"),
        (record, steps, replacement, how) => {
          expectOnlyRecordErrors(() => decodeAnyway(mutate(record, steps, replacement, how)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("random Lambda events: every record decodes or fails on its own with a RecordError", () => {
    const data = fc.oneof(
      fc.base64String(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(data, { maxLength: 5 }), fc.jsonValue(), (texts, junk) => {
        for (const input of [
          lambdaKinesisEvent(texts),
          { Records: junk },
          junk,
          { Records: [junk, { kinesis: junk }] },
        ]) {
          for (const source of sourceRecords(input))
            expectOnlyRecordErrors(() => decodeAnyway(decodeSourceRecordRaw(source)));
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** decodeSourceRecord, then the change's record again (decodeAnyway re-parses it). */
function decodeSourceRecordRaw(source: ReturnType<typeof sourceRecords>[number]): unknown {
  decodeSourceRecord(source);
  return source.payload;
}
