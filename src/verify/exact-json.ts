// A JSON reader that keeps every number as the text it was written with, for
// checking a sink's rows: JSON.parse would turn a 38-digit DynamoDB number into
// a double and hide exactly the rounding a check must catch.

import { InternalError } from "../errors.ts";

/** A JSON number as written, e.g. `12345678901234567890.5` or `1E-130`. */
export class JsonNumber {
  constructor(readonly text: string) {}
  /** True for a literal a JSON reader takes as floating point (`.` or exponent). */
  get isFloatLiteral(): boolean {
    return /[.eE]/.test(this.text);
  }
  toString(): string {
    return this.text;
  }
}

export type ExactJson =
  | null
  | boolean
  | string
  | JsonNumber
  | ExactJson[]
  | { [name: string]: ExactJson };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON text like JSON.parse, but numbers become JsonNumber. Throws InternalError (the text came from a database). */
export function parseExactJson(text: string): ExactJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new InternalError(`${what} at offset ${i} of ${text.slice(Math.max(0, i - 20), i + 20)}`);
  };
  const space = () => {
    while (
      i < text.length &&
      (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t")
    )
      i++;
  };
  const string = (): string => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("unterminated string");
    i++;
    // Escapes are JSON's own; JSON.parse decodes them exactly.
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): ExactJson => {
    space();
    const c = text[i];
    if (c === "{") {
      i++;
      // No prototype: an attribute may be called "__proto__" or "constructor".
      const object: { [name: string]: ExactJson } = Object.create(null);
      space();
      if (text[i] === "}") {
        i++;
        return object;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail("expected a member name");
        const name = string();
        space();
        if (text[i++] !== ":") fail("expected ':'");
        object[name] = value();
        space();
        const next = text[i++];
        if (next === "}") return object;
        if (next !== ",") fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const array: ExactJson[] = [];
      space();
      if (text[i] === "]") {
        i++;
        return array;
      }
      for (;;) {
        array.push(value());
        space();
        const next = text[i++];
        if (next === "]") return array;
        if (next !== ",") fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (!match) return fail("unexpected character");
    i += match[0].length;
    return new JsonNumber(match[0]);
  };
  const result = value();
  space();
  if (i !== text.length) fail("trailing text");
  return result;
}

/** Turns an already parsed value (JSON.parse, a driver) into ExactJson; its numbers are as exact as they still are. */
export function fromParsed(value: unknown): ExactJson {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return new JsonNumber(String(value));
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(fromParsed);
  if (typeof value === "object") {
    const object: { [name: string]: ExactJson } = Object.create(null);
    for (const [name, member] of Object.entries(value)) object[name] = fromParsed(member);
    return object;
  }
  throw new InternalError(`not a JSON value: ${typeof value}`);
}
