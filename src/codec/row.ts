// The table layout shared with the reference implementation, so existing
// queries keep working: `pk` holds the key attributes, `data` all other
// attributes, and `aux` the top-level lists whose elements have different types
// (CrateDB can not index a mixed-type array, so they go to an IGNORED object).

import { RecordError } from "../errors.ts";
import { type JsonWriteContext, typeOf, writeValue } from "./attribute-json.ts";
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
}

/** Encodes a change into the sink's columns; throws RecordError naming the field. */
export function encodeRow(change: Change, format: RowFormat): EncodedRow {
  const ctx: JsonWriteContext = { numbers: format.keyNumbers, rounded: 0 };
  const keys = change.keys;
  let pk = "{";
  for (const name in keys) {
    pk += `${pk.length === 1 ? "" : ","}${JSON.stringify(name)}:${field(change, "dynamodb.Keys", name, () =>
      writeValue(keys[name], ctx, 0),
    )}`;
  }
  pk += "}";

  let data: string | null = null;
  let aux: string | null = null;
  const image = change.newImage;
  if (change.operation !== "remove" && image) {
    ctx.numbers = format.numbers;
    data = "{";
    aux = "{";
    for (const name in image) {
      if (name in keys) continue;
      const av = image[name];
      const json = field(change, "dynamodb.NewImage", name, () => writeValue(av, ctx, 0));
      const entry = `${JSON.stringify(name)}:${json}`;
      if (isVariedList(av)) aux += aux.length === 1 ? entry : `,${entry}`;
      else data += data.length === 1 ? entry : `,${entry}`;
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

function field(change: Change, prefix: string, name: string, write: () => string): string {
  try {
    return write();
  } catch (error) {
    if (error instanceof FieldProblem) {
      error.segments.push(name);
      throw new RecordError(change.ref, error.path(prefix), error.message, { cause: error });
    }
    throw error;
  }
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
 * `{"n": {"N": "1.0"}}` and `{"n": {"N": "1"}}` name the same item.
 */
export function canonicalKey(keys: AttributeMap): string {
  const names = Object.keys(keys);
  if (names.length > 1) names.sort();
  let out = "";
  for (const name of names) {
    const av = keys[name] as Record<string, unknown>;
    const tag = typeOf(av);
    const value = tag === "N" ? canonicalNumber(av[tag]) : String(av[tag]);
    out += `${out ? "\u0001" : ""}${name}\u0000${tag}\u0000${value}`;
  }
  return out;
}
