// The table layout shared with the reference implementation, so existing
// queries keep working: `pk` holds the key attributes, `data` all other
// attributes, and `aux` the top-level lists whose elements have different types
// (CrateDB can not index a mixed-type array, so they go to an IGNORED object).

import { RecordError } from "../errors.ts";
import {
  type JsonWriteContext,
  memberPrefix,
  quoteString,
  typeOf,
  writeValue,
} from "./attribute-json.ts";
import { canonicalNumber, type NumberFormat } from "./decimal.ts";
import { FieldProblem } from "./field-problem.ts";
import type { AttributeMap, Change } from "./types.ts";

/** A change ready for a sink: JSON texts for the three columns, plus its version. */
export interface EncodedRow {
  /** The key in a canonical text form: equal for the same item, whatever the attribute order. */
  key: string;
  pk: string;
  /** `null` for a delete. */
  data: string | null;
  aux: string | null;
  version: string;
  deleted: boolean;
  /** Numbers rounded to a double on the way (number format `double`). */
  roundedNumbers: number;
  change: Change;
}

export interface RowFormat {
  /** How numbers in `data` and `aux` are written. */
  numbers: NumberFormat;
  /** How numbers in `pk` are written; a rounded key would merge two items, so never `double`. */
  keyNumbers: "exact" | "double-strict" | "string";
  /**
   * The database that can not store U+0000 in text or JSON (PostgreSQL), named
   * in the error of a change that holds it (nul-char.ts); unset: stored as is.
   */
  nulRefusedBy?: string | undefined;
}

/** Encodes a change into the sink's columns; throws RecordError naming the field. */
export function encodeRow(change: Change, format: RowFormat): EncodedRow {
  const ctx: JsonWriteContext = { numbers: format.keyNumbers, rounded: 0 };
  const keys = change.keys;
  let pk: string;
  try {
    pk = writeKey(keys, ctx);
  } catch (error) {
    throw fieldError(change, "dynamodb.Keys", undefined, error);
  }

  let data: string | null = null;
  let aux: string | null = null;
  const image = change.newImage;
  if (change.operation !== "remove" && image) {
    ctx.numbers = format.numbers;
    data = "{";
    aux = "{";
    for (const name in image) {
      // Own properties only: `in` would also skip attributes named like
      // Object.prototype members ("constructor", "toString").
      if (Object.hasOwn(keys, name)) continue;
      const av = image[name];
      let json: string;
      try {
        json = writeValue(av, ctx, 0);
      } catch (error) {
        throw fieldError(change, "dynamodb.NewImage", name, error);
      }
      if (isVariedList(av))
        aux += (aux.length === 1 ? memberPrefix(name) : `,${memberPrefix(name)}`) + json;
      else data += (data.length === 1 ? memberPrefix(name) : `,${memberPrefix(name)}`) + json;
    }
    data += "}";
    aux += "}";
  }
  return {
    key: canonicalKey(keys),
    pk,
    data,
    aux,
    version: change.version,
    deleted: change.operation === "remove",
    roundedNumbers: ctx.rounded,
    change,
  };
}

/**
 * The `pk` column: the key attributes as a JSON object, numbers in the
 * context's format. A FieldProblem leaves with the attribute's name on its path.
 * (Shared with transcode.ts, so that both paths write keys alike.)
 */
export function writeKey(keys: AttributeMap, ctx: JsonWriteContext): string {
  let pk = "{";
  for (const name in keys) {
    let json: string;
    try {
      json = writeValue(keys[name], ctx, 0);
    } catch (error) {
      return FieldProblem.within(error, name);
    }
    pk += pk.length === 1 ? memberPrefix(name) + json : `,${memberPrefix(name)}${json}`;
  }
  return `${pk}}`;
}

/** The RecordError for a problem in one attribute; anything but a FieldProblem passes through. */
function fieldError(
  change: Change,
  prefix: string,
  name: string | undefined,
  error: unknown,
): unknown {
  if (!(error instanceof FieldProblem)) return error;
  if (name !== undefined) error.segments.push(name);
  return new RecordError(change.ref, error.path(prefix), error.message, { cause: error });
}

/** A top-level list whose elements are not all of one DynamoDB type. */
function isVariedList(av: unknown): boolean {
  const list = (av as { L?: unknown }).L;
  if (!Array.isArray(list) || list.length < 2) return false;
  const first = typeOf(list[0]);
  for (let i = 1; i < list.length; i++) if (typeOf(list[i]) !== first) return true;
  return false;
}

/**
 * The key as canonical text: attribute names sorted, numbers canonical, so that
 * `{"n": {"N": "1.0"}}` and `{"n": {"N": "1"}}` name the same item. Names and
 * values are JSON-quoted, so no text inside them can make two keys equal
 * (a separator character could: DynamoDB strings may hold any character).
 */
export function canonicalKey(keys: AttributeMap): string {
  // Keys have one or two attributes: no array, no sort for the usual cases.
  let first: string | undefined;
  let second: string | undefined;
  let count = 0;
  for (const name in keys) {
    if (count === 0) first = name;
    else second = name;
    count++;
  }
  if (count === 1) return keyPart(keys, first as string);
  if (count === 2) {
    const [a, b] = (first as string) < (second as string) ? [first, second] : [second, first];
    return `${keyPart(keys, a as string)},${keyPart(keys, b as string)}`;
  }
  return Object.keys(keys)
    .sort()
    .map((name) => keyPart(keys, name))
    .join(",");
}

function keyPart(keys: AttributeMap, name: string): string {
  const av = keys[name] as Record<string, unknown>;
  const tag = typeOf(av);
  const value = tag === "N" ? canonicalNumber(av[tag]) : String(av[tag]);
  return `${quoteString(name)}${tag}${quoteString(value)}`;
}
