// Writes MongoDB documents in Extended JSON (canonical or relaxed, as the
// driver's EJSON.serialize and Atlas triggers write them, or plain JSON as an
// Atlas trigger sends by default) as the JSON text of the `data` column, in
// one pass. Every BSON type keeps its value exactly; numbers go through the
// sink's number format like DynamoDB numbers (docs/SEMANTICS.md, "MongoDB").
//
//   ObjectId            -> its 24 hex digits, as text
//   Date                -> milliseconds since the epoch, an integer
//   Int32, Int64        -> the integer, exactly (a number in the sink's format)
//   Double              -> the double; NaN and +-Infinity as the text "NaN", "Infinity", "-Infinity"
//   Decimal128          -> its exact decimal (34 digits); NaN and +-Infinity as text
//   Binary              -> base64 text; subtype 4 (UUID) as the UUID's text
//   Timestamp           -> {"t": seconds, "i": increment}
//   Regular expression  -> "/pattern/options"
//   Code                -> its text; code with scope -> {"$code": ..., "$scope": {...}}
//   Symbol              -> its text; MinKey, MaxKey -> "MinKey()", "MaxKey()"; undefined -> null
//   documents, arrays   -> objects and arrays of the above

import { describe, memberPrefix, quoteString } from "./attribute-json.ts";
import type { NumberFormat } from "./decimal.ts";
import { FieldProblem } from "./field-problem.ts";

/** MongoDB nests documents at most 100 levels deep. */
export const MAX_DOCUMENT_DEPTH = 100;

export interface EjsonWriteContext {
  numbers: NumberFormat;
  /** Numbers rounded to a double (number format `double`). */
  rounded: number;
}

const HEX24 = /^[0-9a-fA-F]{24}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$|^([+-]?)\.(\d+)(?:[eE]([+-]?\d+))?$/;
const INTEGER = /^-?\d{1,20}$/;

/** Writes one Extended JSON value as the JSON text the sink stores. */
export function writeEjson(value: unknown, ctx: EjsonWriteContext, depth: number): string {
  switch (typeof value) {
    case "string":
      return quoteString(value);
    case "number":
      // Plain JSON (relaxed Extended JSON, an Atlas trigger's default): a double already.
      return writeDouble(value, ctx);
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return writeArray(value, ctx, depth + 1);
      return writeObject(value as Record<string, unknown>, ctx, depth);
    default:
      throw new FieldProblem(`not a JSON value: ${describe(value)}`);
  }
}

function writeArray(list: unknown[], ctx: EjsonWriteContext, depth: number): string {
  if (depth > MAX_DOCUMENT_DEPTH)
    throw new FieldProblem(`nested deeper than MongoDB's ${MAX_DOCUMENT_DEPTH} levels`);
  let out = "[";
  for (let i = 0; i < list.length; i++) {
    let json: string;
    try {
      json = writeEjson(list[i], ctx, depth);
    } catch (error) {
      return FieldProblem.within(error, i);
    }
    out += i === 0 ? json : `,${json}`;
  }
  return `${out}]`;
}

function writeObject(doc: Record<string, unknown>, ctx: EjsonWriteContext, depth: number): string {
  let first: string | undefined;
  for (const key in doc) {
    first = key;
    break;
  }
  // A type wrapper's (only, or first) key starts with "$"; a document may too (a DBRef's "$ref").
  if (first !== undefined && first.charCodeAt(0) === 36) {
    const typed = writeTyped(doc, first, ctx, depth);
    if (typed !== undefined) return typed;
  }
  return writeDocument(doc, ctx, depth + 1);
}

/** Writes a document's members, each through writeEjson. */
export function writeDocument(
  doc: Record<string, unknown>,
  ctx: EjsonWriteContext,
  depth: number,
): string {
  if (depth > MAX_DOCUMENT_DEPTH)
    throw new FieldProblem(`nested deeper than MongoDB's ${MAX_DOCUMENT_DEPTH} levels`);
  let out = "{";
  for (const name in doc) {
    let json: string;
    try {
      json = writeEjson(doc[name], ctx, depth);
    } catch (error) {
      return FieldProblem.within(error, name);
    }
    out += out.length === 1 ? memberPrefix(name) + json : `,${memberPrefix(name)}${json}`;
  }
  return `${out}}`;
}

function keyCount(doc: Record<string, unknown>): number {
  let n = 0;
  for (const _ in doc) n++;
  return n;
}

/**
 * A type wrapper (`{"$oid": ...}`, `{"$numberDecimal": ...}`, ...) as JSON
 * text, or undefined when the object is not one (then it is a document).
 * The rules are Extended JSON v2's: a wrapper has exactly its own keys.
 */
function writeTyped(
  doc: Record<string, unknown>,
  key: string,
  ctx: EjsonWriteContext,
  depth: number,
): string | undefined {
  const count = keyCount(doc);
  const v = doc[key];
  const inside = (segment: string, write: () => string): string => {
    try {
      return write();
    } catch (error) {
      return FieldProblem.within(error, segment);
    }
  };
  if (count === 1) {
    switch (key) {
      case "$oid":
        return inside(key, () => `"${objectIdHex(v)}"`);
      case "$date":
        return inside(key, () => String(dateMillis(v)));
      case "$numberInt":
      case "$numberLong":
        return inside(key, () => {
          if (typeof v !== "string" || !INTEGER.test(v))
            throw new FieldProblem(`must be an integer as text, got ${describe(v)}`);
          return writeDecimal(v, ctx);
        });
      case "$numberDouble":
        return inside(key, () => {
          if (typeof v !== "string") throw new FieldProblem(`must be text, got ${describe(v)}`);
          if (v === "NaN" || v === "Infinity" || v === "-Infinity") return `"${v}"`;
          if (!DECIMAL.test(v)) throw new FieldProblem(`is not a double: ${describe(v)}`);
          // The text is the double's shortest form; its value is what the sink gets.
          return writeDouble(Number(v), ctx);
        });
      case "$numberDecimal":
        return inside(key, () => {
          if (typeof v !== "string") throw new FieldProblem(`must be text, got ${describe(v)}`);
          if (/^[+-]?(?:NaN|Inf|Infinity)$/i.test(v)) return quoteString(v);
          return writeDecimal(v, ctx);
        });
      case "$binary":
        return inside(key, () => writeBinary(v, undefined));
      case "$uuid":
        return inside(key, () => {
          if (
            typeof v !== "string" ||
            !/^[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$/.test(v)
          )
            throw new FieldProblem(`must be a UUID's text, got ${describe(v)}`);
          return `"${formatUuid(v.replaceAll("-", "").toLowerCase())}"`;
        });
      case "$timestamp":
        return inside(key, () => {
          const { t, i } = timestampParts(v);
          return `{"t":${t},"i":${i}}`;
        });
      case "$regularExpression":
        return inside(key, () => {
          const r = v as { pattern?: unknown; options?: unknown } | null;
          if (typeof r?.pattern !== "string" || typeof r.options !== "string")
            throw new FieldProblem(
              `must be {"pattern": text, "options": text}, got ${describe(v)}`,
            );
          return quoteString(`/${r.pattern}/${r.options}`);
        });
      case "$code":
      case "$symbol":
        return inside(key, () => {
          if (typeof v !== "string") throw new FieldProblem(`must be text, got ${describe(v)}`);
          return quoteString(v);
        });
      case "$minKey":
        return '"MinKey()"';
      case "$maxKey":
        return '"MaxKey()"';
      case "$undefined":
        return "null";
      case "$dbPointer":
        return inside(key, () => {
          const p = v as { $ref?: unknown; $id?: unknown } | null;
          if (typeof p?.$ref !== "string")
            throw new FieldProblem(`must be {"$ref": text, "$id": ...}, got ${describe(v)}`);
          return `{"$ref":${quoteString(p.$ref)},"$id":${writeEjson(p.$id, ctx, depth + 1)}}`;
        });
      default:
        return undefined;
    }
  }
  if (count === 2) {
    // Legacy forms of the v1 spec, still written by some tools.
    if (key === "$binary" && "$type" in doc) return inside(key, () => writeBinary(v, doc.$type));
    if (
      key === "$regex" &&
      "$options" in doc &&
      typeof v === "string" &&
      typeof doc.$options === "string"
    )
      return quoteString(`/${v}/${doc.$options}`);
    if (key === "$code" && "$scope" in doc) {
      if (typeof v !== "string") throw FieldProblem.within(new FieldProblem("must be text"), key);
      return `{"$code":${quoteString(v)},"$scope":${inside("$scope", () => writeEjson(doc.$scope, ctx, depth + 1))}}`;
    }
  }
  return undefined;
}

/** The 24 hex digits of an ObjectId, lower case. */
export function objectIdHex(v: unknown): string {
  if (typeof v !== "string" || !HEX24.test(v))
    throw new FieldProblem(`an ObjectId must be 24 hex digits, got ${describe(v)}`);
  return v.toLowerCase();
}

/** A Date as milliseconds since the epoch: ISO text, {"$numberLong": ...}, or a number. */
function dateMillis(v: unknown): string {
  if (typeof v === "string") {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new FieldProblem(`is not an ISO-8601 date: ${describe(v)}`);
    return String(ms);
  }
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  const long = (v as { $numberLong?: unknown } | null)?.$numberLong;
  if (typeof long === "string" && INTEGER.test(long)) return String(BigInt(long));
  throw new FieldProblem(`must be ISO-8601 text or {"$numberLong": ...}, got ${describe(v)}`);
}

function writeBinary(v: unknown, legacyType: unknown): string {
  let base64: unknown;
  let subType: unknown;
  if (legacyType !== undefined) {
    base64 = v;
    subType = legacyType;
  } else {
    const b = v as { base64?: unknown; subType?: unknown } | null;
    base64 = b?.base64;
    subType = b?.subType;
  }
  if (typeof base64 !== "string" || !BASE64.test(base64))
    throw new FieldProblem(`must hold base64 text, got ${describe(base64)}`);
  if (typeof subType !== "string" || !/^[0-9a-fA-F]{1,2}$/.test(subType))
    throw new FieldProblem(`subType must be one or two hex digits, got ${describe(subType)}`);
  if (Number.parseInt(subType, 16) === 4) {
    const bytes = Buffer.from(base64, "base64");
    if (bytes.length === 16) return `"${formatUuid(bytes.toString("hex"))}"`;
  }
  return `"${base64}"`;
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A BSON Timestamp's parts: `{"t": s, "i": n}` (Extended JSON) or `{"T": s, "I": n}` (Atlas triggers). */
export function timestampParts(v: unknown): { t: number; i: number } {
  const o = v as { t?: unknown; i?: unknown; T?: unknown; I?: unknown } | null;
  const t = o?.t ?? o?.T;
  const i = o?.i ?? o?.I;
  if (!isUint32(t) || !isUint32(i))
    throw new FieldProblem(
      `a Timestamp must be {"t": seconds, "i": increment}, got ${describe(v)}`,
    );
  return { t, i };
}

function isUint32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/** A double (never NaN text here) in the context's format; non-finite values as text. */
function writeDouble(value: number, ctx: EjsonWriteContext): string {
  if (!Number.isFinite(value))
    return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
  const text = Object.is(value, -0) ? "-0.0" : String(value);
  switch (ctx.numbers) {
    case "exact":
      return text;
    case "string":
      return `"${text}"`;
    default:
      return /[.eE]/.test(text) ? text : `${text}.0`;
  }
}

/**
 * An exact decimal (Int64, Decimal128 text) in the context's format:
 * `exact` keeps every digit, the double formats round (counted, or refused
 * with `double-strict`), `string` keeps the text.
 */
function writeDecimal(text: string, ctx: EjsonWriteContext): string {
  const exact = jsonDecimal(text);
  switch (ctx.numbers) {
    case "exact":
      return exact;
    case "string":
      return `"${exact}"`;
    default: {
      const value = Number(exact);
      const rounded = !Number.isFinite(value) || !sameDecimal(String(value), exact);
      if (rounded) {
        if (ctx.numbers === "double-strict")
          throw new FieldProblem(
            `${exact} can not be held exactly by a double (it would be stored as ${value}); ` +
              `use the number format "string" or "double" to accept that`,
          );
        ctx.rounded++;
        if (!Number.isFinite(value)) return `"${exact}"`;
      }
      const literal = String(value);
      return /[.eE]/.test(literal) ? literal : `${literal}.0`;
    }
  }
}

/** Decimal text as valid JSON number text with the same digits (scale kept: "1.50" stays). */
function jsonDecimal(text: string): string {
  const m = DECIMAL.exec(text);
  if (!m) throw new FieldProblem(`is not a decimal number: ${describe(text)}`);
  const sign = (m[1] ?? m[5]) === "-" ? "-" : "";
  const int = (m[2] ?? "0").replace(/^0+(?=\d)/, "");
  const frac = m[3] ?? m[6] ?? "";
  const exp = m[4] ?? m[7];
  return `${sign}${int}${frac ? `.${frac}` : ""}${exp !== undefined ? `E${exp.startsWith("-") ? "" : "+"}${exp.replace(/^[+]/, "")}` : ""}`;
}

/** True when two decimal texts denote the same number (digits and exponent normalised). */
function sameDecimal(a: string, b: string): boolean {
  return normal(a) === normal(b);
}

function normal(text: string): string {
  const m = DECIMAL.exec(text);
  if (!m) return text;
  const sign = (m[1] ?? m[5]) === "-" ? "-" : "";
  const int = m[2] ?? "";
  const frac = m[3] ?? m[6] ?? "";
  let exponent = Number(m[4] ?? m[7] ?? "0") - frac.length;
  let digits = (int + frac).replace(/^0+/, "");
  const stripped = digits.replace(/0+$/, "");
  exponent += digits.length - stripped.length;
  digits = stripped;
  return digits === "" ? "0" : `${sign}${digits}e${exponent}`;
}

/**
 * The `oid` of a document: the text that names it in the target table. An
 * ObjectId is its 24 hex digits (as in the reference), a string itself, a
 * number its shortest decimal (MongoDB holds 1 and 1.0 as the same _id), and
 * anything else its JSON text as written to `data`.
 */
export function oidOf(id: unknown): string {
  if (typeof id === "string") return id;
  if (typeof id === "number") {
    if (!Number.isFinite(id)) throw new FieldProblem(`an _id can not be ${id}`);
    return String(id);
  }
  if (typeof id === "object" && id !== null && !Array.isArray(id)) {
    const o = id as Record<string, unknown>;
    if (keyCount(o) === 1) {
      if (o.$oid !== undefined) {
        try {
          return objectIdHex(o.$oid);
        } catch (error) {
          return FieldProblem.within(error, "$oid");
        }
      }
      const n = o.$numberInt ?? o.$numberLong ?? o.$numberDouble ?? o.$numberDecimal;
      if (typeof n === "string" && DECIMAL.test(n)) {
        const norm = normal(n);
        const [digits, exp] = norm.split("e") as [string, string];
        return norm === "0" ? "0" : shortDecimal(digits, Number(exp));
      }
    }
  }
  if (Array.isArray(id)) throw new FieldProblem("an _id can not be an array");
  return writeEjson(id, { numbers: "exact", rounded: 0 }, 0);
}

function shortDecimal(signedDigits: string, exponent: number): string {
  const sign = signedDigits.startsWith("-") ? "-" : "";
  const digits = sign ? signedDigits.slice(1) : signedDigits;
  if (exponent >= 0 && exponent + digits.length <= 40) return sign + digits + "0".repeat(exponent);
  if (exponent < 0 && -exponent < digits.length)
    return `${sign}${digits.slice(0, digits.length + exponent)}.${digits.slice(digits.length + exponent)}`;
  if (exponent < 0 && -exponent - digits.length < 20)
    return `${sign}0.${"0".repeat(-exponent - digits.length)}${digits}`;
  return `${sign}${digits}E${exponent}`;
}
