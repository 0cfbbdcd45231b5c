// The one retry policy: every retry loop of dynacrate (a sink's request, a
// pipeline's batch, a job's read, a relay's checkpoint, the local bridge's
// puts) waits by it. Attempts, exponential backoff with full jitter (many
// writers do not retry in step), an optional time budget, an abort signal that
// ends a wait at once, a test of what is transient, and one onRetry hook, so a
// retry is told the same way everywhere.

import { setTimeout as sleep } from "node:timers/promises";
import { causesOf, errorMessage } from "../error-text.ts";
import { redactSecrets } from "../redact-url.ts";
import { SinkError } from "./sink-error.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included; Infinity retries until the budget or the signal ends it. */
  attempts: number;
  /** The ceiling of the wait before the second attempt, in milliseconds; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * How long the retries may take, in milliseconds from the first attempt: a
   * wait that would end past it is not begun (the last error is the answer).
   */
  budgetMs?: number;
  /**
   * Full jitter (the default) draws each wait below its ceiling. false waits
   * the ceiling itself: for a lone waiter whose user counts the waits (a
   * replay's outage, told wait by wait).
   */
  jitter?: boolean;
}

/** Told before each wait: the error that failed attempt `attempt` (1-based), and the wait. */
export type OnRetry<E = unknown> = (error: E, attempt: number, delayMs: number) => void;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 100, maxDelayMs: 5000 };

/**
 * A job's batch the target database did not take (after the sink's own
 * retries): waited for until the database is back, up to 30 s a wait.
 */
export const SINK_BATCH_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 400,
  maxDelayMs: 30_000,
};

/** A transient SinkError: what sinks retry. */
export const isTransientSinkError = (error: unknown): error is SinkError =>
  error instanceof SinkError && error.retryable;

/**
 * The one backoff rule: the ceiling of the wait after failed attempt
 * `attempt` (1-based), doubling from `baseMs` up to `maxMs`. (A node's next
 * probe and the function timeout's worst case are reckoned by it too.)
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/**
 * Waits `ms`, or less when `signal` aborts (before or during the wait): true
 * when the whole wait passed, false when the signal ended it.
 */
export async function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}

/**
 * The waits of one retry loop, for loops whose attempt is more than one call
 * (a batch some of whose records failed, a reader that goes on from where it
 * stopped): after each failed attempt, `await backoff.retry(error)` waits and
 * says whether to try again.
 */
export class Backoff<E = unknown> {
  #failed = 0;
  readonly #started = Date.now();
  readonly #policy: RetryPolicy;
  readonly #onRetry: OnRetry<E> | undefined;
  readonly #signal: AbortSignal | undefined;

  constructor(policy: RetryPolicy, onRetry?: OnRetry<E>, signal?: AbortSignal) {
    this.#policy = policy;
    this.#onRetry = onRetry;
    this.#signal = signal;
  }

  /** Attempts failed so far. */
  get failed(): number {
    return this.#failed;
  }

  /**
   * After a failed attempt: tells onRetry, waits, and resolves true (try
   * again); false without waiting when the attempts or the budget are spent or
   * the signal is aborted, and false as soon as the signal aborts the wait.
   */
  async retry(error: E): Promise<boolean> {
    const attempt = ++this.#failed;
    const policy = this.#policy;
    if (attempt >= policy.attempts || this.#signal?.aborted) return false;
    const ceiling = backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs);
    const delayMs = policy.jitter === false ? ceiling : Math.round(Math.random() * ceiling);
    if (policy.budgetMs !== undefined && Date.now() - this.#started + delayMs > policy.budgetMs)
      return false;
    this.#onRetry?.(error, attempt, delayMs);
    return pause(delayMs, this.#signal);
  }
}

/**
 * Runs `operation`, retrying while it throws an error `retryable` accepts (by
 * default a transient SinkError; readers of a source pass their own test);
 * the last error is thrown when the policy or the signal ends the retries.
 */
export async function withRetry<T, E = SinkError>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: OnRetry<E>,
  retryable: (error: unknown) => error is E = isTransientSinkError as never,
  signal?: AbortSignal,
): Promise<T> {
  const backoff = new Backoff<E>(policy, onRetry, signal);
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!retryable(error) || !(await backoff.retry(error))) throw error;
    }
  }
}

/**
 * A retry's log line, the same wherever a retry is told: what is tried again,
 * why (its error and causes, no secret in them) and how long it waits.
 */
export function retryFields(
  what: string,
  error: unknown,
  delayMs: number,
): { what: string; error: string; causes?: string[]; delayMs: number } {
  const causes = causesOf(error).map(redactSecrets);
  return {
    what,
    error: redactSecrets(errorMessage(error)),
    ...(causes.length > 0 ? { causes } : {}),
    delayMs,
  };
}
