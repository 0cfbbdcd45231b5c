// Errors of a sink, translated at the boundary from driver and HTTP errors so
// that the pipeline can decide: retry, split the batch, or fail the record.

import { DynacrateError } from "../errors.ts";

export type SinkErrorKind =
  /** The database or the network failed; the same write may succeed later. */
  | "transient"
  /** The request was refused because of something in it (a value, a type); split the batch to find the row. */
  | "rejected"
  /** The write can not work at all (missing table, bad credentials); no row is to blame. */
  | "fatal";

/**
 * What a database error code blames, in the classification tables of each
 * sink (cratedb-errors.ts, postgres-errors.ts):
 * - `row`: the content of a row (a value, a type, a key too large). The
 *   pipeline splits the request until the row stands alone, then refuses that
 *   row alone (dead letter).
 * - `batch`: the request as a whole (its size, its number of parameters), not
 *   any one row's content: the pipeline splits it likewise; a row refused alone
 *   is refused for its own size.
 * - `sink`: the database or its configuration (down, a missing table, a
 *   privilege): retried, never dead-lettered.
 */
export type FailureScope = "row" | "batch" | "sink";

/** One entry of a sink's error table. */
export interface ErrorClass {
  scope: FailureScope;
  /** For `sink`: whether the same request may pass later (an outage) or not (configuration). */
  retry?: boolean;
  /** What to do about it, for the message. */
  hint?: string;
  /** The table (or schema) the statement names does not exist. */
  missingRelation?: boolean;
}

/** Builders of table entries, for the sinks' error tables. */
export const classes = {
  row: (hint?: string): ErrorClass => ({ scope: "row", ...(hint ? { hint } : {}) }),
  batch: (hint: string): ErrorClass => ({ scope: "batch", hint }),
  /** The sink's, and a retry may pass. */
  retry: (hint?: string): ErrorClass => ({ scope: "sink", retry: true, ...(hint ? { hint } : {}) }),
  /** The sink's, and only a change of configuration helps. */
  stop: (hint: string, missingRelation = false): ErrorClass => ({
    scope: "sink",
    retry: false,
    hint,
    ...(missingRelation ? { missingRelation } : {}),
  }),
};

/** The pipeline's action for an error class. */
export function kindOf(entry: ErrorClass): SinkErrorKind {
  if (entry.scope !== "sink") return "rejected";
  return entry.retry ? "transient" : "fatal";
}

export class SinkError extends DynacrateError {
  override name = "SinkError";
  readonly kind: SinkErrorKind;
  /** The database's own error code (SQLSTATE, CrateDB error code, HTTP status), when it gave one. */
  readonly code: string | undefined;

  /** The statement named a table or schema that does not exist (see ErrorClass). */
  readonly missingRelation: boolean;

  constructor(
    kind: SinkErrorKind,
    message: string,
    code?: string,
    options?: ErrorOptions & { missingRelation?: boolean },
  ) {
    super(message, options);
    this.kind = kind;
    this.code = code;
    this.missingRelation = options?.missingRelation ?? false;
  }

  get retryable(): boolean {
    return this.kind === "transient";
  }
}
