// The defaults of the deployed pipeline, in one place, and the one rule that
// ties two of them together: the function's timeout must outlast the sink's
// retries, or Lambda kills a batch that was about to succeed (the reference
// stack's 3-second timeout did exactly that).

import { DEFAULT_LAMBDA_TIMEOUT_MS } from "../lambda/config.ts";
import { backoffMs, DEFAULT_RETRY } from "../sink/retry.ts";

export const DEFAULTS = {
  memoryMb: 1024,
  timeoutSeconds: 300,
  logRetentionDays: 30,
  batchSize: 1000,
  batchingWindowSeconds: 1,
  parallelizationFactor: 1,
  retryAttempts: 10,
  maxRecordAgeSeconds: 86_400,
  deadLetterRetentionDays: 14,
  iteratorAgeSeconds: 600,
  streamRetentionHours: 24,
} as const;

/**
 * The longest one write can take before the sink gives up: every attempt
 * running into the statement timeout, plus the backoff between attempts at
 * its ceiling (src/sink/retry.ts).
 */
export function sinkWorstCaseSeconds(
  attempts: number = DEFAULT_RETRY.attempts,
  timeoutMs: number = DEFAULT_LAMBDA_TIMEOUT_MS,
): number {
  let waitMs = 0;
  for (let attempt = 1; attempt < attempts; attempt++) {
    waitMs += backoffMs(attempt, DEFAULT_RETRY.baseDelayMs, DEFAULT_RETRY.maxDelayMs);
  }
  return Math.ceil((attempts * timeoutMs + waitMs) / 1000);
}

/**
 * The shortest function timeout allowed: one write's worst case, plus a
 * second one for the dead-letter table or a split batch, plus 30 s for the
 * cold start and the secret.
 */
export function minimumTimeoutSeconds(attempts?: number, timeoutMs?: number): number {
  return 2 * sinkWorstCaseSeconds(attempts, timeoutMs) + 30;
}
