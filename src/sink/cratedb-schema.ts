// A CrateDB state table's schema as the sink keeps it in step with the rows:
// the columns are read from information_schema, the sub-columns a batch needs
// are declared (ALTER TABLE ... ADD COLUMN) before any row that needs them is
// sent, and a declaration CrateDB refuses or an outage loses makes the sink
// read the columns again. All of this happens in turns of the table's schema
// (CrateTableState.schema), so concurrent writes through one sink (a relay's
// shards) never take a column as existing while its declaration is on its
// way. The known columns and the shaping of rows to them are
// cratedb-table-state.ts's; sending the rows is cratedb-bulk.ts's.

import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow } from "../codec/row.ts";
import { addColumns, cratedb } from "../sql/cratedb.ts";
import type { NewColumn } from "../sql/cratedb-types.ts";
import type { Statement } from "../sql/statement.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import type { CrateTableState } from "./cratedb-table-state.ts";
import type { WriteResult } from "./sink.ts";
import { SinkError } from "./sink-error.ts";
import type { ColumnInfo } from "./target-check.ts";

/** A row shaped for sending: its index in the batch, and the attributes moved to `aux`. */
export interface Shaped {
  index: number;
  row: EncodedRow;
  routed: string[];
}

/** CrateDB's refusal of a column past `mapping.total_fields.limit`. */
const COLUMN_LIMIT = /Limit of total columns \[\d+\]/;

export interface CrateDbSchemaOptions {
  /** Runs a query (retried as the sink retries). */
  query: <T>(statement: Statement) => Promise<T[]>;
  /** Runs a statement that changes the schema (retried as the sink retries). */
  execute: (statement: Statement, what: string) => Promise<void>;
}

export class CrateDbSchema {
  readonly #options: CrateDbSchemaOptions;

  constructor(options: CrateDbSchemaOptions) {
    this.#options = options;
  }

  /** The state table's columns as information_schema lists them. */
  read(table: TableName): Promise<ColumnInfo[]> {
    return this.#options.query<ColumnInfo>(cratedb.lookupColumns(stateTable(table)));
  }

  /** Replaces what `state` knows by the columns the table has now. */
  async reload(table: TableName, state: CrateTableState): Promise<void> {
    state.reload(await this.read(table));
  }

  /**
   * In a turn of the table's schema: shapes rows[i] for i in `indexes` and
   * declares the sub-columns they need. Undefined when a declaration was
   * refused: the same rows are then shaped again, against the table's
   * columns as they are now. A row whose key can not be held fails here, alone.
   */
  shapeAndDeclare(
    table: TableName,
    state: CrateTableState,
    rows: EncodedRow[],
    indexes: number[],
    keys: KeySchema,
    result: WriteResult,
  ): Promise<Shaped[] | undefined> {
    return state.schema.run(async () => {
      // A declaration failed or went unanswered: trust only what the table says it has.
      if (state.uncertain) await this.reload(table, state);
      const shaped = shape(state, rows, indexes, keys, result);
      // Sub-columns exist before any row that needs them is sent.
      const columns = state.takeNewColumns();
      if (columns.length === 0) return shaped;
      try {
        await this.#declare(table, columns);
        return shaped;
      } catch (error) {
        await this.#afterFailedDeclaration(table, state, columns, error);
        return undefined;
      }
    });
  }

  /**
   * In a turn of the table's schema: reads the columns again, then keeps the
   * rows for which `again(entry)` says another try may pass.
   */
  reloadAndSelect<T>(
    table: TableName,
    state: CrateTableState,
    entries: T[],
    again: (entry: T) => boolean,
  ): Promise<T[]> {
    return state.schema.run(async () => {
      const columns = await this.read(table);
      state.reload(columns);
      const kept = entries.filter(again);
      // Shaping to decide learnt columns not declared yet: forget them, so
      // that no other write takes them as existing before their declaration.
      state.reload(columns);
      return kept;
    });
  }

  /**
   * Whether the declaration took effect is not known (an outage may have lost
   * its answer): no row is sent on what was learnt, and the next shaping
   * starts from the columns the table has. A refusal is dealt with here; an
   * outage is thrown on.
   */
  async #afterFailedDeclaration(
    table: TableName,
    state: CrateTableState,
    columns: NewColumn[],
    error: unknown,
  ): Promise<void> {
    state.markUncertain();
    // CrateDB names this refusal by its message only (code 4000, as any parse error).
    if (error instanceof SinkError && COLUMN_LIMIT.test(error.message)) {
      // The table's limit is lower than the budget: declare nothing more.
      await this.reload(table, state);
      state.columnLimitReached();
      return;
    }
    if (!(error instanceof SinkError) || error.kind !== "rejected") throw error;
    // Refused: another writer added one first, or an earlier try that seemed
    // lost did ("already has a column"); or CrateDB will not have the column
    // at all. The rows are shaped again against the table as it is now, with
    // the attributes of columns still missing kept in aux from now on: each
    // round makes progress, so the sink's loop ends, and nothing is refused.
    await this.reload(table, state);
    state.refuseColumns(columns);
  }

  /**
   * Declares new sub-columns of `data`. Another writer may have added one
   * meanwhile ("already has a column", 4000): the whole statement is then
   * refused, and the caller reads the table's columns again and shapes anew.
   */
  #declare(table: TableName, columns: NewColumn[]): Promise<void> {
    return this.#options.execute(
      addColumns(table, columns),
      `adding ${columns.length} sub-column${columns.length === 1 ? "" : "s"} to ${formatTableName(stateTable(table))}`,
    );
  }
}

/** Shapes rows[i] for i in `indexes`; a row whose key can not be held fails here, alone. */
function shape(
  state: CrateTableState,
  rows: EncodedRow[],
  indexes: number[],
  keys: KeySchema,
  result: WriteResult,
): Shaped[] {
  const shaped: Shaped[] = [];
  for (const index of indexes) {
    const row = rows[index] as EncodedRow;
    const outcome = state.shape(row, keys);
    if ("problem" in outcome) {
      result.failedRows.set(
        index,
        new SinkError("rejected", `record ${row.change.ref}: ${outcome.problem}`, "KEY"),
      );
    } else shaped.push({ index, row: outcome.row, routed: outcome.routed });
  }
  return shaped;
}

/**
 * True when any of the rows would be shaped differently now, or needs a
 * sub-column declared first (then sending again may pass).
 */
export function reshapes(
  state: CrateTableState,
  rows: EncodedRow[],
  shaped: Shaped[],
  keys: KeySchema,
): boolean {
  let changed = false;
  for (const entry of shaped) {
    const now = state.shape(rows[entry.index] as EncodedRow, keys);
    if ("problem" in now || now.routed.join("\u0000") !== entry.routed.join("\u0000"))
      changed = true;
  }
  return changed || state.hasNewColumns;
}
