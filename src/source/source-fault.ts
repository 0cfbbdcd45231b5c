// Which errors of a stream read are worth waiting out: the AWS SDK marks
// request errors as client faults, but throttling and expired iterators are
// client faults that heal by themselves.

import { ConfigError, SourceError } from "../errors.ts";

const PASSING = new Set([
  "ProvisionedThroughputExceededException",
  "LimitExceededException",
  "ThrottlingException",
  "ExpiredIteratorException",
  "ResourceInUseException",
  "KMSThrottlingException",
]);

/** The error as a SourceError when retrying can not help, or undefined when it may. */
export function permanentSourceError(error: unknown): SourceError | undefined {
  if (error instanceof SourceError) return error;
  if (error instanceof ConfigError) return new SourceError(error.message, { cause: error });
  const e = error as { $fault?: unknown; name?: unknown; message?: unknown } | null;
  if (e?.$fault === "client" && typeof e.name === "string" && !PASSING.has(e.name)) {
    return new SourceError(`${e.name}: ${String(e.message)}`, { cause: error });
  }
  return undefined;
}
