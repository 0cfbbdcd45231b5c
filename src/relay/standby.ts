// Several relays on one stream and target table, one at work: each takes the
// lease (lease.ts) before it reads, and renews it every third of its time to
// live while it works; the others stand by, looking again every third of it,
// and at the latest as it expires. A relay that dies stops renewing, so a
// standing-by one takes over within the lease's time to live of its last
// renewal; one that stops cleanly gives the lease up at once. A relay whose
// lease was taken (it could not renew it in time, a pause) stops reading and
// stands by again; its checkpoints are fenced, so it writes none after.

import { isTransientSinkError, pause } from "../sink/retry.ts";
import { type Lease, type LeaseHolder, LeaseLostError } from "./lease.ts";
import { type RelayOptions, runRelay } from "./relay.ts";
import { type RelayStats, RelayTally } from "./relay-tally.ts";

export interface StandbyOptions extends Omit<RelayOptions, "lease"> {
  lease: Lease;
  /** Told, on each look, that another relay holds the lease. */
  onStandby?: (holder: LeaseHolder) => void;
  /** Told that this relay took the lease and starts reading. */
  onLeaseTaken?: () => void;
  /** Told that the lease was lost while reading: the relay stands by again. */
  onLeaseLost?: (error: LeaseLostError) => void;
}

/** The part of the tally that moves while the relay stands by or keeps its lease. */
const LEASE_PART = "(lease)";

/** Runs the relay whenever this process holds the lease, standing by otherwise, until stopped. */
export async function runRelayWithLease(options: StandbyOptions): Promise<RelayStats> {
  const { lease, signal } = options;
  const tally = options.tally ?? new RelayTally();
  const lookMs = Math.max(50, Math.floor(lease.ttlMs / 3));
  try {
    while (!signal?.aborted) {
      tally.moved(LEASE_PART);
      let taken: true | LeaseHolder;
      try {
        taken = await lease.acquire();
        tally.sinkAnswered();
      } catch (error) {
        if (!isTransientSinkError(error)) throw error;
        tally.sinkFailed();
        options.onRetry?.(LEASE_PART, error, lookMs);
        await pause(lookMs, signal);
        continue;
      }
      if (taken !== true) {
        tally.leaseHeld = false;
        options.onStandby?.(taken);
        // Look again before long, and just after the lease expires.
        await pause(Math.max(50, Math.min(lookMs, taken.expiresInMs + 10)), signal);
        continue;
      }
      tally.leaseHeld = true;
      options.onLeaseTaken?.();
      const lost = await readWhileHeld(options, tally, lookMs);
      tally.leaseHeld = false;
      if (!lost) return tally.totals;
      options.onLeaseLost?.(lost);
    }
    return tally.totals;
  } finally {
    tally.stopped(LEASE_PART);
    await lease.release().catch(() => {});
  }
}

/**
 * Reads the stream while the lease is renewed in the background; the lost
 * lease when the relay had to stop for it, undefined when it stopped as told
 * (a signal, the idle exit).
 */
async function readWhileHeld(
  options: StandbyOptions,
  tally: RelayTally,
  lookMs: number,
): Promise<LeaseLostError | undefined> {
  const { lease } = options;
  const reading = new AbortController();
  const stopReading = () => reading.abort();
  options.signal?.addEventListener("abort", stopReading, { once: true });
  let lost: LeaseLostError | undefined;
  const keep = (async () => {
    let renewedAt = performance.now();
    while (!reading.signal.aborted) {
      await pause(lookMs, reading.signal);
      if (reading.signal.aborted) return;
      tally.moved(LEASE_PART);
      try {
        await lease.renew();
        renewedAt = performance.now();
        tally.sinkAnswered();
      } catch (error) {
        if (error instanceof LeaseLostError) lost = error;
        else if (performance.now() - renewedAt >= lease.ttlMs)
          // Not renewed within its time: another relay may hold it by now.
          lost = new LeaseLostError(
            `the lease could not be renewed within ${lease.ttlMs} ms: ${error instanceof Error ? error.message : String(error)}`,
          );
        else {
          tally.sinkFailed();
          options.onRetry?.(LEASE_PART, error, lookMs);
          continue;
        }
        reading.abort();
      }
    }
  })();
  try {
    await runRelay({ ...options, tally, lease, signal: reading.signal });
  } catch (error) {
    if (!(error instanceof LeaseLostError)) throw error;
    lost ??= error;
  } finally {
    reading.abort();
    options.signal?.removeEventListener("abort", stopReading);
    await keep;
  }
  return lost;
}
