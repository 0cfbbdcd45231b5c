// Keyed reads of a target's state table for `dynacrate verify`: the rows of a
// page's keys in one query, and the live keys in pages (keyset order), so
// that memory stays bounded whatever the table's size. Columns come as JSON
// text so that no number is rounded on the way (see exact-json.ts).

import { canonicalKey } from "../codec/row.ts";
import type { AttributeMap, AttributeValue } from "../codec/types.ts";
import type { Sink } from "../sink/sink.ts";
import type { KeySchema } from "../sql/key-schema.ts";
import { keyHash, stateLayoutQuery } from "../sql/postgresql.ts";
import type { Statement } from "../sql/statement.ts";
import { stateTable, type TableName } from "../sql/table-name.ts";
import { type ExactJson, JsonNumber, parseExactJson } from "./exact-json.ts";
import type { SinkRow } from "./item-compare.ts";

/** One row of the state table: the view's columns plus its version and tombstone flag. */
export interface StateRow extends SinkRow {
  keys: AttributeMap;
  version: string;
  deleted: boolean;
}

interface RawRow {
  pk: string;
  data: string | null;
  aux: string | null;
  version: string;
  deleted: boolean;
  cursor?: string;
}

export class TargetRows {
  private layout: "key-hash" | "pk-key" | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly table: TableName,
    private readonly keySchema: KeySchema,
  ) {}

  /** CrateDB shows writes to searches only after a refresh: called before each read round. */
  async refresh(): Promise<void> {
    if (this.sink.dialect.name !== "cratedb") return;
    const state = this.sink.dialect.quoteTable(stateTable(this.table));
    await this.sink.query({ sql: `REFRESH TABLE ${state}`, params: [] });
  }

  /** The state rows (live or tombstones) of the given keys, by canonical key. */
  async byKeys(keys: AttributeMap[]): Promise<Map<string, StateRow>> {
    const out = new Map<string, StateRow>();
    if (keys.length === 0) return out;
    const rows = await this.sink.query<RawRow>(await this.lookup(keys));
    for (const raw of rows) {
      const row = this.toRow(raw);
      out.set(canonicalKey(row.keys), row);
    }
    return out;
  }

  /** Live rows after `cursor` (undefined: from the start), at most `limit`, with the next cursor. */
  async livePage(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ rows: StateRow[]; next: string | undefined }> {
    const raw = await this.sink.query<RawRow>(await this.page(cursor, limit));
    const rows = raw.map((r) => this.toRow(r));
    const last = raw[raw.length - 1];
    const lastRow = rows[rows.length - 1];
    if (raw.length < limit || !last || !lastRow) return { rows, next: undefined };
    // PostgreSQL: the key hash (or pk); CrateDB: the key values in key order.
    const next =
      last.cursor ?? JSON.stringify(this.keySchema.map((a) => keyText(lastRow.keys[a.name])));
    return { rows, next };
  }

  private columns(): string {
    const q = this.sink.dialect.quoteIdentifier;
    const text = (c: string) =>
      this.sink.dialect.name === "postgresql"
        ? `${q(c)}::text AS ${q(c)}`
        : `CAST(${q(c)} AS TEXT) AS ${q(c)}`;
    return `${text("pk")}, ${text("data")}, ${text("aux")}, ${q("version")}, ${q("deleted")}`;
  }

  private async pgLayout(): Promise<"key-hash" | "pk-key"> {
    if (!this.layout) {
      const found = await this.sink.query<{ layout: "key-hash" | "pk-key" }>(
        stateLayoutQuery(this.table),
      );
      this.layout = found[0]?.layout ?? "key-hash";
    }
    return this.layout;
  }

  private async lookup(keys: AttributeMap[]): Promise<Statement> {
    const { dialect } = this.sink;
    const state = dialect.quoteTable(stateTable(this.table));
    const q = dialect.quoteIdentifier;
    if (dialect.name === "postgresql") {
      if ((await this.pgLayout()) === "key-hash") {
        return {
          sql: `SELECT ${this.columns()} FROM ${state} WHERE key_hash IN (SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)`,
          params: [keys.map((k) => keyHash(canonicalKey(k)))],
        };
      }
      return {
        sql: `SELECT ${this.columns()} FROM ${state} WHERE pk IN (SELECT jsonb_array_elements($1::jsonb))`,
        params: [`[${keys.map((k) => this.pkJson(k)).join(",")}]`],
      };
    }
    // CrateDB: the key sub-columns are the primary key; one OR term per key.
    const params: unknown[] = [];
    const terms = keys.map((k) => {
      const parts = this.keySchema.map((a) => {
        params.push(keyText(k[a.name]));
        return `${q("pk")}[${subscript(a.name)}] = ?`;
      });
      return `(${parts.join(" AND ")})`;
    });
    return { sql: `SELECT ${this.columns()} FROM ${state} WHERE ${terms.join(" OR ")}`, params };
  }

  private async page(cursor: string | undefined, limit: number): Promise<Statement> {
    const { dialect } = this.sink;
    const state = dialect.quoteTable(stateTable(this.table));
    const q = dialect.quoteIdentifier;
    if (dialect.name === "postgresql") {
      const hashed = (await this.pgLayout()) === "key-hash";
      const key = hashed ? "key_hash" : "pk";
      const after = hashed ? "decode($1, 'hex')" : "$1::jsonb";
      return {
        sql:
          `SELECT ${this.columns()}, ${hashed ? "encode(key_hash, 'hex')" : "pk::text"} AS cursor FROM ${state} ` +
          `WHERE NOT deleted AND ($1::text IS NULL OR ${key} > ${after}) ORDER BY ${key} LIMIT $2`,
        params: [cursor ?? null, limit],
      };
    }
    // CrateDB: keyset order over the key sub-columns; the cursor is the last row's key values.
    const cols = this.keySchema.map((a) => `${q("pk")}[${subscript(a.name)}]`);
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
      sql:
        `SELECT ${this.columns()} FROM ${state} WHERE ${where} ` +
        `ORDER BY ${cols.join(", ")} LIMIT ?`,
      params,
    };
  }

  private toRow(raw: RawRow): StateRow {
    const pk = parseExactJson(raw.pk);
    const keys = this.keysOf(pk);
    return {
      pk,
      data: raw.data === null ? null : parseExactJson(raw.data),
      aux: raw.aux === null ? null : parseExactJson(raw.aux),
      version: raw.version,
      deleted: raw.deleted,
      keys,
    };
  }

  /** The key attributes a row's `pk` holds, as attribute values. */
  private keysOf(pk: ExactJson): AttributeMap {
    const object = (
      typeof pk === "object" && pk !== null && !Array.isArray(pk) && !(pk instanceof JsonNumber)
        ? pk
        : {}
    ) as Record<string, ExactJson>;
    const keys: AttributeMap = {};
    for (const a of this.keySchema) {
      const value = object[a.name];
      const text = value instanceof JsonNumber ? value.text : String(value);
      keys[a.name] = (
        a.type === "N" ? { N: text } : a.type === "S" ? { S: text } : { B: text }
      ) as AttributeValue;
    }
    return keys;
  }

  /** A key as the `pk` column's JSON (PostgreSQL's older layout). */
  private pkJson(keys: AttributeMap): string {
    const members = this.keySchema.map((a) => {
      const av = keys[a.name] as Record<string, string>;
      const value = a.type === "N" ? (av.N as string) : JSON.stringify(av[a.type]);
      return `${JSON.stringify(a.name)}:${value}`;
    });
    return `{${members.join(",")}}`;
  }
}

/** A key attribute's value as text (CrateDB's key columns take N keys as text, cratedb-keys.ts). */
function keyText(av: AttributeValue | undefined): string {
  const v = (av ?? {}) as Record<string, string>;
  return v.S ?? v.N ?? v.B ?? "";
}

function subscript(name: string): string {
  return `'${name.replaceAll("'", "''")}'`;
}
