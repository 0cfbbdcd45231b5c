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

export interface BatchResult {
  records: number;
  /** Changes written to the sink. */
  applied: number;
  /** Changes left out because a newer or equal version of their item was already there or in the batch. */
  skipped: number;
  failed: FailedRecord[];
  /** Numbers rounded to a double (CrateDB, number format `double`). */
  roundedNumbers: number;
  /** The newest ApproximateCreationDateTime of the batch, microseconds; 0 if none decoded. */
  newestMicros: number;
  /** The oldest ApproximateCreationDateTime of the batch, microseconds; 0 if none decoded. */
  oldestMicros: number;
}
