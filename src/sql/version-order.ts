// The version comparison of the guarded upsert, in SQL that CrateDB and
// PostgreSQL both run: the same order as compareVersions (codec/version.ts).
// Versions compare as text, except a millisecond version against a
// microsecond one of the same millisecond: then their tie-breakers decide.

import { MICROS_WIDTH, MILLIS_WIDTH } from "../codec/version.ts";

/** SQL true where the version `incoming` is newer than `stored` (two column expressions). */
export function newerVersion(incoming: string, stored: string): string {
  // SQL counts from 1: the mark is the character after the microseconds.
  const mark = (v: string) => `substr(${v}, ${MICROS_WIDTH + 1}, 1)`;
  const millis = (v: string) => `substr(${v}, 1, ${MILLIS_WIDTH})`;
  const tie = (v: string) => `substr(${v}, ${MICROS_WIDTH + 2})`;
  return (
    `(CASE WHEN ${mark(incoming)} <> ${mark(stored)} AND ${millis(incoming)} = ${millis(stored)} ` +
    `AND ${tie(incoming)} <> ${tie(stored)} THEN ${tie(incoming)} > ${tie(stored)} ` +
    `ELSE ${incoming} > ${stored} END)`
  );
}
