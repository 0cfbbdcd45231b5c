// Versions order the changes of one item. They are fixed-layout text that
// sorts byte-wise in change order, so both CrateDB and PostgreSQL (with the "C"
// collation) compare them with a plain `>` and the guard can live in SQL.
//
// Layout: 17 digits of microseconds since the epoch, ".", then a tie-breaker:
// a stream sequence number prefixed with its length in 3 digits, so numbers of
// different lengths still compare numerically ("005" + "12345" < "006" + "100000").

const MICROS_WIDTH = 17;

/** Builds a version from a timestamp in microseconds and an optional sequence number. */
export function makeVersion(micros: number, sequence?: string): string {
  const time = String(Math.max(0, Math.trunc(micros))).padStart(MICROS_WIDTH, "0");
  if (!sequence) return `${time}.000`;
  // Leading zeros dropped (one kept for "0"), so the length prefix orders numerically.
  let start = 0;
  while (start < sequence.length - 1 && sequence.charCodeAt(start) === 48) start++;
  const digits = start === 0 ? sequence : sequence.slice(start);
  return `${time}.${String(digits.length).padStart(3, "0")}${digits}`;
}

/** The timestamp part of a version, in microseconds. */
export function versionMicros(version: string): number {
  return Number(version.slice(0, MICROS_WIDTH));
}
