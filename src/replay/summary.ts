// What a replay did, counted batch by batch: the pipeline's counts plus what
// failed (and what of it the routes placed nowhere), what was refused beyond a purged tombstone, rounded numbers and
// attributes routed to `aux`.

import { RoutingRefusal } from "../errors.ts";
import { addCounts, type BatchResult, type Counts, zeroCounts } from "../pipeline/batch-result.ts";
import { HorizonError } from "../pipeline/horizon.ts";

export interface ReplaySummary extends Counts {
  /** The sink can not tell stale rows from written ones (CrateDB): `applied` counts both. */
  staleUnknown: boolean;
  /** Failed records older than a purged tombstone of the table (see HorizonError). */
  beyondHorizon: number;
  failed: number;
  /** Failed records that the routes placed in no target table, and the tables they came from. */
  unrouted: number;
  unroutedTables: string[];
  roundedNumbers: number;
  routedToAux: number;
  seconds: number;
}

export function emptySummary(): ReplaySummary {
  return {
    ...zeroCounts(),
    staleUnknown: false,
    failed: 0,
    unrouted: 0,
    unroutedTables: [],
    beyondHorizon: 0,
    roundedNumbers: 0,
    routedToAux: 0,
    seconds: 0,
  };
}

/** Adds a committed batch's result to the summary. */
export function addToSummary(summary: ReplaySummary, result: BatchResult): void {
  addCounts(summary, result);
  summary.staleUnknown ||= result.staleUnknown;
  summary.roundedNumbers += result.roundedNumbers;
  summary.routedToAux += result.routedToAux;
  summary.failed += result.failed.length;
  summary.beyondHorizon += result.failed.filter((f) => f.error instanceof HorizonError).length;
  for (const { error } of result.failed) {
    if (!(error instanceof RoutingRefusal)) continue;
    summary.unrouted++;
    if (error.sourceTable !== undefined && !summary.unroutedTables.includes(error.sourceTable))
      summary.unroutedTables.push(error.sourceTable);
  }
}
