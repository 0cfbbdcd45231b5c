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
 * `"tableName": "<plain text>"`, else `"eventSourceARN": "<plain text>"` (an
 * attribute of either name holds a `{...}` value; one inside a string has
 * escaped quotes). Null when the text is not plain enough to tell (escapes,
 * or the name found twice): then the parsed record decides.
 */
function tableInText(text: string): string | undefined | null {
  const name = plainMember(text, "tableName");
  if (name !== undefined) return name;
  // Escapes may spell either member's name.
  if (text.includes("\\u")) return null;
  const arn = plainMember(text, "eventSourceARN");
  return typeof arn === "string" ? TABLE_IN_ARN.exec(arn)?.[1] : arn;
}

/** A member's plain string value in JSON text: undefined when absent, null when unclear. */
function plainMember(text: string, member: string): string | undefined | null {
  const quoted = `"${member}"`;
  const at = text.indexOf(quoted);
  if (at < 0) return undefined;
  if (text.indexOf(quoted, at + 1) >= 0) return null;
  let i = at + quoted.length;
  while (text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i++) !== 58) return null;
  while (text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i) !== 34) return null;
  const end = text.indexOf('"', i + 1);
  if (end < 0) return null;
  const value = text.slice(i + 1, end);
  return value.includes("\\") ? null : value;
}
