// The source table of a record read in place from its text: a Kinesis Data
// Streams for DynamoDB record's `tableName`, a DynamoDB Streams record's
// `eventSourceARN`; the text is parsed only when it is not plain enough to
// tell (escapes, the name twice), so routing costs no JSON.parse a record.

import { describe, expect, it } from "vitest";
import { sourceTableOf } from "../../src/codec/source-table.ts";
import { countedTextRecord } from "../support/counted-text-record.ts";

const ARN = "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-07-11T00:00:00.000";

const counted = countedTextRecord;

describe("sourceTableOf", () => {
  it.each([
    [
      "Kinesis Data Streams for DynamoDB: tableName",
      `{"eventID":"1","tableName":"orders","dynamodb":{}}`,
    ],
    ["DynamoDB Streams: eventSourceARN", `{"eventID":"1","eventSourceARN":"${ARN}","dynamodb":{}}`],
    ["eventSourceARN with spaces", `{"eventID":"1", "eventSourceARN" : "${ARN}", "dynamodb":{}}`],
  ])("%s, read without parsing the text", (_, text) => {
    const { record, parses } = counted(text);
    expect(sourceTableOf(record)).toBe("orders");
    expect(parses()).toBe(0);
  });

  it("an ARN of another service names no table, without parsing", () => {
    const { record, parses } = counted(
      `{"eventSourceARN":"arn:aws:kinesis:eu-west-1:1:stream/orders","dynamodb":{}}`,
    );
    expect(sourceTableOf(record)).toBeUndefined();
    expect(parses()).toBe(0);
  });

  it.each([
    [
      "the name twice (an attribute named eventSourceARN)",
      `{"eventSourceARN":"${ARN}","dynamodb":{"NewImage":{"eventSourceARN":{"S":"x"}}}}`,
    ],
    [
      "escapes in the ARN",
      `{"eventSourceARN":"${ARN.replace("orders", "ord\\u0065rs")}","dynamodb":{}}`,
    ],
  ])("%s: the parsed record decides", (_, text) => {
    const { record, parses } = counted(text);
    expect(sourceTableOf(record)).toBe("orders");
    expect(parses()).toBe(1);
  });
});
