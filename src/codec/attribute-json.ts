// Writes DynamoDB attribute values as JSON text in one pass, validating as it
// goes. Going straight from the wire form to JSON text keeps every number
// exact (no detour through a JS number) and is what makes the codec fast.

import {
  canonicalNumber,
  type NumberFormat,
  NumberProblem,
  writeNumber,
  writeShortNumber,
} from "./decimal.ts";
import { FieldProblem } from "./field-problem.ts";

/** DynamoDB nests documents at most 32 levels deep. */
export const MAX_DEPTH = 32;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What a write needs besides the value, and what it reports back. */
export interface JsonWriteContext {
  numbers: NumberFormat;
  /** How many numbers were rounded to a double (number format `double`). */
  rounded: number;
}

/**
 * The single type descriptor of an attribute value (`S`, `N`, `M`, ...), or a
 * FieldProblem when the value is not a one-key object.
 */
export function typeOf(av: unknown): string {
  if (typeof av !== "object" || av === null || Array.isArray(av)) {
    throw new FieldProblem(
      `an attribute value must be an object like {"S": "text"}, got ${describe(av)}`,
    );
  }
  let tag: string | undefined;
  let count = 0;
  for (const key in av) {
    tag = key;
    count++;
  }
  if (count !== 1 || tag === undefined) {
    throw new FieldProblem(
      count === 0
        ? "an attribute value must have one type descriptor (S, N, B, BOOL, NULL, M, L, SS, NS, BS), got {}"
        : `an attribute value must have one type descriptor, got ${Object.keys(av).join(", ")}`,
    );
  }
  return tag;
}

/**
 * A string as JSON text. Most strings need no escaping, and a scan for the
 * characters that do is cheaper than JSON.stringify; the rest (quotes,
 * backslashes, control characters, surrogates) go to JSON.stringify.
 */
export function quoteString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) {
      return JSON.stringify(text);
    }
  }
  return `"${text}"`;
}

// Attribute names repeat in every record of a table: their JSON text (as a
// member prefix, `"name":`) is kept. Names from JSON.parse are internalised
// strings, so a lookup is cheap.
const memberPrefixes = new Map<string, string>();
const MAX_MEMBER_PREFIXES = 10_000;

/** `"name":` for an attribute name: its JSON text and the colon, from a bounded cache. */
export function memberPrefix(name: string): string {
  // Long names (up to 64 KB in DynamoDB) are rare; keeping them would let the cache grow large.
  if (name.length > 64) return `${quoteString(name)}:`;
  let prefix = memberPrefixes.get(name);
  if (prefix === undefined) {
    prefix = `${quoteString(name)}:`;
    if (memberPrefixes.size >= MAX_MEMBER_PREFIXES) memberPrefixes.clear();
    memberPrefixes.set(name, prefix);
  }
  return prefix;
}

/** Writes one attribute value as JSON text. */
export function writeValue(av: unknown, ctx: JsonWriteContext, depth: number): string {
  const tag = typeOf(av);
  const value = (av as Record<string, unknown>)[tag];
  try {
    switch (tag) {
      case "S":
        if (typeof value !== "string")
          throw new FieldProblem(`S must be a string, got ${describe(value)}`);
        return quoteString(value);
      case "N":
        return writeNumberValue(value, ctx);
      case "BOOL":
        if (typeof value !== "boolean")
          throw new FieldProblem(`BOOL must be true or false, got ${describe(value)}`);
        return value ? "true" : "false";
      case "NULL":
        if (value !== true) throw new FieldProblem(`NULL must be true, got ${describe(value)}`);
        return "null";
      case "B":
        return `"${binary(value)}"`; // base64 needs no escaping
      case "M":
        return writeMap(value, ctx, depth + 1);
      case "L":
        return writeList(value, ctx, depth + 1);
      case "SS":
      case "BS":
        return stringSet(value, tag);
      case "NS":
        return numberSet(value, ctx);
      default:
        throw new FieldProblem(
          `unknown type descriptor ${JSON.stringify(tag)}; DynamoDB's are S, N, B, BOOL, NULL, M, L, SS, NS, BS`,
        );
    }
  } catch (error) {
    return FieldProblem.within(error, tag);
  }
}

/** Writes a map of attribute values (an `M`, or a whole image) as a JSON object. */
export function writeMap(map: unknown, ctx: JsonWriteContext, depth: number): string {
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new FieldProblem(`a map must be an object of attribute values, got ${describe(map)}`);
  }
  if (depth > MAX_DEPTH)
    throw new FieldProblem(`nested deeper than DynamoDB's ${MAX_DEPTH} levels`);
  let out = "{";
  for (const name in map) {
    let value: string;
    try {
      value = writeValue((map as Record<string, unknown>)[name], ctx, depth);
    } catch (error) {
      return FieldProblem.within(error, name);
    }
    out += out.length === 1 ? memberPrefix(name) + value : `,${memberPrefix(name)}${value}`;
  }
  return `${out}}`;
}

function writeList(list: unknown, ctx: JsonWriteContext, depth: number): string {
  if (!Array.isArray(list)) throw new FieldProblem(`L must be an array, got ${describe(list)}`);
  if (depth > MAX_DEPTH)
    throw new FieldProblem(`nested deeper than DynamoDB's ${MAX_DEPTH} levels`);
  let out = "[";
  for (let i = 0; i < list.length; i++) {
    let value: string;
    try {
      value = writeValue(list[i], ctx, depth);
    } catch (error) {
      return FieldProblem.within(error, i);
    }
    out += i === 0 ? value : `,${value}`;
  }
  return `${out}]`;
}

/** Writes the value of an `N` in the context's format, counting a rounding. */
export function writeNumberValue(value: unknown, ctx: JsonWriteContext): string {
  const short = writeShortNumber(value, ctx.numbers);
  if (short !== undefined) return short;
  try {
    const written = writeNumber(value, ctx.numbers);
    if (written.rounded) ctx.rounded++;
    return written.json;
  } catch (error) {
    if (error instanceof NumberProblem) throw new FieldProblem(error.message);
    throw error;
  }
}

/** Validates base64 text (binary travels as base64 in change records). */
export function binary(value: unknown): string {
  if (typeof value !== "string" || !BASE64.test(value)) {
    throw new FieldProblem(`B must be base64 text, got ${describe(value)}`);
  }
  return value;
}

// Sets are unordered, never empty and hold no duplicates: DynamoDB refuses
// both, so a record that has either was not written by DynamoDB and is
// refused, never repaired.
export function stringSet(value: unknown, tag: string): string {
  if (!Array.isArray(value))
    throw new FieldProblem(`${tag} must be an array, got ${describe(value)}`);
  if (value.length === 0) throw new FieldProblem(`${tag} is empty; DynamoDB has no empty set`);
  for (let i = 0; i < value.length; i++) {
    const member = value[i];
    try {
      if (tag === "BS") binary(member);
      else if (typeof member !== "string") {
        throw new FieldProblem(`SS members must be strings, got ${describe(member)}`);
      }
    } catch (error) {
      FieldProblem.within(error, i);
    }
  }
  const members = value as string[];
  if (members.length > 1 && new Set(members).size !== members.length) {
    const at = members.findIndex((m, i) => members.indexOf(m) !== i);
    FieldProblem.within(
      new FieldProblem(
        `duplicate set member ${describe(members[at])}; a DynamoDB set holds each once`,
      ),
      at,
    );
  }
  let out = "[";
  for (const member of members)
    out += out.length === 1 ? quoteString(member) : `,${quoteString(member)}`;
  return `${out}]`;
}

export function numberSet(value: unknown, ctx: JsonWriteContext): string {
  if (!Array.isArray(value)) throw new FieldProblem(`NS must be an array, got ${describe(value)}`);
  if (value.length === 0) throw new FieldProblem("NS is empty; DynamoDB has no empty set");
  const seen = new Set<string>();
  let out = "[";
  for (let i = 0; i < value.length; i++) {
    try {
      const canonical = canonicalNumber(value[i]);
      if (seen.has(canonical)) {
        throw new FieldProblem(
          `duplicate set member ${describe(value[i])}; a DynamoDB set holds each number once`,
        );
      }
      seen.add(canonical);
      out += (seen.size === 1 ? "" : ",") + writeNumberValue(canonical, ctx);
    } catch (error) {
      if (error instanceof NumberProblem) FieldProblem.within(new FieldProblem(error.message), i);
      FieldProblem.within(error, i);
    }
  }
  return `${out}]`;
}

/** A short description of an unexpected value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing (the field is missing)";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    return value.length > 40 ? `${JSON.stringify(value.slice(0, 40))}...` : JSON.stringify(value);
  }
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
