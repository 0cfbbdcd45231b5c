// Key columns on CrateDB: which type holds a DynamoDB key attribute exactly,
// and how a key value is sent so that no digit is lost.
//
// Tables dynacrate creates now ("text-key"): every key attribute is also in
// `pk_text` as text, and a numeric one is a primary key there, as its exact,
// canonical decimal text (DynamoDB writes numbers in one canonical form; the
// codec's text is it): every number DynamoDB accepts (1.5, 1E+125, 1E-130, 38
// digits) is a key, distinct numbers stay distinct keys, and one number
// spelled two ways is one key. In `pk` it is a DOUBLE, not a key, so that
// analysts compare and range over it as a number. S and B keys stay primary
// keys in `pk` as TEXT, as in the reference's layout.
//
// Tables made by earlier releases ("pk-key"):
// Seen on CrateDB 6.4.3: NUMERIC(38, 0) is accepted as a PRIMARY KEY
// sub-column of `pk` and holds DynamoDB's 38-digit integers exactly, but only
// when the value arrives as a JSON string: a JSON integer beyond 2^63 inside
// an object is read as a long that overflows, silently. A fraction sent to
// NUMERIC(38, 0) is rounded (1.5 is stored as 2), which would merge two
// items, so such a key fails its record instead. Tables created before
// (DOUBLE keys) keep working: their keys go as doubles where a double holds
// them exactly, and fail their record otherwise.

import { canonicalNumber, fitsDouble, floatLiteral } from "../codec/decimal.ts";
import type { KeySchema, KeyType } from "../codec/key-schema.ts";
import { ConfigError } from "../errors.ts";

/** The column type of a key attribute of each DynamoDB type in `pk` of a table made now. */
export const KEY_COLUMN_TYPES: Record<KeyType, string> = {
  S: "TEXT",
  N: "DOUBLE PRECISION",
  B: "TEXT",
};

/** True when a key attribute of this type is a primary key in `pk_text` (else in `pk`). */
export const keyIsText = (type: KeyType): boolean => type === "N";

/** How one key attribute is written: its column's type as information_schema names it. */
export type KeyColumnTypes = Map<string, string>;

/** The `pk['x']` column types of a state table, from information_schema.columns rows. */
export function keyColumnTypes(
  columns: { column_name: string; data_type: string }[],
): KeyColumnTypes {
  const types: KeyColumnTypes = new Map();
  for (const { column_name, data_type } of columns) {
    const match = /^pk\['(.*)'\]$/s.exec(column_name);
    if (match) types.set(match[1] as string, data_type);
  }
  return types;
}

const INTEGER_RANGES: Record<string, bigint> = {
  numeric: 10n ** 38n - 1n,
  bigint: 2n ** 63n - 1n,
  integer: 2n ** 31n - 1n,
  smallint: 2n ** 15n - 1n,
};

/** Refuses, at start-up, a state table whose key columns dynacrate can not write exactly. */
export function checkKeyColumns(types: KeyColumnTypes, keys: KeySchema, table: string): void {
  for (const key of keys) {
    const type = types.get(key.name);
    const ok =
      type === undefined ||
      type === "text" ||
      (key.type === "N" && (type === "double precision" || type in INTEGER_RANGES));
    if (!ok) {
      throw new ConfigError(
        `${table}: key column pk['${key.name}'] is ${type}, which can not hold DynamoDB ${key.type} keys exactly; ` +
          `dynacrate writes N keys to NUMERIC(38, 0), DOUBLE or an integer type, S and B keys to TEXT`,
      );
    }
  }
}

/** What a table made by an earlier release can do about a key it can not hold. */
const NEW_LAYOUT =
  "a table dynacrate creates now keys numbers by their exact text (pk_text) and takes every DynamoDB number: load the table again into a new --table";

/**
 * The `pk` JSON to send for a row, from the codec's `pk` (numbers written as
 * strings of their exact decimal text), or a problem that fails the record.
 */
export function keyJson(
  pk: string,
  keys: KeySchema,
  types: KeyColumnTypes,
  textKeys = false,
): { json: string; text?: string } | { problem: string } {
  let rewrite = false;
  let values: Record<string, unknown> | undefined;
  let texts: Record<string, unknown> | undefined;
  for (const key of keys) {
    if (key.type !== "N") continue;
    values ??= JSON.parse(pk) as Record<string, unknown>;
    const text = String(values[key.name]);
    const type = types.get(key.name) ?? "numeric";
    if (textKeys) {
      // The key is its canonical text in pk_text (the codec keeps "1.50" as
      // written, which must key as "1.5"); pk holds the nearest double, for queries.
      texts ??= { ...values };
      texts[key.name] = canonicalNumber(text);
      values[key.name] = Number(text);
      rewrite = true;
    } else if (type === "double precision") {
      if (!fitsDouble(text)) {
        return {
          problem: `key attribute ${key.name} = ${text}: the table's key column pk['${key.name}'] is DOUBLE, which can not hold it exactly (it would merge with another key); ${NEW_LAYOUT}`,
        };
      }
      values[key.name] = Number(text);
      rewrite = true;
    } else if (type in INTEGER_RANGES) {
      if (
        !/^-?\d+$/.test(text) ||
        BigInt(text) > (INTEGER_RANGES[type] as bigint) ||
        -BigInt(text) > (INTEGER_RANGES[type] as bigint)
      ) {
        return {
          problem: `key attribute ${key.name} = ${text}: the table's key column pk['${key.name}'] is ${type === "numeric" ? "NUMERIC(38, 0)" : type}, which holds integers of up to ${type === "numeric" ? "38 digits" : "its range"} only; CrateDB would round or refuse it, which could merge two keys; ${NEW_LAYOUT}`,
        };
      }
    }
  }
  if (!rewrite || values === undefined) return { json: pk };
  const text = texts === undefined ? {} : { text: JSON.stringify(texts) };
  let json = "{";
  for (const name in values) {
    const value = values[name];
    json += `${json.length === 1 ? "" : ","}${JSON.stringify(name)}:${typeof value === "number" ? floatLiteral(value) : JSON.stringify(value)}`;
  }
  return { json: `${json}}`, ...text };
}
