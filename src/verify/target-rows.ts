// Keyed reads of a target's state table for `dynacrate verify`: the rows of a
// page's keys in one query, and the live keys in pages (keyset order), so
// that memory stays bounded whatever the table's size. Columns come as JSON
// text so that no number is rounded on the way (see exact-json.ts).

import type { KeySchema } from "../codec/key-schema.ts";
import { canonicalKey } from "../codec/row.ts";
import type { AttributeMap, AttributeValue } from "../codec/types.ts";
import type { Sink } from "../sink/sink.ts";
import type { TableLayout } from "../sql/dialect.ts";
import { keyText, layoutQuery, liveStatePage, stateRowsByKeys } from "../sql/state-reads.ts";
import { stateTable, type TableName } from "../sql/table-name.ts";
import { type ExactJson, JsonNumber, parseExactJson } from "./exact-json.ts";
import { exactPk } from "./exact-key.ts";
import type { SinkRow } from "./item-compare.ts";

/** One row of the state table: the view's columns plus its version and tombstone flag. */
export interface StateRow extends SinkRow {
  keys: AttributeMap;
  version: string;
  deleted: boolean;
}

interface RawRow {
  pk: string;
  pk_text?: string | null;
  data: string | null;
  aux: string | null;
  version: string;
  deleted: boolean;
  cursor?: string;
}

export class TargetRows {
  private layout: TableLayout | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly table: TableName,
    private readonly keySchema: KeySchema,
  ) {}

  /** CrateDB shows writes to searches only after a refresh: called before each read round. */
  async refresh(): Promise<void> {
    const refresh = this.sink.dialect.refresh(stateTable(this.table));
    if (refresh) await this.sink.query(refresh);
  }

  /** The state rows (live or tombstones) of the given keys, by canonical key. */
  async byKeys(keys: AttributeMap[]): Promise<Map<string, StateRow>> {
    const out = new Map<string, StateRow>();
    if (keys.length === 0) return out;
    const statement = stateRowsByKeys(
      this.sink.dialect,
      this.table,
      this.keySchema,
      keys,
      await this.tableLayout(),
    );
    const asked = new Set(keys.map(canonicalKey));
    for (const raw of await this.sink.query<RawRow>(statement)) {
      const row = this.toRow(raw);
      const key = canonicalKey(row.keys);
      // CrateDB's statement may answer rows of keys not asked for (state-reads.ts).
      if (asked.has(key)) out.set(key, row);
    }
    return out;
  }

  /** Live rows after `cursor` (undefined: from the start), at most `limit`, with the next cursor. */
  async livePage(
    cursor: string | undefined,
    limit: number,
  ): Promise<{ rows: StateRow[]; next: string | undefined }> {
    const statement = liveStatePage(
      this.sink.dialect,
      this.table,
      this.keySchema,
      cursor,
      limit,
      await this.tableLayout(),
    );
    const raw = await this.sink.query<RawRow>(statement);
    const rows = raw.map((r) => this.toRow(r));
    const last = raw[raw.length - 1];
    const lastRow = rows[rows.length - 1];
    if (raw.length < limit || !last || !lastRow) return { rows, next: undefined };
    // PostgreSQL: the key hash (or pk); CrateDB: the key values in key order.
    const next =
      last.cursor ?? JSON.stringify(this.keySchema.map((a) => keyText(lastRow.keys[a.name])));
    return { rows, next };
  }

  private async tableLayout(): Promise<TableLayout> {
    if (!this.layout) {
      const query = layoutQuery(this.sink.dialect, this.table);
      const found = await this.sink.query<{ layout: TableLayout }>(query);
      this.layout = found[0]?.layout ?? "key-hash";
    }
    return this.layout;
  }

  private toRow(raw: RawRow): StateRow {
    const pk = exactPk(parseExactJson(raw.pk), raw.pk_text);
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
}
