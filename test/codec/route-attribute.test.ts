// The attribute a --route matches, read from a record's text in place, gives
// what the parsed record gives, whatever the layout of the text; the text is
// parsed only where the scanner does not take it as it is.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { attributeInPayload, routeAttribute } from "../../src/codec/route-attribute.ts";
import { TextRecord } from "../../src/codec/text-record.ts";
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
