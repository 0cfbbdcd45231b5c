// Compares a DynamoDB table's items with the rows a sink holds for them, value
// by value and exactly: numbers by decimal value (never through a double),
// sets as sets, binary as base64. `dynacrate verify`, the demo's verdict and
// the end-to-end tests rest on it, so it shares nothing with the codec it checks.

import type { AttributeMap } from "../codec/types.ts";
import { InternalError } from "../errors.ts";
import { type ExactJson, JsonNumber, parseExactJson } from "./exact-json.ts";

/** One row of the sink's view: the `pk`, `data` and `aux` columns. */
export interface SinkRow {
  pk: ExactJson;
  data: ExactJson;
  aux: ExactJson;
}

export interface CompareOptions {
  /** The table's key attribute names, partition key first. */
  keyNames: string[];
  /** Numbers may arrive as JSON strings (CrateDB's number format `string`). */
  numbersAsStrings?: boolean;
  /**
   * The sink stores numbers as doubles (number format `double`): a number
   * equal to DynamoDB's once rounded to a double is no difference; each is
   * counted in `rounded` instead.
   */
  doubles?: { rounded: number };
}

export interface TableComparison {
  items: number;
  rows: number;
  /** Keys of items the sink lacks. */
  missing: string[];
  /** Keys of rows with no item. */
  extra: string[];
  /** Items whose row differs, with each difference as `path: DynamoDB ..., sink ...`. */
  different: Array<{ key: string; differences: string[] }>;
  match: boolean;
}

/** Compares every item (wire form: B as base64) with the sink's rows. */
export function compareTable(
  items: AttributeMap[],
  rows: SinkRow[],
  options: CompareOptions,
): TableComparison {
  const byKey = new Map<string, SinkRow>();
  const extra: string[] = [];
  for (const row of rows) {
    const key = rowKey(row, options.keyNames);
    if (byKey.has(key)) extra.push(`${key} (twice)`);
    byKey.set(key, row);
  }
  const missing: string[] = [];
  const different: TableComparison["different"] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const key = itemKey(item, options.keyNames);
    seen.add(key);
    const row = byKey.get(key);
    if (!row) {
      missing.push(key);
      continue;
    }
    const differences = compareItem(item, row, options);
    if (differences.length > 0) different.push({ key, differences });
  }
  for (const key of byKey.keys()) if (!seen.has(key)) extra.push(key);
  return {
    items: items.length,
    rows: rows.length,
    missing,
    extra,
    different,
    match: missing.length === 0 && extra.length === 0 && different.length === 0,
  };
}

/** The differences between one item and its row; empty when they hold the same values. */
export function compareItem(item: AttributeMap, row: SinkRow, options: CompareOptions): string[] {
  const out: string[] = [];
  const keyNames = new Set(options.keyNames);
  const pk = asObject(row.pk);
  const data = asObject(row.data);
  const aux = withEncodedMembers(asObject(row.aux));
  if (!pk) out.push(`pk: not an object in the sink (${show(row.pk)})`);
  for (const name of Object.keys(item)) {
    const expected = item[name];
    let actual: ExactJson | undefined;
    if (keyNames.has(name)) actual = pk ? member(pk, name) : undefined;
    else {
      // A NULL attribute is a JSON null in `data`: look in `aux` only when `data` lacks the name.
      actual = data ? member(data, name) : undefined;
      if (actual === undefined && aux) actual = member(aux, name);
    }
    if (actual === undefined) {
      out.push(`${name}: DynamoDB ${showValue(expected)}, sink has no such attribute`);
      continue;
    }
    compareValue(expected, actual, name, options, out);
  }
  for (const [column, object] of [
    ["pk", pk],
    ["data", data],
    ["aux", aux],
  ] as const) {
    for (const name of Object.keys(object ?? {})) {
      if (!Object.hasOwn(item, name)) out.push(`${name}: not in DynamoDB, sink ${column} has it`);
    }
  }
  return out;
}

/** The item's key as text, e.g. `order-7` or `customer-1 / 42`; numbers by value. */
export function itemKey(item: AttributeMap, keyNames: string[]): string {
  return keyNames
    .map((name) => {
      const av = item[name] as Record<string, unknown> | undefined;
      if (!av) return "?";
      if (typeof av.N === "string") return normalDecimal(av.N);
      return String(av.S ?? av.B ?? "?");
    })
    .join(" / ");
}

function rowKey(row: SinkRow, keyNames: string[]): string {
  const pk = asObject(row.pk) ?? {};
  return keyNames
    .map((name) => {
      const value = member(pk, name);
      if (value instanceof JsonNumber) return normalDecimal(value.text);
      return typeof value === "string" ? value : "?";
    })
    .join(" / ");
}

function compareValue(
  expected: unknown,
  actual: ExactJson,
  path: string,
  options: CompareOptions,
  out: string[],
): void {
  const av = expected as Record<string, unknown>;
  const differ = () => out.push(`${path}: DynamoDB ${showValue(expected)}, sink ${show(actual)}`);
  if (typeof av.S === "string" || typeof av.B === "string") {
    if (actual !== (av.S ?? av.B)) differ();
  } else if (typeof av.N === "string") {
    if (!sameNumber(av.N, actual, options)) differ();
  } else if (typeof av.BOOL === "boolean") {
    if (actual !== av.BOOL) differ();
  } else if (av.NULL === true) {
    if (actual !== null) differ();
  } else if (Array.isArray(av.SS) || Array.isArray(av.BS)) {
    const set = (av.SS ?? av.BS) as string[];
    if (
      !Array.isArray(actual) ||
      !sameMembers(
        set,
        actual.map((v) => (typeof v === "string" ? v : show(v))),
      )
    )
      differ();
  } else if (Array.isArray(av.NS)) {
    if (!Array.isArray(actual) || !sameNumberSet(av.NS as string[], actual, options)) differ();
  } else if (Array.isArray(av.L)) {
    if (!Array.isArray(actual) || actual.length !== av.L.length) return void differ();
    av.L.forEach((element, i) => {
      compareValue(element, actual[i] as ExactJson, `${path}[${i}]`, options, out);
    });
  } else if (typeof av.M === "object" && av.M !== null) {
    const object = asObject(actual);
    if (!object) return void differ();
    const map = av.M as Record<string, unknown>;
    for (const name of Object.keys(map)) {
      const inner = member(object, name);
      if (inner === undefined)
        out.push(`${path}.${name}: DynamoDB ${showValue(map[name])}, sink has none`);
      else compareValue(map[name], inner, `${path}.${name}`, options, out);
    }
    for (const name of Object.keys(object)) {
      if (!Object.hasOwn(map, name))
        out.push(`${path}.${name}: not in DynamoDB, sink ${show(object[name] ?? null)}`);
    }
  } else {
    out.push(`${path}: DynamoDB value ${showValue(expected)} is of no known type`);
  }
}

function isNumberLike(value: ExactJson, options: CompareOptions): boolean {
  return (
    value instanceof JsonNumber || (options.numbersAsStrings === true && typeof value === "string")
  );
}

function sameNumber(expected: string, actual: ExactJson, options: CompareOptions): boolean {
  if (!isNumberLike(actual, options)) return false;
  try {
    if (normalDecimal(expected) === normalDecimal(String(actual))) return true;
    if (options.doubles && Number(expected) === Number(String(actual))) {
      options.doubles.rounded++;
      return true;
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * A number set by exact values; where the sink holds doubles, by values once
 * rounded to a double, each member equal only so counted in `rounded`.
 */
function sameNumberSet(expected: string[], actual: ExactJson[], options: CompareOptions): boolean {
  if (!actual.every((v) => isNumberLike(v, options))) return false;
  try {
    const exact = expected.map(normalDecimal);
    const held = actual.map((v) => normalDecimal(String(v)));
    if (sameMembers(exact, held)) return true;
    if (!options.doubles || expected.length !== actual.length) return false;
    const doubles = (texts: string[]) => texts.map(Number).sort((a, b) => a - b);
    const x = doubles(expected);
    const y = doubles(held);
    if (!x.every((v, i) => v === y[i])) return false;
    const heldSet = new Set(held);
    options.doubles.rounded += exact.filter((n) => !heldSet.has(n)).length;
    return true;
  } catch {
    return false;
  }
}

function sameMembers(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

/**
 * A decimal's exact value as `sign digits E exponent` with no leading or
 * trailing zeros, so `1.50`, `15E-1` and `1.5` are equal and `1.5000000000000000001` is not.
 */
export function normalDecimal(text: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || `${m[2]}${m[3] ?? ""}` === "") throw new InternalError(`not a decimal number: ${text}`);
  const fraction = m[3] ?? "";
  let digits = `${m[2]}${fraction}`.replace(/^0+/, "");
  if (digits === "") return "0";
  let exponent = BigInt(m[4] ?? "0") - BigInt(fraction.length);
  const stripped = digits.replace(/0+$/, "");
  exponent += BigInt(digits.length - stripped.length);
  digits = stripped;
  return `${m[1] === "-" ? "-" : ""}${digits}E${exponent}`;
}

/**
 * `aux` with the members its `""` member holds as JSON text: the attributes
 * whose names CrateDB can not read (no DynamoDB attribute is named "").
 */
function withEncodedMembers(
  aux: { [name: string]: ExactJson } | undefined,
): { [name: string]: ExactJson } | undefined {
  const text = aux?.[""];
  if (typeof text !== "string") return aux;
  const encoded = asObject(parseExactJson(text)) ?? {};
  const { "": _, ...rest } = aux as { [name: string]: ExactJson };
  return { ...rest, ...encoded };
}

function asObject(value: ExactJson | undefined): { [name: string]: ExactJson } | undefined {
  return typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof JsonNumber)
    ? value
    : undefined;
}

function member(object: { [name: string]: ExactJson }, name: string): ExactJson | undefined {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

/** Compact text of a sink value: numbers as written. */
export function show(value: ExactJson | undefined): string {
  if (value === undefined) return "(none)";
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map(show).join(",")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.keys(value)
      .map((k) => `${k}:${show(value[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** Compact text of an attribute value: numbers as written, sets in `<...>`. */
export function showValue(av: unknown): string {
  const v = av as Record<string, unknown>;
  if (typeof v?.S === "string") return JSON.stringify(v.S);
  if (typeof v?.N === "string") return v.N;
  if (typeof v?.B === "string") return `b64:${v.B}`;
  if (typeof v?.BOOL === "boolean") return String(v.BOOL);
  if (v?.NULL === true) return "null";
  if (Array.isArray(v?.SS)) return `<${v.SS.map((s) => JSON.stringify(s)).join(",")}>`;
  if (Array.isArray(v?.NS)) return `<${v.NS.join(",")}>`;
  if (Array.isArray(v?.BS)) return `<${v.BS.map((b) => `b64:${b}`).join(",")}>`;
  if (Array.isArray(v?.L)) return `[${v.L.map(showValue).join(",")}]`;
  if (typeof v?.M === "object" && v.M !== null)
    return `{${Object.entries(v.M)
      .map(([k, inner]) => `${k}:${showValue(inner)}`)
      .join(",")}}`;
  return JSON.stringify(av);
}
