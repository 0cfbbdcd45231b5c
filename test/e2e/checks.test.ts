// The tools the end-to-end verdicts rest on: the exact JSON reader, the
// item/row comparison (it must catch one wrong digit in 38), and the bridge's
// fault injector (it reorders and duplicates, but never loses a record).

import { describe, expect, it } from "vitest";
import { parseChange } from "../../src/codec/parse-change.ts";
import { InternalError } from "../../src/errors.ts";
import { FaultInjector } from "../../src/local/bridge/bridge-faults.ts";
import { wireStreamsRecord } from "../../src/source/streams-record.ts";
import { JsonNumber, parseExactJson } from "../../src/verify/exact-json.ts";
import { compareTable, normalDecimal, type SinkRow } from "../../src/verify/item-compare.ts";

const row = (pk: string, data: string, aux = "{}"): SinkRow => ({
  pk: parseExactJson(pk),
  data: parseExactJson(data),
  aux: parseExactJson(aux),
});

describe("parseExactJson", () => {
  it("keeps numbers as written and decodes everything else as JSON.parse does", () => {
    const text =
      '{"n": 12345678901234567890.123456789012345678, "s": "a\\"b\\u00e9", "l": [1E-130, true, null], "__proto__": {"x": -0.5}}';
    const value = parseExactJson(text) as Record<string, unknown>;
    expect(value.n).toEqual(new JsonNumber("12345678901234567890.123456789012345678"));
    expect(value.s).toBe('a"bé');
    expect(value.l).toEqual([new JsonNumber("1E-130"), true, null]);
    expect(Object.keys(value)).toEqual(["n", "s", "l", "__proto__"]);
    expect(() => parseExactJson('{"a": 1} x')).toThrow(InternalError);
  });
});

describe("compareTable", () => {
  const keyNames = ["id"];
  const item = {
    id: { S: "a" },
    n: { N: "12345678901234567890.123456789012345678" },
    tiny: { N: "1E-130" },
    tags: { SS: ["x", "y"] },
    nums: { NS: ["1.50", "2"] },
    none: { NULL: true as const },
    mixed: { L: [{ S: "s" }, { N: "1" }] },
    m: { M: { b: { B: "AAE=" }, deep: { L: [{ BOOL: false }] } } },
  };
  const good = row(
    '{"id": "a"}',
    '{"n": 12345678901234567890.123456789012345678, "tiny": 0.' +
      "0".repeat(129) +
      '1, "tags": ["y", "x"], "nums": [2, 1.5], "none": null, "m": {"b": "AAE=", "deep": [false]}}',
    '{"mixed": ["s", 1]}',
  );

  it("matches equal values written differently: numbers by value, sets in any order, NULL as null, mixed lists in aux", () => {
    expect(compareTable([item], [good], { keyNames })).toMatchObject({
      match: true,
      missing: [],
      extra: [],
      different: [],
    });
  });

  it("catches one wrong digit in 38, a number sent as a string, a missing attribute, a missing row and an extra row", () => {
    const wrongDigit = row(
      '{"id": "a"}',
      '{"n": 12345678901234567890.123456789012345679, "tiny": 1E-130, "tags": ["x", "y"], "nums": [1.5, 2], "none": null, "m": {"b": "AAE=", "deep": [false]}}',
      '{"mixed": ["s", 1]}',
    );
    expect(compareTable([item], [wrongDigit], { keyNames }).different).toEqual([
      {
        key: "a",
        differences: [
          "n: DynamoDB 12345678901234567890.123456789012345678, sink 12345678901234567890.123456789012345679",
        ],
      },
    ]);
    const asString = row(
      '{"id": "a"}',
      '{"n": "12345678901234567890.123456789012345678", "tiny": 1E-130, "tags": ["x", "y"], "nums": [1.5, 2], "none": null, "m": {"b": "AAE=", "deep": [false]}}',
      '{"mixed": ["s", 1]}',
    );
    expect(compareTable([item], [asString], { keyNames }).match).toBe(false);
    expect(compareTable([item], [asString], { keyNames, numbersAsStrings: true }).match).toBe(true);
    const lacking = row(
      '{"id": "a"}',
      '{"n": 12345678901234567890.123456789012345678, "tiny": 1E-130, "tags": ["x", "y"], "nums": [1.5, 2], "m": {"b": "AAE=", "deep": [false]}}',
      '{"mixed": ["s", 1]}',
    );
    expect(compareTable([item], [lacking], { keyNames }).different[0]?.differences).toEqual([
      "none: DynamoDB null, sink has no such attribute",
    ]);
    const result = compareTable([item, { id: { S: "b" } }], [good, row('{"id": "c"}', "{}")], {
      keyNames,
    });
    expect(result).toMatchObject({ match: false, missing: ["b"], extra: ["c"] });
  });

  it("normalDecimal gives equal values equal text, and different values different text", () => {
    expect(normalDecimal("1.50")).toBe(normalDecimal("15E-1"));
    expect(normalDecimal("-0.000")).toBe("0");
    expect(normalDecimal("100")).toBe(normalDecimal("1E+2"));
    expect(normalDecimal("1.5000000000000000001")).not.toBe(normalDecimal("1.5"));
  });
});

describe("FaultInjector", () => {
  it("duplicates, swaps and delays records, the same way for the same seed, and loses none", () => {
    const run = () => {
      const injector = new FaultInjector<number>({
        seed: 7,
        duplicates: 0.2,
        swaps: 0.3,
        delays: 0.2,
      });
      const out: number[] = [];
      for (let batch = 0; batch < 20; batch++)
        out.push(...injector.apply(Array.from({ length: 10 }, (_, i) => batch * 10 + i)));
      out.push(...injector.flush());
      return { out, stats: injector.stats };
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(new Set(first.out)).toEqual(new Set(Array.from({ length: 200 }, (_, i) => i)));
    expect(first.out.length).toBe(200 + first.stats.duplicated);
    expect(first.stats.duplicated).toBeGreaterThan(20);
    expect(first.stats.swapped).toBeGreaterThan(20);
    expect(first.stats.delayed).toBeGreaterThan(20);
    expect(first.out).not.toEqual([...first.out].sort((a, b) => a - b));
  });
});

describe("wireStreamsRecord", () => {
  it("gives GetRecords' userIdentity {Type, PrincipalId} the Lambda shape, so a TTL delete read from DynamoDB Streams is one", () => {
    // As the AWS SDK returns a GetRecords record of a delete by TTL (FACTS section 1).
    const record = wireStreamsRecord({
      eventID: "1",
      eventName: "REMOVE",
      eventSource: "aws:dynamodb",
      userIdentity: { PrincipalId: "dynamodb.amazonaws.com", Type: "Service" },
      dynamodb: {
        ApproximateCreationDateTime: new Date(1_700_000_000_000),
        Keys: { id: { S: "a" } },
        OldImage: { id: { S: "a" }, blob: { B: new Uint8Array([1, 2]) } },
        SequenceNumber: "000000000000000000001",
      },
    });
    expect(record.userIdentity).toEqual({ type: "Service", principalId: "dynamodb.amazonaws.com" });
    expect(record.dynamodb).toMatchObject({
      ApproximateCreationDateTime: 1_700_000_000,
      OldImage: { blob: { B: "AQI=" } },
    });
    expect(parseChange(record).ttlDelete).toBe(true);
    const byUser = wireStreamsRecord({ eventName: "REMOVE", dynamodb: {} });
    expect(byUser).not.toHaveProperty("userIdentity");
  });
});
