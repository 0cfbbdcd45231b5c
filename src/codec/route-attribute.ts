// The value a `--route` matches: attribute `name` of a change record, from its
// Keys, else its NewImage, else its OldImage, when it is a string (S) or a
// number (N, as its text). Read without parsing the record, as the codec
// reads the rest: from the record's decoded change where there is one (its
// Keys are read already, and the transcoder has found NewImage's names
// distinct, so a name's first member is the one), else from the record's
// JSON text in place (json-scan.ts). A text the scanner does not take as it
// is (escapes in a name, `\u` anywhere, text that is not JSON) is read from
// the parsed record, with the same answer.

import { BAIL, PLAIN, separator, skipValue, stringEnd, token, ws } from "./json-scan.ts";
import type { SourceRecord } from "./source-record.ts";
import { imageSpans } from "./transcode.ts";
import type { Change } from "./types.ts";

const IMAGES = ["Keys", "NewImage", "OldImage"] as const;

/** The S or N text of attribute `name` in Keys, else NewImage, else OldImage; undefined if none. */
export function routeAttribute(record: SourceRecord, name: string): string | undefined {
  if (record.text !== undefined && !record.text.includes("\\u")) {
    try {
      return attributeInText(record.text, name);
    } catch (error) {
      if (error !== BAIL) throw error;
    }
  }
  if (record.error) return undefined;
  return attributeInPayload(record.payload, name);
}

/**
 * The same, for a record that decoded to `change` (a DynamoDB change record):
 * no scan of the whole record, no object built.
 */
export function changeAttribute(
  record: SourceRecord,
  change: Change,
  name: string,
): string | undefined {
  const spans = imageSpans(change);
  // Not transcoded: the slow path has parsed the record already.
  if (spans === undefined) return attributeInPayload(record.payload, name);
  // The transcoder's Keys are the record's, as JSON.parse builds them.
  const key = avValue(change.keys[name]);
  if (key !== undefined) return key;
  const s = spans.text;
  try {
    if (spans.newImageStart >= 0) {
      const at = spans.newImageRead
        ? firstMember(s, spans.newImageStart, name)
        : lastMember(s, spans.newImageStart, name);
      const value = at < 0 ? undefined : avText(s, at);
      if (value !== undefined) return value;
    }
    if (spans.oldImageStart >= 0) {
      const at = lastMember(s, spans.oldImageStart, name);
      if (at >= 0) return avText(s, at);
    }
    return undefined;
  } catch (error) {
    if (error !== BAIL) throw error;
    return attributeInPayload(record.payload, name);
  }
}

/** The same, from a parsed record. */
export function attributeInPayload(payload: unknown, name: string): string | undefined {
  const dynamodb = (payload as { dynamodb?: Record<string, unknown> } | null | undefined)?.dynamodb;
  if (typeof dynamodb !== "object" || dynamodb === null) return undefined;
  for (const image of IMAGES) {
    const value = avValue((dynamodb[image] as Record<string, unknown> | null | undefined)?.[name]);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** An attribute value's S, else N, when that is a string. */
function avValue(av: unknown): string | undefined {
  if (typeof av !== "object" || av === null) return undefined;
  const v = (av as Record<string, unknown>).S ?? (av as Record<string, unknown>).N;
  return typeof v === "string" ? v : undefined;
}

function attributeInText(s: string, name: string): string | undefined {
  const start = ws(s, 0);
  if (s.charCodeAt(start) !== 123) throw BAIL;
  // JSON.parse keeps a name's last member: so does every lookup here.
  const dynamodb = lastMember(s, start, "dynamodb");
  if (dynamodb < 0 || s.charCodeAt(dynamodb) !== 123) return undefined;
  for (const image of IMAGES) {
    const at = lastMember(s, dynamodb, image);
    if (at < 0 || s.charCodeAt(at) !== 123) continue;
    const av = lastMember(s, at, name);
    if (av < 0) continue;
    const value = avText(s, av);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The attribute value at `av` (its text) as avValue reads the parsed value. */
function avText(s: string, av: number): string | undefined {
  if (s.charCodeAt(av) !== 123) return undefined;
  // av.S ?? av.N: S unless it is absent or null.
  let value = lastMember(s, av, "S");
  if (value < 0 || s.startsWith("null", value)) value = lastMember(s, av, "N");
  if (value < 0 || s.charCodeAt(value) !== 34) return undefined;
  const end = stringEnd(s, value);
  return token.kind === PLAIN
    ? s.slice(value + 1, end - 1)
    : (JSON.parse(s.slice(value, end)) as string);
}

/**
 * Where the value of the object's (at `i`, its "{") last member named
 * `name` starts; -1 when it has none. Names with escapes are not compared
 * as they are: BAIL.
 */
function lastMember(s: string, i: number, name: string): number {
  return member(s, i, name, false);
}

/**
 * The same for an object whose names are known to be distinct: the first
 * member of the name, found without reading the members after it.
 */
function firstMember(s: string, i: number, name: string): number {
  return member(s, i, name, true);
}

function member(s: string, i: number, name: string, first: boolean): number {
  let found = -1;
  i = ws(s, i + 1);
  if (s.charCodeAt(i) === 125) return found;
  for (;;) {
    if (s.charCodeAt(i) !== 34) throw BAIL;
    const end = stringEnd(s, i);
    if (token.kind !== PLAIN) throw BAIL;
    const matches = end - i - 2 === name.length && s.startsWith(name, i + 1);
    i = ws(s, end);
    if (s.charCodeAt(i) !== 58) throw BAIL;
    const value = ws(s, i + 1);
    if (matches) {
      if (first) return value;
      found = value;
    }
    const next = separator(s, skipValue(s, value), 125);
    if (next < 0) return found;
    i = next;
  }
}
