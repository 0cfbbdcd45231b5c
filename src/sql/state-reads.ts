// Keyed reads of a state table, per dialect, for `dynacrate verify`: the rows
// of given keys in one statement, and the live rows in keyset pages. Columns
// come as JSON text so that no number is rounded on the way. PostgreSQL keys
// on key_hash (or on `pk` in the layout before it); CrateDB on the key
// sub-columns of `pk`, with numeric keys given as text (cratedb-keys.ts).

import type { KeySchema } from "../codec/key-schema.ts";
import { canonicalKey } from "../codec/row.ts";
import type { AttributeMap, AttributeValue } from "../codec/types.ts";
import { layoutOf } from "./cratedb.ts";
import { keyIsText } from "./cratedb-keys.ts";
import type { Dialect, TableLayout } from "./dialect.ts";
import { keyHash, stateLayoutQuery } from "./postgresql.ts";
import type { Statement } from "./statement.ts";
import { stateTable, type TableName } from "./table-name.ts";

/** The statement that tells an existing state table's layout (dialect.ts). */
export function layoutQuery(dialect: Dialect, table: TableName): Statement {
  return dialect.name === "postgresql" ? stateLayoutQuery(table) : layoutOf(table);
}

/** pk, data, aux as text, version, deleted; pk_text too where it holds the numeric keys. */
function columns(dialect: Dialect, layout: TableLayout): string {
  const q = dialect.quoteIdentifier;
  const text = (c: string) =>
    dialect.name === "postgresql" ? `${q(c)}::text AS ${q(c)}` : `CAST(${q(c)} AS TEXT) AS ${q(c)}`;
  const keyText = layout === "text-key" ? `${text("pk_text")}, ` : "";
  return `${text("pk")}, ${keyText}${text("data")}, ${text("aux")}, ${q("version")}, ${q("deleted")}`;
}

/** The column that holds a key attribute as a primary key: pk_text for numbers in "text-key". */
function keyColumn(dialect: Dialect, a: KeySchema[number], layout: TableLayout): string {
  const q = dialect.quoteIdentifier;
  const top = layout === "text-key" && keyIsText(a.type) ? "pk_text" : "pk";
  return `${q(top)}[${subscript(a.name)}]`;
}

/**
 * The state rows (live or tombstones) of `keys`; on CrateDB possibly other
 * rows too, whose key combines the values of two different keys.
 */
export function stateRowsByKeys(
  dialect: Dialect,
  table: TableName,
  keySchema: KeySchema,
  keys: AttributeMap[],
  layout: TableLayout,
): Statement {
  const state = dialect.quoteTable(stateTable(table));
  if (dialect.name === "postgresql") {
    if (layout === "key-hash") {
      return {
        sql: `SELECT ${columns(dialect, layout)} FROM ${state} WHERE key_hash IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)`,
        params: [keys.map((k) => keyHash(canonicalKey(k)))],
      };
    }
    return {
      sql: `SELECT ${columns(dialect, layout)} FROM ${state} WHERE pk IN (SELECT jsonb_array_elements($1::jsonb))`,
      params: [`[${keys.map((k) => pkJson(keySchema, k)).join(",")}]`],
    };
  }
  // CrateDB: each key attribute's sub-column matched against the page's values
  // (`= ANY(?)`, term lookups on the primary key's columns). One OR term per key
  // would be exact, but CrateDB 6.4 plans an OR of n terms in time growing
  // faster than n² (100 keys: 6 s; a 1 MB Scan page of 1 KB items, 1,000 keys:
  // minutes, the node busy long after the client gave up), and a JOIN on
  // UNNEST of the keys reads the whole table for each page. With two key
  // attributes this may answer other rows too (a partition key of one item
  // with the sort key of another): the caller keeps only the keys it asked for.
  const params = keySchema.map((a) => {
    const values = [...new Set(keys.map((k) => keyText(k[a.name])))];
    // CrateDB 6.4 refuses `= ANY` on a numeric column whose values are not in
    // ascending order ("values are out of order"); pk_text's are text.
    return a.type === "N" && layout !== "text-key" ? values.sort(compareNumbers) : values;
  });
  const where = keySchema.map((a) => `${keyColumn(dialect, a, layout)} = ANY(?)`).join(" AND ");
  return { sql: `SELECT ${columns(dialect, layout)} FROM ${state} WHERE ${where}`, params };
}

/**
 * Live rows after `cursor` (undefined: from the start), at most `limit`, in
 * key order. PostgreSQL answers each row's cursor (column `cursor`); on
 * CrateDB the cursor is the JSON array of the last row's key values as text.
 */
export function liveStatePage(
  dialect: Dialect,
  table: TableName,
  keySchema: KeySchema,
  cursor: string | undefined,
  limit: number,
  layout: TableLayout,
): Statement {
  const state = dialect.quoteTable(stateTable(table));
  const q = dialect.quoteIdentifier;
  if (dialect.name === "postgresql") {
    const hashed = layout === "key-hash";
    const key = hashed ? "key_hash" : "pk";
    const after = hashed ? "decode($1, 'hex')" : "$1::jsonb";
    return {
      sql:
        `SELECT ${columns(dialect, layout)}, ${hashed ? "encode(key_hash, 'hex')" : "pk::text"} AS cursor FROM ${state} ` +
        `WHERE NOT deleted AND ($1::text IS NULL OR ${key} > ${after}) ORDER BY ${key} LIMIT $2`,
      params: [cursor ?? null, limit],
    };
  }
  const cols = keySchema.map((a) => keyColumn(dialect, a, layout));
  const params: unknown[] = [];
  let where = `NOT ${q("deleted")}`;
  if (cursor !== undefined) {
    const last = JSON.parse(cursor) as string[];
    const [a, b] = cols;
    if (b === undefined) {
      where += ` AND ${a} > ?`;
      params.push(last[0]);
    } else {
      where += ` AND (${a} > ? OR (${a} = ? AND ${b} > ?))`;
      params.push(last[0], last[0], last[1]);
    }
  }
  params.push(limit);
  return {
    sql: `SELECT ${columns(dialect, layout)} FROM ${state} WHERE ${where} ORDER BY ${cols.join(", ")} LIMIT ?`,
    params,
  };
}

/** A key attribute's value as text (CrateDB's key columns take N keys as text, cratedb-keys.ts). */
export function keyText(av: AttributeValue | undefined): string {
  const v = (av ?? {}) as Record<string, string>;
  return v.S ?? v.N ?? v.B ?? "";
}

/** Ascending order of DynamoDB numbers: exact for integers, as doubles otherwise (the column's type then). */
function compareNumbers(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Number(a) - Number(b);
}

/** A key as the `pk` column's JSON (PostgreSQL's layout before key_hash). */
function pkJson(keySchema: KeySchema, keys: AttributeMap): string {
  const members = keySchema.map((a) => {
    const av = keys[a.name] as Record<string, string>;
    const value = a.type === "N" ? (av.N as string) : JSON.stringify(av[a.type]);
    return `${JSON.stringify(a.name)}:${value}`;
  });
  return `{${members.join(",")}}`;
}

function subscript(name: string): string {
  return `'${name.replaceAll("'", "''")}'`;
}
