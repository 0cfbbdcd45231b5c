// The key schema of a DynamoDB table: its key attributes and their types, as
// a record's `Keys` carry them. The SQL layer declares a table's key from it
// (CrateDB's primary key is typed sub-columns of `pk`).

import { ConfigError } from "../errors.ts";
import type { AttributeMap } from "./types.ts";

export type KeyType = "S" | "N" | "B";

export interface KeyAttribute {
  name: string;
  type: KeyType;
}

export type KeySchema = KeyAttribute[];

/** Parses `id:S,ts:N` (the `--key` option). */
export function parseKeySchema(text: string): KeySchema {
  const schema = text.split(",").map((part) => {
    const at = part.lastIndexOf(":");
    const name = part.slice(0, at).trim();
    const type = part
      .slice(at + 1)
      .trim()
      .toUpperCase();
    if (at <= 0 || !name || (type !== "S" && type !== "N" && type !== "B")) {
      throw new ConfigError(
        `key schema ${JSON.stringify(text)}: write name:TYPE pairs with TYPE one of S, N, B, e.g. "id:S,ts:N"`,
      );
    }
    return { name, type: type as KeyType };
  });
  if (new Set(schema.map((k) => k.name)).size !== schema.length) {
    throw new ConfigError(`key schema ${JSON.stringify(text)}: an attribute is named twice`);
  }
  if (schema.length > 2)
    throw new ConfigError(
      `key schema ${JSON.stringify(text)}: DynamoDB keys have one or two attributes`,
    );
  return schema;
}

/** The key schema a record's `Keys` imply (attribute names sorted, for a stable column order). */
export function keySchemaOf(keys: AttributeMap): KeySchema {
  return Object.keys(keys)
    .sort()
    .map((name) => ({ name, type: Object.keys(keys[name] as object)[0] as KeyType }));
}

export function formatKeySchema(schema: KeySchema): string {
  return schema.map((k) => `${k.name}:${k.type}`).join(",");
}

/**
 * The key schema given up front (`--key`, the Lambda function's KEY_SCHEMA, or
 * the table's own for a load) against the keys of the first record: when they
 * disagree, every record would fail, so the run stops with this one error
 * before anything is written. `keys` is a change record's `Keys` (all of its
 * attributes are key attributes) or, with `item`, a whole snapshot item (the
 * key attributes must be among them).
 */
export function checkGivenKeySchema(
  given: KeySchema,
  keys: AttributeMap,
  ref: string,
  item = false,
): void {
  const problems: string[] = [];
  for (const k of given) {
    const value = keys[k.name];
    const type = value === undefined ? undefined : Object.keys(value)[0];
    if (type === undefined) problems.push(`it has no attribute ${k.name}`);
    else if (type !== k.type) problems.push(`its ${k.name} is of type ${type}, not ${k.type}`);
  }
  const extra = item ? [] : Object.keys(keys).filter((name) => !given.some((k) => k.name === name));
  if (extra.length > 0) problems.push(`its Keys also hold ${extra.join(", ")}`);
  if (problems.length === 0) return;
  const found = item ? undefined : formatKeySchema(keySchemaOf(keys));
  throw new ConfigError(
    `the key schema given, ${formatKeySchema(given)} (--key; KEY_SCHEMA for the Lambda function), disagrees with ` +
      `the first ${item ? "item" : "record"}, ${ref}${found ? `, whose key is ${found}` : ""}: ${problems.join("; ")}. ` +
      `Nothing was written. Give the table's key schema${found ? ` (--key ${found})` : ""}, or leave --key out to take it from the records`,
  );
}
