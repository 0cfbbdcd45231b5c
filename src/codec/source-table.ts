// The DynamoDB table a change record comes from, found without decoding it:
// Kinesis Data Streams for DynamoDB records name it in `tableName`, DynamoDB
// Streams records in their stream's `eventSourceARN`
// (arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>). GetRecords
// returns records without it (the stream is one table's); the relay's source
// adds its stream's ARN, as the Lambda event has it (streams-record.ts).

import type { SourceRecord } from "./source-record.ts";

const TABLE_IN_ARN = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\//;

/** The source table of a record, or undefined when it names none (or can not be read). */
export function sourceTableOf(record: SourceRecord): string | undefined {
  if (record.text !== undefined) {
    const fromText = tableInText(record.text);
    if (fromText !== null) return fromText;
  }
  if (record.error) return undefined;
  return tableInPayload(record.payload);
}

/** The table a parsed change record names. */
export function tableInPayload(payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const p = payload as { tableName?: unknown; eventSourceARN?: unknown };
  if (typeof p.tableName === "string") return p.tableName;
  if (typeof p.eventSourceARN === "string") return TABLE_IN_ARN.exec(p.eventSourceARN)?.[1];
  return undefined;
}

/**
 * The table named in a record's JSON text, read in place: a top-level
 * `"tableName": "<plain text>"` (an attribute of that name holds a `{...}`
 * value; one inside a string has escaped quotes). Null when the text is not
 * plain enough to tell (escapes, or the name found twice): then the parsed
 * record decides.
 */
function tableInText(text: string): string | undefined | null {
  const at = text.indexOf('"tableName"');
  if (at < 0) return text.includes('"eventSourceARN"') || text.includes("\\u") ? null : undefined;
  if (text.indexOf('"tableName"', at + 1) >= 0) return null;
  const match = /^"tableName"\s*:\s*"([^"\\]*)"/.exec(text.slice(at, at + 400));
  return match ? (match[1] as string) : null;
}
