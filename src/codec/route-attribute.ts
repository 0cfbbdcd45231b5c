// The value a `--route` matches: attribute `name` of a change record, from its
// Keys, else its NewImage, else its OldImage, when it is a string (S) or a
// number (N, as its text). Read from the record's JSON text in place, as the
// codec reads the rest (json-scan.ts), so routing by attribute costs no
// JSON.parse a record; a text the scanner does not take as it is (escapes in
// a name, `\u` anywhere, text that is not JSON) is read from the parsed record,
// with the same answer.

import { BAIL, PLAIN, separator, skipValue, stringEnd, token, ws } from "./json-scan.ts";
import type { SourceRecord } from "./source-record.ts";

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

/** The same, from a parsed record. */
export function attributeInPayload(payload: unknown, name: string): string | undefined {
  const dynamodb = (payload as { dynamodb?: Record<string, unknown> } | null | undefined)?.dynamodb;
  if (typeof dynamodb !== "object" || dynamodb === null) return undefined;
  for (const image of IMAGES) {
    const av = (dynamodb[image] as Record<string, Record<string, unknown>> | undefined)?.[name];
    if (typeof av !== "object" || av === null) continue;
    const v = av.S ?? av.N;
    if (typeof v === "string") return v;
  }
  return undefined;
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
    if (av < 0 || s.charCodeAt(av) !== 123) continue;
    // av.S ?? av.N: S unless it is absent or null.
    let value = lastMember(s, av, "S");
    if (value < 0 || s.startsWith("null", value)) value = lastMember(s, av, "N");
    if (value >= 0 && s.charCodeAt(value) === 34) {
      const end = stringEnd(s, value);
      return token.kind === PLAIN
        ? s.slice(value + 1, end - 1)
        : (JSON.parse(s.slice(value, end)) as string);
    }
  }
  return undefined;
}

/**
 * Where the value of the object's (at `i`, its "{") last member named
 * `name` starts; -1 when it has none. Names with escapes are not compared
 * as they are: BAIL.
 */
function lastMember(s: string, i: number, name: string): number {
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
    if (matches) found = value;
    const next = separator(s, skipValue(s, value), 125);
    if (next < 0) return found;
    i = next;
  }
}
