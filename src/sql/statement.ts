// What a dialect hands to a sink: SQL text with bound values, never values in
// the text.

/**
 * A value that is already JSON text (the codec writes `pk`, `data` and `aux`
 * as JSON to keep numbers exact); a sink sends it as JSON, not as a string.
 */
export class RawJson {
  constructor(readonly json: string) {}
}

/** One statement with positional parameters. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * The write of a batch of rows: either one statement for all rows
 * (PostgreSQL, rows in one JSON parameter) or one statement with a parameter
 * list per row (CrateDB `bulk_args`).
 */
export type BatchWrite =
  | { kind: "single"; sql: string; params: unknown[]; rows: number }
  | { kind: "bulk"; sql: string; bulkArgs: unknown[][] };
