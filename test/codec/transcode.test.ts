// The one-pass transcoder (src/codec/transcode.ts) against the slow path it
// stands in for: for any valid change record text, transcode gives exactly
// encodeRow(parseChange(JSON.parse(text))) - every column byte for byte and
// every Change field - in every number format, or it bails (and bails are
// rare on realistic records). Broken text never makes it throw nor answer
// where the slow path would not. Properties are seeded from FC_SEED.

import { readFileSync } from "node:fs";
import { inspect, isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { generateCorpus } from "../../bench/corpus.ts";
import {
  type Change,
  type EncodedRow,
  type Envelope,
  encodeRow,
  encodeSourceRecord,
  parseChange,
  type RowFormat,
  type SourceRecord,
  sourceRecords,
  TextRecord,
  transcode,
} from "../../src/codec/index.ts";
import { RecordError } from "../../src/errors.ts";
import { cratedb, postgresql } from "../../src/sql/index.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { changeRecord, mutate, mutation, textStyle, writeJson } from "./record-text.ts";

const SEED = Number(process.env.FC_SEED ?? 42);
fc.configureGlobal({ seed: SEED, numRuns: Number(process.env.FC_RUNS ?? 200) });
console.log(`transcoder properties: FC_SEED=${SEED} (set FC_SEED to replay another run)`);

const FORMATS: RowFormat[] = [
  { numbers: "exact", keyNumbers: "exact" },
  { numbers: "double", keyNumbers: "double-strict" },
  { numbers: "double-strict", keyNumbers: "double-strict" },
  { numbers: "string", keyNumbers: "string" },
  postgresql.rowFormat(),
  cratedb.rowFormat(),
];

/** Every field of a Change, read by name (the transcoder's images are lazy accessors). */
function changeFields(change: Change): Record<keyof Change, unknown> {
  return {
    operation: change.operation,
    source: change.source,
    tableName: change.tableName,
    eventId: change.eventId,
    keys: change.keys,
    newImage: change.newImage,
    oldImage: change.oldImage,
    version: change.version,
    timestampMicros: change.timestampMicros,
    position: change.position,
    ttlDelete: change.ttlDelete,
    ref: change.ref,
    mongo: change.mongo,
  };
}

function rowFields(row: EncodedRow) {
  return { ...row, change: changeFields(row.change) };
}

/**
 * Both rows are the same: node's deep strict equality (prototypes, undefined
 * members, -0). Not toStrictEqual: it compares `constructor` members, and
 * attribute maps may hold an attribute named "constructor".
 */
function expectSameRow(actual: EncodedRow, expected: EncodedRow): void {
  const a = rowFields(actual);
  const b = rowFields(expected);
  if (!isDeepStrictEqual(a, b)) {
    expect(a).toEqual(b); // shows the difference
    throw new Error(`rows differ: ${inspect(a, { depth: 8 })}\nvs ${inspect(b, { depth: 8 })}`);
  }
}

/** The slow path: its row, or the error it throws. */
function slowPath(text: string, envelope: Envelope, format: RowFormat): EncodedRow | Error {
  try {
    return encodeRow(parseChange(JSON.parse(text), envelope), format);
  } catch (error) {
    return error as Error;
  }
}

const tally = { records: 0, refused: 0, bails: 0, mutants: 0, mutantAnswers: 0 };
afterAll(() => {
  const checks = tally.records * FORMATS.length;
  console.log(
    `transcoder: ${tally.records} valid record texts x ${FORMATS.length} formats: ` +
      `${tally.refused} refused by the slow path too (numbers a double can not hold, ` +
      `in format double-strict), ${tally.bails} other bails ` +
      `(${((tally.bails / Math.max(1, checks)) * 100).toFixed(1)}%); ` +
      `${tally.mutants} mutated texts, ${tally.mutantAnswers} answered by the transcoder`,
  );
});

/**
 * The transcoder equals the slow path, or bails: "same", "bail" (the slow
 * path takes the record) or "refused" (the slow path refuses it too, as it
 * may refuse valid JSON: a number a double can not hold in format
 * double-strict; then the transcoder must bail).
 */
function expectSameOrBail(
  text: string,
  envelope: Envelope,
  format: RowFormat,
): "same" | "bail" | "refused" {
  let fast: EncodedRow | undefined;
  expect(() => {
    fast = transcode(text, envelope, format);
  }).not.toThrow();
  const slow = slowPath(text, envelope, format);
  if (fast === undefined) return slow instanceof Error ? "refused" : "bail";
  if (slow instanceof Error) {
    throw new Error(`the transcoder answered where the slow path says: ${slow.message}`);
  }
  expectSameRow(fast, slow);
  return "same";
}

describe("transcode equals the slow path on valid records", () => {
  it("for any record of either stream shape and any operation, in every number format, however written", () => {
    fc.assert(
      fc.property(
        changeRecord,
        textStyle,
        fc.option(fc.bigInt({ min: 1n, max: 10n ** 56n }).map(String), { nil: undefined }),
        (record, style, position) => {
          const text = writeJson(record, style);
          const envelope: Envelope = { ref: "line 7", position };
          tally.records++;
          for (const format of FORMATS) {
            const outcome = expectSameOrBail(text, envelope, format);
            if (outcome === "bail") tally.bails++;
            else if (outcome === "refused") tally.refused++;
          }
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 500) },
    );
    // Valid records are the transcoder's business: it must take nearly all
    // that the slow path takes, however odd (the corpus test below bounds
    // bails on realistic records).
    expect(tally.bails).toBeLessThan(tally.records * FORMATS.length * 0.02);
  });

  it("bails on under 1% of the benchmark corpus (bench/corpus.ts), and equals the slow path on the rest", () => {
    const lines = generateCorpus(3000, 7);
    let bails = 0;
    for (const [i, line] of lines.entries()) {
      for (const format of [postgresql.rowFormat(), cratedb.rowFormat()]) {
        if (expectSameOrBail(line, { ref: `line ${i + 1}` }, format) !== "same") bails++;
      }
    }
    expect(bails / (lines.length * 2)).toBeLessThan(0.01);
  });

  it("on every conformance vector of the reference (test/fixtures/commons-codec), or bails", () => {
    const dir = new URL("../fixtures/commons-codec/", import.meta.url);
    let checked = 0;
    for (const file of [
      "dynamodb-cases.json",
      "dynamodb-edge-cases.json",
      "dynamodb-aux-cases.json",
    ]) {
      for (const vector of JSON.parse(readFileSync(new URL(file, dir), "utf8")) as {
        kind: string;
        input: { dynamodb?: Record<string, unknown> } | null;
      }[]) {
        if (vector.kind !== "cdc") continue;
        // As conformance.test.ts does: a timestamp where the reference's vector has none.
        const input = vector.input;
        const d = input?.dynamodb;
        const record =
          d && typeof d === "object" && d.ApproximateCreationDateTime === undefined
            ? { ...input, dynamodb: { ...d, ApproximateCreationDateTime: BASE_MILLIS } }
            : input;
        for (const format of FORMATS) expectSameOrBail(JSON.stringify(record), {}, format);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe("transcode on broken text", () => {
  it("a mutated record: never throws, and answers only what the slow path answers", () => {
    fc.assert(
      fc.property(
        changeRecord,
        textStyle,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (record, style, mutations) => {
          const text = mutate(writeJson(record, style), mutations);
          tally.mutants++;
          let answered = false;
          for (const format of FORMATS) {
            if (expectSameOrBail(text, { ref: "mutant" }, format) === "same") answered = true;
          }
          if (answered) tally.mutantAnswers++;
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 2000) },
    );
  });

  it("random text and random JSON: never throws, answers only what the slow path answers", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          for (const format of FORMATS) expectSameOrBail(text, {}, format);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("what the transcoder leaves to the slow path", () => {
  const record = (patch: Record<string, unknown> = {}, dynamodb: Record<string, unknown> = {}) => {
    const base = kinesisDynamoRecord({
      keys: { id: { S: "k" } },
      newImage: { id: { S: "k" }, n: { N: "1.5" }, s: { S: "a/b" } },
      eventID: "evt-1",
    }) as unknown as Record<string, unknown>;
    return {
      ...base,
      ...patch,
      dynamodb: { ...(base.dynamodb as object), ...dynamodb },
    };
  };
  const EXACT: RowFormat = { numbers: "exact", keyNumbers: "exact" };
  const fast = (text: string) => transcode(text, { ref: "t" }, EXACT);

  it("takes a plain record", () => {
    const text = JSON.stringify(record());
    expect(fast(text)?.data).toBe('{"n":1.5,"s":"a/b"}');
    expect(expectSameOrBail(text, { ref: "t" }, EXACT)).toBe("same");
  });

  it("copies or recodes strings as JSON.stringify writes them", () => {
    // `\/`, `\u0041` and `\u001F` are valid JSON that JSON.stringify writes as
    // "/", "A" and `\u001f`; a lone surrogate gets an escape.
    const text = JSON.stringify(record())
      .replace('"a/b"', '"a\\/b\\u0041\\u001f\\u001F\\ud800\\n"')
      .replace('"n":', '"\\u006e":');
    const row = fast(text);
    expect(row?.data).toBe('{"n":1.5,"s":"a/bA\\u001f\\u001f\\ud800\\n"}');
    expect(expectSameOrBail(text, { ref: "t" }, EXACT)).toBe("same");
  });

  it.each([
    ["a Lambda event", JSON.stringify({ Records: [record()] })],
    ["a Kinesis record around the change", JSON.stringify({ ...record(), kinesis: { data: "" } })],
    [
      "a repeated field",
      JSON.stringify(record()).replace('"eventName":', '"eventName":"REMOVE","eventName":'),
    ],
    [
      "a repeated attribute name",
      JSON.stringify(record()).replace('"n":{"N":"1.5"}', '"n":{"N":"1.5"},"n":{"N":"2"}'),
    ],
    ["a lowercase descriptor", JSON.stringify(record()).replace('{"N":"1.5"}', '{"n":"1.5"}')],
    [
      "an attribute value with two descriptors",
      JSON.stringify(record()).replace('{"N":"1.5"}', '{"N":"1.5","S":"x"}'),
    ],
    ["a number as a JSON number", JSON.stringify(record()).replace('{"N":"1.5"}', '{"N":1.5}')],
    ["a missing eventSource", JSON.stringify(record({ eventSource: undefined }))],
    [
      "a MODIFY without NewImage",
      JSON.stringify(record({ eventName: "MODIFY" }, { NewImage: undefined })),
    ],
    ["trailing text", `${JSON.stringify(record())} x`],
    ["a byte order mark", `\ufeff${JSON.stringify(record())}`],
    ["invalid JSON", JSON.stringify(record()).slice(0, -1)],
  ])("bails on %s", (_, text) => {
    expect(fast(text)).toBeUndefined();
  });

  it("writes attributes named like array indexes first, in numeric order, as a JS object lists them", () => {
    const text = JSON.stringify(
      record(
        {},
        { NewImage: { b: { N: "1" }, "10": { N: "2" }, id: { S: "k" }, "9": { N: "3" } } },
      ),
    );
    expect(fast(text)?.data).toBe('{"9":3,"10":2,"b":1}');
    expect(expectSameOrBail(text, { ref: "t" }, EXACT)).toBe("same");
  });

  it("keeps members named __proto__ or constructor as JSON.parse does (own members)", () => {
    const text = JSON.stringify(record())
      .replace('"eventName":', '"__proto__":{"eventID":"not mine"},"eventName":')
      .replace(
        '"n":{"N":"1.5"}',
        '"__proto__":{"M":{"__proto__":{"S":"p"}}},"constructor":{"N":"1"}',
      );
    expect(fast(text)?.data).toBe('{"__proto__":{"__proto__":"p"},"constructor":1,"s":"a/b"}');
    expect(expectSameOrBail(text, { ref: "t" }, EXACT)).toBe("same");
  });

  it("bails beyond DynamoDB's 32 levels of nesting, takes 32", () => {
    const nested = (levels: number) => {
      let value: unknown = { S: "deep" };
      for (let i = 0; i < levels; i++) value = i % 2 ? { M: { m: value } } : { L: [value] };
      return record({}, { NewImage: { id: { S: "k" }, deep: value } });
    };
    expect(expectSameOrBail(JSON.stringify(nested(32)), { ref: "t" }, EXACT)).toBe("same");
    expect(fast(JSON.stringify(nested(33)))).toBeUndefined();
    expect(slowPath(JSON.stringify(nested(33)), { ref: "t" }, EXACT)).toBeInstanceOf(RecordError);
  });
});

describe("encodeSourceRecord: the codec's entry point", () => {
  const EXACT: RowFormat = { numbers: "exact", keyNumbers: "exact" };

  it("gives the slow path's row for a TextRecord, or its RecordError", () => {
    fc.assert(
      fc.property(
        changeRecord,
        textStyle,
        fc.array(mutation, { maxLength: 2 }),
        (value, style, mutations) => {
          const text = mutate(writeJson(value, style), mutations);
          const envelope = { ref: "line 3", position: "42" };
          const slow = slowPath(text, envelope, EXACT);
          let row: EncodedRow | Error;
          try {
            row = encodeSourceRecord(new TextRecord(text, envelope), EXACT);
          } catch (error) {
            row = error as Error;
          }
          if (slow instanceof SyntaxError) {
            // Not JSON: the record's own error, as replay reports an unreadable line.
            expect(row).toBeInstanceOf(RecordError);
            expect((row as RecordError).message).toMatch(/not JSON/);
          } else if (slow instanceof Error) {
            expect(row).toBeInstanceOf(RecordError);
            expect((row as Error).message).toBe(slow.message);
          } else {
            expectSameRow(row as EncodedRow, slow);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("parses the text only when the transcoder bails", () => {
    const good = JSON.stringify(kinesisDynamoRecord({ keys: { id: { S: "k" } }, eventID: "good" }));
    let parsed = 0;
    const decode = (text: string): SourceRecord => {
      parsed++;
      return { payload: JSON.parse(text) };
    };
    const row = encodeSourceRecord(new TextRecord(good, {}, { decode }), EXACT);
    expect(parsed).toBe(0);
    expect(row.change.eventId).toBe("good");
    const odd = good.replace(
      '"NewImage":{"id":{"S":"k"}}',
      '"NewImage":{"id":{"S":"k"},"x":{"L":[{"S":"a","S":"b"}]}}',
    );
    const slow = encodeSourceRecord(new TextRecord(odd, {}, { decode }), EXACT);
    expect(parsed).toBe(1);
    expect(slow.data).toBe('{"x":["b"]}'); // JSON.parse keeps the last of repeated names
  });

  it("runs the check on the Change before encoding, on either path", () => {
    const checked: string[] = [];
    const check = (change: Change) => {
      checked.push(change.ref);
    };
    const good = JSON.stringify(kinesisDynamoRecord({ keys: { id: { S: "k" } }, eventID: "good" }));
    const bad = good
      .replace('"eventID":"good"', '"eventID":"bad"')
      .replace('"NewImage":{"id":{"S":"k"}}', '"NewImage":{"id":{"S":"k"},"x":{"N":"nope"}}');
    encodeSourceRecord(new TextRecord(good, {}), EXACT, check);
    expect(() => encodeSourceRecord(new TextRecord(bad, {}), EXACT, check)).toThrow(RecordError);
    expect(checked).toEqual(["good", "bad"]);
  });

  it("unwraps Lambda Kinesis events into TextRecords, parsed only when needed", () => {
    const change = kinesisDynamoRecord({ keys: { id: { S: "k" } }, eventID: "lambda" });
    const event = lambdaKinesisEvent([change, "{ not json"]);
    const [good, bad] = sourceRecords(event);
    expect(good).toBeInstanceOf(TextRecord);
    const row = encodeSourceRecord(good as SourceRecord, EXACT);
    expect(row.change.eventId).toBe("lambda");
    expect(row.change.position).toBe((good as SourceRecord).position);
    expectSameRow(row, encodeRow(parseChange(change, good as SourceRecord), EXACT));
    expect((good as SourceRecord).payload).toEqual(change);
    const error = (() => {
      try {
        encodeSourceRecord(bad as SourceRecord, EXACT);
      } catch (e) {
        return e as RecordError;
      }
    })();
    expect(error).toBeInstanceOf(RecordError);
    expect(error?.field).toBe("kinesis.data");
    // A dead letter keeps what arrived: the Kinesis record itself.
    expect((bad as SourceRecord).payload).toEqual(event.Records[1]);
  });
});
