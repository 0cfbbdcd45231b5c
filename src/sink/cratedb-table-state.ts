// What the CrateDB sink knows of one state table's columns, and how it shapes
// each row to them before sending it (docs/SEMANTICS.md G10, G11):
// - keys: each numeric key attribute is sent in the form its `pk` column holds
//   exactly, or its record fails with the reason (sql/cratedb-keys.ts);
// - schemaless data: a top-level attribute of `data` whose value does not fit
//   the sub-column types the table has (a string where a number was first, a
//   map where a list was, a name CrateDB refuses, a list of mixed types at any
//   depth) moves to `aux` (OBJECT(IGNORED): stored, not indexed) for that row,
//   so that pk + data + aux always equal the item (sql/cratedb-types.ts).
// - limits: a value whose sub-columns would take the table past its column
//   budget, or that holds a string CrateDB can not index (over 32,766 bytes)
//   or a name it refuses, moves to `aux` likewise; an attribute whose name
//   (or a name inside it) is too long for CrateDB's JSON reader at all goes,
//   as exact JSON text, into `aux['']` (no DynamoDB attribute is named "").
// The known types start from information_schema.columns, grow with every
// value the sink sends, and are read again after CrateDB refused a row. The
// sub-columns a row needs that the table does not have are collected
// (`takeNewColumns`) and declared before the row is sent (cratedb-types.ts
// says why). After a declaration that failed, or whose answer was lost, what
// was learnt is not trusted: the sink reads the columns again (`uncertain`)
// before it shapes another row.

import { skipValue, stringEnd } from "../codec/json-scan.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import { OneAtATime } from "../one-at-a-time.ts";
import type { CrateRow } from "../sql/cratedb.ts";
import {
  checkKeyColumns,
  type KeyColumnTypes,
  keyColumnTypes,
  keyJson,
} from "../sql/cratedb-keys.ts";
import {
  columnNameFits,
  fits,
  fitsAsIs,
  inferType,
  learn,
  MAX_NAME_BYTES,
  type NewColumn,
  newColumnCount,
  type TypeNode,
  typeTreeOf,
} from "../sql/cratedb-types.ts";
import type { TableLayout } from "../sql/dialect.ts";
import type { ColumnInfo } from "./target-check.ts";

/** A row as it goes to CrateDB, or why its record fails. */
export type ShapedRow = { row: CrateRow; routed: string[] } | { problem: string };

/**
 * Columns dynacrate declares in a state table at most, by default: CrateDB
 * refuses a table's 1,000th column (`mapping.total_fields.limit`, counting
 * sub-columns); the rest is headroom for columns a user adds.
 */
export const DEFAULT_MAX_COLUMNS = 900;

/** The member of `aux` holding, as JSON text, the attributes whose names CrateDB can not read. */
export const ENCODED_MEMBER = "";

export class CrateTableState {
  #data: TypeNode;
  #keys: KeyColumnTypes;
  #newColumns: NewColumn[] = [];
  #columns: number;
  #maxColumns: number;
  #uncertain = false;
  /** Top-level attributes whose columns CrateDB refused to declare: always in aux. */
  readonly #refused = new Set<string>();
  readonly #name: string;

  /**
   * Turns of this table's schema: reading, learning and declaring columns
   * happen in one turn at a time, so that concurrent writes never take a
   * column as existing while its declaration is still on its way.
   */
  readonly schema = new OneAtATime();

  /** Where numeric keys are primary keys: as text in pk_text, or in pk (an earlier release's table). */
  readonly layout: TableLayout;

  constructor(
    name: string,
    columns: ColumnInfo[],
    maxColumns = DEFAULT_MAX_COLUMNS,
    layout: TableLayout = "text-key",
  ) {
    this.#name = name;
    this.layout = layout;
    this.#maxColumns = maxColumns;
    this.#data = typeTreeOf(columns, "data");
    this.#keys = keyColumnTypes(columns);
    this.#columns = columns.length;
  }

  /** Replaces what is known by what the table has now. */
  reload(columns: ColumnInfo[]): void {
    this.#data = typeTreeOf(columns, "data");
    this.#keys = keyColumnTypes(columns);
    this.#columns = columns.length;
    this.#newColumns = [];
    this.#uncertain = false;
  }

  /**
   * A declaration failed or its answer was lost: the columns learnt since
   * the last reading may not exist, so none is trusted until `reload`.
   */
  markUncertain(): void {
    this.#uncertain = true;
    this.#newColumns = [];
  }

  /** True when the columns must be read again before another row is shaped. */
  get uncertain(): boolean {
    return this.#uncertain;
  }

  /**
   * After a refused declaration and `reload`: the top-level attributes of the
   * columns the table still lacks go to `aux` from now on.
   */
  refuseColumns(columns: NewColumn[]): void {
    for (const { path } of columns) {
      let node: TypeNode | undefined = this.#data;
      for (const name of path.slice(1)) node = node?.child(name);
      if (node?.type === undefined) this.#refused.add(path[1] as string);
    }
  }

  /** CrateDB refused a declaration for its column limit: declare nothing more. */
  columnLimitReached(): void {
    this.#maxColumns = Math.min(this.#maxColumns, this.#columns);
  }

  /** The sub-columns the rows shaped since the last call need, to declare before sending them. */
  takeNewColumns(): NewColumn[] {
    const taken = this.#newColumns;
    this.#newColumns = [];
    return taken;
  }

  /** True when rows shaped since the last `takeNewColumns` need sub-columns declared. */
  get hasNewColumns(): boolean {
    return this.#newColumns.length > 0;
  }

  /** Throws ConfigError when the table's key columns can not hold the keys exactly. */
  checkKeys(keys: KeySchema): void {
    checkKeyColumns(this.#keys, keys, this.#name);
  }

  /** The row to send: its key in the column's form, its data split between `data` and `aux`. */
  shape(row: EncodedRow, keys: KeySchema): ShapedRow {
    const pk = keyJson(row.pk, keys, this.#keys, this.layout === "text-key");
    if ("problem" in pk) return pk;
    const routed = row.data === null ? [] : this.#route(row.data);
    // Only text this long can hold a name CrateDB's JSON reader refuses.
    const longNames =
      (row.data?.length ?? 0) > MAX_NAME_BYTES / 3 || (row.aux?.length ?? 0) > MAX_NAME_BYTES / 3;
    if (routed.length === 0 && pk.json === row.pk && !longNames) return { row, routed };
    const split =
      routed.length === 0 && !longNames ? { data: row.data, aux: row.aux } : splitRow(row, routed);
    // The codec's pk holds every key as text: it is pk_text, whatever pk
    // becomes, but for numbers written canonically.
    const pkText = pk.json === row.pk ? {} : { pkText: pk.text ?? row.pk };
    return { row: { ...row, ...pkText, pk: pk.json, data: split.data, aux: split.aux }, routed };
  }

  /** The top-level attributes of `data` that can not be stored there as they are. */
  #route(data: string): string[] {
    const members = JSON.parse(data) as Record<string, unknown>;
    const routed: string[] = [];
    for (const name in members) {
      const known = this.#data.child(name);
      // The usual row: its value fits the columns the table has, as they are.
      if (fitsAsIs(known, members[name]) && !this.#refused.has(name)) continue;
      const inferred =
        columnNameFits(name) && !this.#refused.has(name) ? inferType(members[name]) : undefined;
      if (
        inferred &&
        fits(known, inferred) &&
        this.#columns + newColumnCount(known, inferred) <= this.#maxColumns
      ) {
        // The columns this value creates bind the rows after it, in this
        // batch too: CrateDB would take whichever shard's row came first.
        const added = learn(this.#data.ensureChild(name), inferred, ["data", name]);
        this.#columns += added.length;
        this.#newColumns.push(...added);
      } else {
        routed.push(name);
      }
    }
    return routed;
  }
}

/**
 * Moves the named top-level members of `data` to `aux`, and members of
 * either whose names CrateDB can not read into the JSON text of
 * `aux['']`, byte for byte (the codec's JSON text keeps numbers exact; a
 * parse and stringify would not).
 */
function splitRow(row: EncodedRow, routed: string[]): { data: string | null; aux: string | null } {
  const names = new Set(routed);
  let encoded = "";
  let moved = "";
  const encode = (member: string) => {
    encoded += (encoded === "" ? "" : ",") + member;
  };
  const data =
    row.data === null
      ? null
      : eachMember(row.data, (name, member) => {
          if (hasLongName(member)) encode(member);
          else if (names.has(name)) moved += (moved === "" ? "" : ",") + member;
          else return true;
          return false;
        });
  let aux =
    row.aux === null
      ? "{}"
      : eachMember(row.aux, (_, member) => {
          if (!hasLongName(member)) return true;
          encode(member);
          return false;
        });
  if (moved !== "") aux = aux === "{}" ? `{${moved}}` : `${aux.slice(0, -1)},${moved}}`;
  if (encoded !== "") {
    const text = `${JSON.stringify(ENCODED_MEMBER)}:${JSON.stringify(`{${encoded}}`)}`;
    aux = aux === "{}" ? `{${text}}` : `${aux.slice(0, -1)},${text}}`;
  }
  return { data, aux: aux === "{}" && row.aux === null ? null : aux };
}

/** The JSON object text with only the members `keep` returns true for. */
function eachMember(json: string, keep: (name: string, member: string) => boolean): string {
  let kept = "{";
  let i = 1;
  while (i < json.length && json.charCodeAt(i) !== 125) {
    const nameEnd = stringEnd(json, i);
    const name = JSON.parse(json.slice(i, nameEnd)) as string;
    const valueEnd = skipValue(json, nameEnd + 1);
    const member = json.slice(i, valueEnd);
    if (keep(name, member)) kept += (kept.length === 1 ? "" : ",") + member;
    i = json.charCodeAt(valueEnd) === 44 ? valueEnd + 1 : valueEnd;
  }
  return `${kept}}`;
}

/** True when a member's JSON text holds a name, at any depth, too long for CrateDB's JSON reader. */
function hasLongName(member: string): boolean {
  if (member.length <= MAX_NAME_BYTES / 3) return false;
  let found = false;
  JSON.parse(`{${member}}`, (name, value) => {
    if (!found && Buffer.byteLength(JSON.stringify(name)) > MAX_NAME_BYTES) found = true;
    return value;
  });
  return found;
}
