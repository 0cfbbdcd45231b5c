// A CrateDB row's key as the item has it: a table dynacrate creates keys a
// numeric key attribute by its exact text in `pk_text` and holds only the
// nearest double in `pk` (sql/cratedb-keys.ts), so verify reads the number
// from `pk_text`.

import { type ExactJson, JsonNumber, parseExactJson } from "./exact-json.ts";

/** `pk` with each number that `pk_text` holds as text replaced by that exact text. */
export function exactPk(pk: ExactJson, pkText: string | null | undefined): ExactJson {
  if (pkText === null || pkText === undefined) return pk;
  const text = parseExactJson(pkText);
  if (!isObject(pk) || !isObject(text)) return pk;
  const exact: { [name: string]: ExactJson } = { ...pk };
  for (const [name, value] of Object.entries(text)) {
    if (exact[name] instanceof JsonNumber && typeof value === "string")
      exact[name] = new JsonNumber(value);
  }
  return exact;
}

function isObject(value: ExactJson): value is { [name: string]: ExactJson } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof JsonNumber)
  );
}
