// Retries with exponential backoff and full jitter: transient sink errors
// (a restarting node, a dropped connection) heal without losing the batch,
// and many writers do not retry in step.

import { SinkError } from "./sink-error.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Backoff before the second attempt, in milliseconds; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 5000 };

/** A transient SinkError: what sinks retry. */
export const isTransientSinkError = (error: unknown): error is SinkError =>
  error instanceof SinkError && error.retryable;

/**
 * Runs `operation`, retrying while it throws an error `retryable` accepts
 * (by default a transient SinkError; readers of a source pass their own test).
 */
/**
 * The one backoff rule: the wait before retry number `attempt` (1-based)
 * doubles from `baseMs` up to `maxMs`. Callers add jitter where many clients
 * retry at once (withRetry draws the wait below this ceiling).
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

export async function withRetry<T, E = SinkError>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (error: E, attempt: number, delayMs: number) => void,
  retryable: (error: unknown) => error is E = isTransientSinkError as never,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!retryable(error) || attempt >= policy.attempts) throw error;
      const ceiling = backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs);
      const delayMs = Math.round(Math.random() * ceiling);
      onRetry?.(error, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
