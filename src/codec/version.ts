// Versions order the changes of one item. They are fixed-layout text that
// sorts byte-wise in change order, so both CrateDB and PostgreSQL (with the "C"
// collation) compare them with a plain `>` and the guard can live in SQL.
//
// Layout: 17 digits of microseconds since the epoch, a mark (":" for a
// timestamp stamped in whole milliseconds, "." otherwise), then a tie-breaker:
// a stream sequence number prefixed with its length in 3 digits, so numbers of
// different lengths still compare numerically ("005" + "12345" < "006" + "100000").
//
// A millisecond timestamp stands for its whole millisecond: against a
// microsecond timestamp inside it neither is known to be older (a stream's
// precision was switched, in either direction), so the two are ordered by
// their tie-breakers, the stream's order. Every other pair compares as text.
// compareVersions and the SQL guard (sql/version-order.ts) apply this alike.

/** The digits of a version that name its microsecond. */
export const MICROS_WIDTH = 17;
/** The digits of a version that name its millisecond. */
export const MILLIS_WIDTH = 14;
/** The mark of a version stamped in whole milliseconds. */
export const MILLIS_MARK = ":";

/** How finely a timestamp was stamped. */
export type Tick = "microsecond" | "millisecond";

/** Builds a version from a timestamp in microseconds and an optional sequence number. */
export function makeVersion(micros: number, sequence?: string, tick: Tick = "microsecond"): string {
  const time =
    String(Math.max(0, Math.trunc(micros))).padStart(MICROS_WIDTH, "0") +
    (tick === "millisecond" ? MILLIS_MARK : ".");
  if (!sequence) return `${time}000`;
  // Leading zeros dropped (one kept for "0"), so the length prefix orders numerically.
  let start = 0;
  while (start < sequence.length - 1 && sequence.charCodeAt(start) === 48) start++;
  const digits = start === 0 ? sequence : sequence.slice(start);
  return `${time}${String(digits.length).padStart(3, "0")}${digits}`;
}

/** The timestamp part of a version, in microseconds. */
export function versionMicros(version: string): number {
  return Number(version.slice(0, MICROS_WIDTH));
}

/**
 * Orders two versions: negative when `a` is older than `b`, 0 when they are
 * the same change. A millisecond version against a microsecond one of the
 * same millisecond is ordered by the tie-breakers (see above).
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (
    a[MICROS_WIDTH] !== b[MICROS_WIDTH] &&
    a.slice(0, MILLIS_WIDTH) === b.slice(0, MILLIS_WIDTH)
  ) {
    const ta = a.slice(MICROS_WIDTH + 1);
    const tb = b.slice(MICROS_WIDTH + 1);
    if (ta !== tb) return ta < tb ? -1 : 1;
  }
  return a < b ? -1 : 1;
}
