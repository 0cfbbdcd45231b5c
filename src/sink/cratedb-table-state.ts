// What the CrateDB sink knows of one state table's columns, and how it shapes
// each row to them before sending it (docs/SEMANTICS.md G10, G11):
// - keys: each numeric key attribute is sent in the form its `pk` column holds
//   exactly, or its record fails with the reason (sql/cratedb-keys.ts);
// - schemaless data: a top-level attribute of `data` whose value does not fit
//   the sub-column types the table has (a string where a number was first, a
//   map where a list was, a name CrateDB refuses, a list of mixed types at any
//   depth) moves to `aux` (OBJECT(IGNORED): stored, not indexed) for that row,
//   so that pk + data + aux always equal the item (sql/cratedb-types.ts).
// The known types start from information_schema.columns, grow with every
// value the sink sends, and are read again after CrateDB refused a row. The
// sub-columns a row needs that the table does not have are collected
// (`takeNewColumns`) and declared before the row is sent (cratedb-types.ts says why).

import { skipValue, stringEnd } from "../codec/json-scan.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import {
  checkKeyColumns,
  type KeyColumnTypes,
  keyColumnTypes,
  keyJson,
} from "../sql/cratedb-keys.ts";
import {
  fits,
  inferType,
  learn,
  type NewColumn,
  type TypeNode,
  typeTreeOf,
} from "../sql/cratedb-types.ts";
import type { ColumnInfo } from "./target-check.ts";

/** A row as it goes to CrateDB, or why its record fails. */
export type ShapedRow = { row: EncodedRow; routed: string[] } | { problem: string };

const ILLEGAL_NAME = /[.[\]]/;

export class CrateTableState {
  #data: TypeNode;
  #keys: KeyColumnTypes;
  #newColumns: NewColumn[] = [];
  readonly #name: string;

  constructor(name: string, columns: ColumnInfo[]) {
    this.#name = name;
    this.#data = typeTreeOf(columns, "data");
    this.#keys = keyColumnTypes(columns);
  }

  /** Replaces what is known by what the table has now. */
  reload(columns: ColumnInfo[]): void {
    this.#data = typeTreeOf(columns, "data");
    this.#keys = keyColumnTypes(columns);
    this.#newColumns = [];
  }

  /** The sub-columns the rows shaped since the last call need, to declare before sending them. */
  takeNewColumns(): NewColumn[] {
    const taken = this.#newColumns;
    this.#newColumns = [];
    return taken;
  }

  /** Throws ConfigError when the table's key columns can not hold the keys exactly. */
  checkKeys(keys: KeySchema): void {
    checkKeyColumns(this.#keys, keys, this.#name);
  }

  /** The row to send: its key in the column's form, its data split between `data` and `aux`. */
  shape(row: EncodedRow, keys: KeySchema): ShapedRow {
    const pk = keyJson(row.pk, keys, this.#keys);
    if ("problem" in pk) return pk;
    const routed = row.data === null ? [] : this.#route(row.data);
    if (routed.length === 0 && pk.json === row.pk) return { row, routed };
    const split =
      routed.length === 0 ? { data: row.data, aux: row.aux } : moveMembers(row, new Set(routed));
    return { row: { ...row, pk: pk.json, data: split.data, aux: split.aux }, routed };
  }

  /** The top-level attributes of `data` that can not be stored there as they are. */
  #route(data: string): string[] {
    const members = JSON.parse(data) as Record<string, unknown>;
    const routed: string[] = [];
    for (const name in members) {
      const inferred = ILLEGAL_NAME.test(name) ? undefined : inferType(members[name]);
      if (inferred && fits(this.#data.child(name), inferred)) {
        // The columns this value creates bind the rows after it, in this
        // batch too: CrateDB would take whichever shard's row came first.
        this.#newColumns.push(...learn(this.#data.ensureChild(name), inferred, ["data", name]));
      } else {
        routed.push(name);
      }
    }
    return routed;
  }
}

/**
 * Moves the named top-level members of `data` to `aux`, byte for byte (the
 * codec's JSON text keeps numbers exact; a parse and stringify would not).
 */
function moveMembers(
  row: EncodedRow,
  names: Set<string>,
): { data: string | null; aux: string | null } {
  const data = row.data as string;
  let kept = "{";
  let moved = "";
  let i = 1;
  while (i < data.length && data.charCodeAt(i) !== 125) {
    const nameEnd = stringEnd(data, i);
    const name = JSON.parse(data.slice(i, nameEnd)) as string;
    const valueEnd = skipValue(data, nameEnd + 1);
    const member = data.slice(i, valueEnd);
    if (names.has(name)) moved += (moved === "" ? "" : ",") + member;
    else kept += (kept.length === 1 ? "" : ",") + member;
    i = data.charCodeAt(valueEnd) === 44 ? valueEnd + 1 : valueEnd;
  }
  const aux =
    row.aux === null || row.aux === "{}" ? `{${moved}}` : `${row.aux.slice(0, -1)},${moved}}`;
  return { data: `${kept}}`, aux };
}
