// U+0000 (the NUL character) in a change, for a database that can not store
// it: PostgreSQL refuses it in text and in jsonb ("unsupported Unicode escape
// sequence"), which names neither the character nor the attribute. DynamoDB
// strings, names and set members may hold it. The encoded row's JSON texts
// spell U+0000 as the escape `\u0000`, so the usual row is passed by three
// substring searches; only a row whose text holds that escape is walked, to
// name the attribute (or to find that the escape was an escaped backslash).

import { RecordError } from "../errors.ts";
import { appendSegment } from "./field-problem.ts";
import type { EncodedRow } from "./row.ts";
import type { AttributeMap, AttributeValue } from "./types.ts";

const NUL_ESCAPE = "\\u0000";

/** Throws the RecordError naming the first attribute that holds U+0000, if any does. */
export function refuseNul(row: EncodedRow, database: string): void {
  if (
    !row.pk.includes(NUL_ESCAPE) &&
    !row.data?.includes(NUL_ESCAPE) &&
    !row.aux?.includes(NUL_ESCAPE)
  )
    return;
  const { change } = row;
  const field =
    nulInMap(change.keys, "dynamodb.Keys") ??
    (change.newImage ? nulInMap(change.newImage, "dynamodb.NewImage") : undefined) ??
    // A change without an image (a MongoDB event) is written from its document:
    // the row's columns name the field.
    (nulInJson(JSON.parse(row.pk), "") === undefined ? undefined : "_id") ??
    nulInJson(row.data === null ? null : JSON.parse(row.data), "document") ??
    nulInJson(row.aux === null ? null : JSON.parse(row.aux), "document");
  if (field === undefined) return;
  throw new RecordError(
    change.ref,
    field,
    `holds U+0000 (the NUL character), which ${database} can not store in text or jsonb`,
  );
}

function nulInMap(map: AttributeMap, path: string): string | undefined {
  for (const name in map) {
    const at = appendSegment(path, name);
    if (name.includes("\0")) return at;
    const found = nulInValue(map[name] as AttributeValue, at);
    if (found) return found;
  }
  return undefined;
}

function nulInValue(av: AttributeValue, path: string): string | undefined {
  if ("S" in av) return av.S.includes("\0") ? `${path}.S` : undefined;
  if ("SS" in av) {
    const i = av.SS.findIndex((s) => s.includes("\0"));
    return i < 0 ? undefined : `${path}.SS[${i}]`;
  }
  if ("M" in av) return nulInMap(av.M, `${path}.M`);
  if ("L" in av) {
    for (let i = 0; i < av.L.length; i++) {
      const found = nulInValue(av.L[i] as AttributeValue, `${path}.L[${i}]`);
      if (found) return found;
    }
  }
  // N, NS, B and BS are digits and base64; BOOL and NULL hold no text.
  return undefined;
}

function nulInJson(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return value.includes("\0") ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulInJson(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  for (const [name, member] of Object.entries(value)) {
    const at = appendSegment(path, name);
    if (name.includes("\0")) return at;
    const found = nulInJson(member, at);
    if (found) return found;
  }
  return undefined;
}
