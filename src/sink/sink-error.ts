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

export class SinkError extends DynacrateError {
  override name = "SinkError";
  readonly kind: SinkErrorKind;
  /** The database's own error code (SQLSTATE, CrateDB error code, HTTP status), when it gave one. */
  readonly code: string | undefined;

  constructor(kind: SinkErrorKind, message: string, code?: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.code = code;
  }

  get retryable(): boolean {
    return this.kind === "transient";
  }
}
