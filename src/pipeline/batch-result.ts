// What applying a batch tells its caller: counts, and each failed record with
// whether it can ever succeed.

import type { DynacrateError } from "../errors.ts";

export interface FailedRecord {
  /** Index of the record in the batch as delivered. */
  index: number;
  /** How the record is named: eventID, position or input line. */
  ref: string;
  /** Its stream position (what a partial batch response names), if known. */
  position: string | undefined;
  error: DynacrateError;
  /**
   * True when the record itself is at fault (undecodable, or refused by the
   * database as bad data): retrying can not help and it belongs in a
   * dead-letter destination. False when the sink failed: retry it later.
   */
  permanent: boolean;
  /** The record as delivered, for the dead-letter destination. */
  payload: unknown;
}

export interface BatchResult extends Counts {
  /**
   * True when the sink can not tell a stale change from a written one
   * (CrateDB): `applied` then counts both, and `stale` and the duplicates
   * found in the database are 0.
   */
  staleUnknown: boolean;
  failed: FailedRecord[];
  /** Numbers rounded to a double (CrateDB, number format `double`). */
  roundedNumbers: number;
  /** Attributes stored in `aux` because their value did not fit `data`'s column types (CrateDB). */
  routedToAux: number;
  /** The newest ApproximateCreationDateTime of the batch, microseconds; 0 if none decoded. */
  newestMicros: number;
  /** The oldest ApproximateCreationDateTime of the batch, microseconds; 0 if none decoded. */
  oldestMicros: number;
  /**
   * The same counts per target table, where a batch spans several (a
   * router's); records refused before any table took them are under table "".
   * Absent for one pipeline's result: all of it is its table's.
   */
  tables?: TableCounts[];
}

/** A batch's counts for one target table. */
export interface TableCounts extends Counts {
  /** The target, as formatTableName writes it; "" for records no route took. */
  table: string;
  /** Records that can never be applied (they go to the dead-letter destination). */
  refused: number;
  /** Records the sink failed to take this time (an outage): they are tried again. */
  failed: number;
  roundedNumbers: number;
  routedToAux: number;
}

/** What summaries over many batches add up (replay, relay). */
export interface Counts {
  records: number;
  /** Changes written to the sink. */
  applied: number;
  /** Changes left out, in all: superseded + stale + duplicates + records that change no row. */
  skipped: number;
  /** Changes left out because a newer change of their item was applied from the same batch. */
  superseded: number;
  /** Changes left out because the database holds a newer version of their item. */
  stale: number;
  /** Changes already applied: the same version twice in the batch, or already in the database. */
  duplicates: number;
}

export function zeroCounts(): Counts {
  return { records: 0, applied: 0, skipped: 0, superseded: 0, stale: 0, duplicates: 0 };
}

/** A result of nothing: what a batch's outcomes are added to. */
export function emptyBatchResult(): BatchResult {
  return {
    ...zeroCounts(),
    staleUnknown: false,
    failed: [],
    roundedNumbers: 0,
    routedToAux: 0,
    newestMicros: 0,
    oldestMicros: 0,
  };
}

/** Adds a batch's counts to a running total. */
export function addCounts(total: Counts, result: Counts): void {
  total.records += result.records;
  total.applied += result.applied;
  total.skipped += result.skipped;
  total.superseded += result.superseded;
  total.stale += result.stale;
  total.duplicates += result.duplicates;
}

/** A result's counts as one table's share of a batch. */
export function tableCounts(
  table: string,
  result: Counts & Pick<BatchResult, "failed" | "roundedNumbers" | "routedToAux">,
): TableCounts {
  const refused = result.failed.filter((f) => f.permanent).length;
  const counts = zeroCounts();
  addCounts(counts, result);
  return {
    table,
    ...counts,
    refused,
    failed: result.failed.length - refused,
    roundedNumbers: result.roundedNumbers,
    routedToAux: result.routedToAux,
  };
}
