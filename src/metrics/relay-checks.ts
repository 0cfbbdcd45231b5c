// The relay's health and readiness, from its tally: healthy while every part
// of it (each shard's reader, the main loop) moved within the stated time;
// ready while the stream and the sink answered its last calls. A sink the
// relay has not called for a while (an idle stream) is asked once, without
// retries, so an outage shows even when no record comes, and its end shows
// before the relay's own next try.

import type { RelayTally } from "../relay/relay-tally.ts";
import type { Check } from "./server.ts";

/** A sink not heard from for this long is asked again before /ready answers. */
const SINK_QUIET_MS = 5_000;

export interface RelayChecksOptions {
  tally: RelayTally;
  /** /healthz answers 503 once a part of the relay has not moved for this long. */
  stuckMs: number;
  /** Asks the sink once (SELECT 1), without retries; throws when it can not be reached. */
  pingSink: () => Promise<void>;
}

export function relayChecks(options: RelayChecksOptions): {
  health: () => Check;
  ready: () => Promise<Check>;
} {
  const { tally } = options;
  let ping: Promise<void> | undefined;
  const askSink = () => {
    ping ??= options
      .pingSink()
      .then(
        () => tally.sinkAnswered(),
        () => tally.sinkFailed(),
      )
      .finally(() => {
        ping = undefined;
      });
    return ping;
  };
  return {
    health() {
      const still = options.stuckMs > 0 ? tally.stillest() : undefined;
      if (!still || still.ms <= options.stuckMs) return { ok: true };
      const what =
        still.part === "" ? "the relay's main loop" : `the reader of shard ${still.part}`;
      return {
        ok: false,
        reason: `stuck: ${what} has not moved for ${Math.round(still.ms / 1000)} s (the limit is ${Math.round(options.stuckMs / 1000)} s)`,
      };
    },
    async ready() {
      if (tally.sinceSinkAnswered() > SINK_QUIET_MS) await askSink();
      if (tally.sinkUp !== true)
        return { ok: false, reason: "the sink can not be reached (or was not reached yet)" };
      // Standing by for another relay's lease, it reads no stream: ready to take over.
      if (tally.leaseHeld === false) return { ok: true };
      if (tally.sourceUp !== true)
        return { ok: false, reason: "the stream can not be read (or was not read yet)" };
      return { ok: true };
    },
  };
}
