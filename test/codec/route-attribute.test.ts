// The attribute a --route matches, read from a record's text in place or from
// the change it decodes to, gives what the parsed record gives, whatever the
// layout of the text; the text is parsed only where the scanner does not take
// it as it is.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  attributeInPayload,
  changeAttribute,
  routeAttribute,
} from "../../src/codec/route-attribute.ts";
import { encodeSourceRecord } from "../../src/codec/source-record.ts";
import { TextRecord } from "../../src/codec/text-record.ts";
import { imageSpans } from "../../src/codec/transcode.ts";
import type { Change } from "../../src/codec/types.ts";
import { RecordError } from "../../src/errors.ts";
import { postgresql } from "../../src/sql/postgresql.ts";
import { countedTextRecord } from "../support/counted-text-record.ts";

const counted = countedTextRecord;

const attributeValue = fc.oneof(
  fc.record({ S: fc.oneof(fc.constantFrom("x", "y", 'q"uote', "sl/ash", "é"), fc.string()) }),
  fc.record({ N: fc.constantFrom("1", "-2.5", "1E+3") }),
  fc.record({ S: fc.constant(null), N: fc.constant("7") }),
  fc.record({ M: fc.record({ S: fc.constant("nested") }) }),
  fc.record({ BOOL: fc.boolean() }),
  fc.constant(null),
);
const image = fc.dictionary(fc.constantFrom("type", "id", "other", "Type"), attributeValue, {
  maxKeys: 3,
});
const record = fc.record(
  {
    eventID: fc.string(),
    dynamodb: fc.record({ Keys: image, NewImage: image, OldImage: image }, { requiredKeys: [] }),
  },
  { requiredKeys: ["dynamodb"] },
);

describe("routeAttribute", () => {
  it("gives what the parsed record gives, compact or indented", () => {
    fc.assert(
      fc.property(record, fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const { record: textRecord } = counted(text);
        expect(routeAttribute(textRecord, "type")).toBe(
          attributeInPayload(JSON.parse(text), "type"),
        );
      }),
      { numRuns: 500, seed: 11 },
    );
  });

  it("reads a plain record without parsing it", () => {
    const { record: r, parses } = counted(
      `{"eventID":"1","dynamodb":{"Keys":{"id":{"S":"a"}},"NewImage":{"id":{"S":"a"},"type":{"N":"12"},"big":{"L":[{"M":{"type":{"S":"inner"}}}]}}}}`,
    );
    expect(routeAttribute(r, "type")).toBe("12");
    expect(routeAttribute(r, "id")).toBe("a");
    expect(routeAttribute(r, "none")).toBeUndefined();
    expect(parses()).toBe(0);
  });

  it.each([
    [
      "the last of two members of one name, as JSON.parse keeps",
      `{"dynamodb":{"Keys":{"type":{"S":"first"},"type":{"S":"last"}}}}`,
      "last",
      0,
    ],
    ["an escaped quote in the value", `{"dynamodb":{"Keys":{"type":{"S":"a\\"b"}}}}`, 'a"b', 0],
    [
      "a name with an escape: parsed",
      `{"dynamodb":{"Keys":{"ty\\"pe":{"S":"x"},"type":{"S":"y"}}}}`,
      "y",
      1,
    ],
    ["\\u escapes: parsed", `{"dynamodb":{"Keys":{"typ\\u0065":{"S":"x"}}}}`, "x", 1],
  ])("%s", (_, text, expected, expectedParses) => {
    const { record: r, parses } = counted(text);
    expect(routeAttribute(r, "type")).toBe(expected);
    expect(parses()).toBe(expectedParses);
  });

  it("a text that is not JSON names no attribute", () => {
    const record = new TextRecord(`{"dynamodb":{"Keys":{"type":{"S":"x"}}`, { ref: "r" });
    expect(routeAttribute(record, "type")).toBeUndefined();
  });
});

describe("changeAttribute", () => {
  // Members as written, repeats allowed: JSON.parse keeps a name's last one.
  const members = fc.array(
    fc.tuple(fc.constantFrom("type", "id", "other", "typ\\u0065"), attributeValue),
    { maxLength: 4 },
  );
  const objectText = (pairs: [string, unknown][]) =>
    `{${pairs.map(([name, value]) => `"${name}":${JSON.stringify(value)}`).join(",")}}`;
  const changeText = fc.record(
    {
      eventName: fc.constantFrom("INSERT", "MODIFY", "REMOVE"),
      keyType: fc.option(fc.constantFrom("k", "x"), { nil: undefined }),
      newImage: fc.option(members, { nil: undefined }),
      oldImage: fc.option(members, { nil: undefined }),
    },
    { requiredKeys: ["eventName"] },
  );

  it("gives what the parsed record gives, read from the change the record decodes to", () => {
    let transcoded = 0;
    fc.assert(
      fc.property(changeText, ({ eventName, keyType, newImage, oldImage }) => {
        const keys: [string, unknown][] = [["id", { S: "a" }]];
        if (keyType !== undefined) keys.push(["type", { S: keyType }]);
        const image = (pairs: [string, unknown][]) =>
          objectText([...keys, ...pairs.filter(([name]) => name !== "id")]);
        const text = `{"eventID":"e","eventName":"${eventName}","eventSource":"aws:dynamodb","dynamodb":{"ApproximateCreationDateTime":1720742633000,"Keys":${objectText(keys)}${
          newImage ? `,"NewImage":${image(newImage)}` : ""
        }${oldImage ? `,"OldImage":${image(oldImage)}` : ""}}}`;
        const record = new TextRecord(text, { ref: "r" });
        let change: Change | undefined;
        try {
          encodeSourceRecord(record, postgresql.rowFormat(), (c) => {
            change = c;
          });
        } catch (error) {
          if (!(error instanceof RecordError)) throw error;
        }
        if (change === undefined) return;
        if (imageSpans(change)) transcoded++;
        expect(changeAttribute(record, change, "type")).toBe(
          attributeInPayload(JSON.parse(text), "type"),
        );
      }),
      { numRuns: 1000, seed: 12 },
    );
    // Most records take the transcoder's path, which reads the change's text.
    expect(transcoded).toBeGreaterThan(200);
  });
});
