// Attribute values as plain JavaScript values, for callers that want to look
// at an item rather than store it. Numbers stay exact as DynamoNumber.

import { InternalError } from "../errors.ts";
import { describe, typeOf, writeMap } from "./attribute-json.ts";
import { canonicalNumber } from "./decimal.ts";
import type { AttributeMap } from "./types.ts";

/** A DynamoDB number kept as its exact canonical decimal text. */
export class DynamoNumber {
  readonly value: string;
  constructor(text: string | number) {
    this.value = canonicalNumber(text);
  }
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** Native form: S -> string, N -> DynamoNumber, B -> base64 string, sets -> arrays. */
export type NativeValue =
  | string
  | boolean
  | null
  | DynamoNumber
  | NativeValue[]
  | { [name: string]: NativeValue };

/** Decodes an item (validating it) into native values. */
export function itemToNative(item: AttributeMap): Record<string, NativeValue> {
  // Validate first with the writer, which names the field of any problem. The
  // item is a map at depth 0, as encodeRow writes an image (not wrapped in an
  // M, which would count one level more than DynamoDB does).
  writeMap(item, { numbers: "exact", rounded: 0 }, 0);
  const out: Record<string, NativeValue> = {};
  for (const name in item) setMember(out, name, valueToNative(item[name]));
  return out;
}

// `out[name] = value` with the name "__proto__" would set the prototype and
// lose the attribute; JSON.parse makes it an ordinary attribute, so must we.
function setMember(out: Record<string, NativeValue>, name: string, value: NativeValue): void {
  if (name === "__proto__") {
    Object.defineProperty(out, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else out[name] = value;
}

export function valueToNative(av: unknown): NativeValue {
  const tag = typeOf(av);
  const v = (av as Record<string, unknown>)[tag];
  switch (tag) {
    case "S":
    case "B":
      return v as string;
    case "BOOL":
      return v as boolean;
    case "NULL":
      return null;
    case "N":
      return new DynamoNumber(v as string);
    case "SS":
    case "BS":
      return [...new Set(v as string[])];
    case "NS": {
      const seen = new Map<string, DynamoNumber>();
      for (const member of v as string[]) {
        const n = new DynamoNumber(member);
        seen.set(n.value, n);
      }
      return [...seen.values()];
    }
    case "L":
      return (v as unknown[]).map(valueToNative);
    case "M": {
      const out: Record<string, NativeValue> = {};
      for (const name in v as object)
        setMember(out, name, valueToNative((v as Record<string, unknown>)[name]));
      return out;
    }
    default:
      throw new InternalError(`not an attribute value: ${describe(av)}`);
  }
}
