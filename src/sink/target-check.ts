// The set-up check a sink runs before it creates anything: dynacrate only ever
// creates, replaces or writes relations of its own layout. A user's table of
// the target's name (the reference walk-through had users create
// `transactions (data OBJECT(DYNAMIC))` themselves) must never be replaced:
// on CrateDB 6.4.3 `CREATE OR REPLACE VIEW x` silently drops a base table `x`
// with its rows (FACTS.md section 5). The shells (replay, relay, the Lambda
// function) run this before their first record, so a conflict stops them at
// start-up with one ConfigError instead of failing every record.
//
// The shells run it before their first record as part of the set-up check
// (set-up-check.ts), and every sink again before it creates anything.

import { ConfigError } from "../errors.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import type { Sink } from "./sink.ts";

/** One column of a relation, as information_schema.columns names it (`data['a']` for a sub-column). */
export interface ColumnInfo {
  column_name: string;
  data_type: string;
}

/** What the target holds already, after the check passed. */
export interface TargetState {
  /** The state table's columns (sub-columns included), or undefined when it does not exist yet. */
  stateColumns: ColumnInfo[] | undefined;
  /**
   * True when the view exists already (over the state table) with the
   * dialect's columns; a view an earlier release made, with fewer, is
   * dynacrate's too, and is replaced.
   */
  viewExists: boolean;
}

interface RelationRow {
  name: string;
  kind: string;
  definition: string | null;
}

/** The state table's columns dynacrate reads and writes. */
const STATE_COLUMNS = ["pk", "data", "aux", "version", "deleted", "updated_at"];
/** The view's columns as every release made them; a dialect's own may add to them. */
const FIRST_VIEW_COLUMNS = ["pk", "data", "aux"];
/** Views earlier versions made, replaced by the dialect's own on first use. */
const EARLIER_VIEWS = [FIRST_VIEW_COLUMNS, ["pk", "data", "aux", "aux_text"]];

/**
 * Looks up the view's and the state table's names; throws ConfigError when
 * either is taken by a relation that is not dynacrate's layout. Creates nothing.
 */
export async function checkTarget(sink: Sink, table: TableName): Promise<TargetState> {
  const { dialect } = sink;
  const state = stateTable(table);
  const relations = await sink.query<RelationRow>(dialect.lookupRelations(table));
  const view = relations.find((r) => r.name === table.name);
  const stored = relations.find((r) => r.name === state.name);

  let stateColumns: ColumnInfo[] | undefined;
  if (stored) {
    if (stored.kind !== "BASE TABLE") throw conflict(table, state, stored, "a base table");
    stateColumns = await sink.query<ColumnInfo>(dialect.lookupColumns(state));
    const missing = missingColumns(stateColumns, STATE_COLUMNS);
    if (missing.length > 0)
      throw conflict(table, state, stored, "dynacrate's state table", missing);
  }
  let current = false;
  if (view) {
    if (view.kind !== "VIEW") throw conflict(table, table, view, "a view");
    const columns = await sink.query<ColumnInfo>(dialect.lookupColumns(table));
    const missing = missingColumns(columns, FIRST_VIEW_COLUMNS);
    const ours = [dialect.viewColumns, ...EARLIER_VIEWS].find(
      (wanted) =>
        topLevel(columns).length === wanted.length &&
        isOurView(view.definition, table, state, wanted),
    );
    if (missing.length > 0 || !ours)
      throw conflict(table, table, view, "a view over its state table", missing);
    current = ours === dialect.viewColumns;
  }
  return { stateColumns, viewExists: current };
}

function topLevel(columns: ColumnInfo[]): string[] {
  // CrateDB lists sub-columns as `data['a']`; their names hold a bracket.
  return columns.map((c) => c.column_name).filter((name) => !name.includes("["));
}

function missingColumns(columns: ColumnInfo[], wanted: string[]): string[] {
  const have = new Set(topLevel(columns));
  return wanted.filter((name) => !have.has(name));
}

/**
 * True when a view's stored text is dynacrate's view: `SELECT pk, data, aux
 * FROM <state> WHERE NOT deleted` (with `columns`), as CrateDB (quoted, one
 * item a line) or PostgreSQL (columns qualified by the table, a trailing `;`)
 * print it back.
 */
function isOurView(
  definition: string | null,
  table: TableName,
  state: TableName,
  columns: readonly string[],
): boolean {
  if (definition === null) return false;
  // PostgreSQL prints `WHERE (NOT deleted)`: quotes and parentheses carry nothing here.
  let text = definition.replace(/["()]/g, "").replace(/\s+/g, " ").trim().replace(/;$/, "");
  if (table.schema) text = text.replaceAll(`${table.schema}.`, "");
  text = text
    .replaceAll(`${state.name}.`, "")
    .replace(/ ,/g, ",")
    .replace(/,(?! )/g, ", ");
  return (
    text.toLowerCase() ===
    `select ${columns.join(", ")} from ${state.name} where not deleted`.toLowerCase()
  );
}

function conflict(
  target: TableName,
  name: TableName,
  found: RelationRow,
  expected: string,
  missing: string[] = [],
): ConfigError {
  const kind = found.kind === "BASE TABLE" ? "a table" : `a ${found.kind.toLowerCase()}`;
  const why =
    missing.length > 0
      ? ` without dynacrate's layout (no column ${missing.join(", ")})`
      : found.kind === "VIEW" && expected !== "a base table"
        ? " over something other than its state table"
        : "";
  return new ConfigError(
    `${formatTableName(name)} exists already as ${kind}${why}, where dynacrate expects ${expected} ` +
      `it created itself; dynacrate leaves it untouched. dynacrate keeps the rows of --table ${formatTableName(target)} in ` +
      `${formatTableName(stateTable(target))} (columns ${STATE_COLUMNS.join(", ")}) and shows them through the view ` +
      `${formatTableName(target)}. Either choose another --table (TARGET_TABLE for the Lambda function), ` +
      `or adopt the existing table if it has that layout: rename it to ${formatTableName(stateTable(target))} ` +
      "and dynacrate creates the view over it.",
  );
}
