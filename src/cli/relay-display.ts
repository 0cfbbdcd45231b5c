// What the relay shows: on a terminal, one live line with records/s and the
// lag of each shard; otherwise one JSON log line per batch. A shard's lag is
// the age of its newest applied change (lagMs); behindMs is how far its read
// was behind the shard's newest record, where the stream says (Kinesis). Log
// lines are the Lambda function's structured logs (src/log.ts): the same
// fields, level and scrubbing in both.

import { Logger } from "../log.ts";
import type { BatchEvent } from "../relay/relay.ts";
import { redactSecrets } from "../sink/redact-url.ts";

/** The rate is over this much recent time, so a quiet hour does not drag it down. */
const RATE_WINDOW_MS = 10_000;

/** `shardId-000000000003` as `#3`, `shardId-000000000000` as `#0`. */
export function shortShard(shard: string): string {
  return shard.replace(/^shardId-0*(?=\d)/, "#");
}

export class RelayDisplay {
  private records = 0;
  private readonly lag = new Map<string, { lagMs?: number; behindMs?: number }>();
  private lastDraw = 0;
  /** Recent batches: when each ended and how many records it held. */
  private readonly recent: Array<{ at: number; records: number; ms: number }> = [];

  /** Batches, on `out` when it is not a terminal. */
  private readonly log: Logger;
  /** Retries, on stderr: a terminal's live line stays on `out`. */
  private readonly problems = new Logger("info", (line) => process.stderr.write(`${line}\n`));

  constructor(private readonly out: NodeJS.WriteStream) {
    this.log = new Logger("info", (line) => out.write(`${line}\n`));
  }

  /**
   * Records per second over the last few seconds in which batches arrived:
   * the time spent applying them, plus the gaps between them, but never
   * the idle time before the first one.
   */
  rate(now = performance.now()): number {
    while (this.recent.length > 0 && now - (this.recent[0]?.at ?? now) > RATE_WINDOW_MS)
      this.recent.shift();
    const first = this.recent[0];
    if (!first) return 0;
    const records = this.recent.reduce((sum, b) => sum + b.records, 0);
    const span = now - (first.at - first.ms);
    return records / Math.max(0.001, span / 1000);
  }

  batch(event: BatchEvent): void {
    this.records += event.result.records;
    this.lag.set(event.shard, {
      ...(event.lagMs === undefined ? {} : { lagMs: event.lagMs }),
      ...(event.behindMs === undefined ? {} : { behindMs: event.behindMs }),
    });
    const now = performance.now();
    this.recent.push({ at: now, records: event.result.records, ms: event.durationMs });
    if (!this.out.isTTY) {
      this.log.info("batch", {
        shard: event.shard,
        records: event.result.records,
        applied: event.result.applied,
        skipped: event.result.skipped,
        deadLettered: event.deadLettered,
        roundedNumbers: event.result.roundedNumbers,
        lagMs: event.lagMs === undefined ? undefined : Math.round(event.lagMs),
        behindMs: event.behindMs,
        durationMs: Math.round(event.durationMs),
      });
      return;
    }
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    this.out.write(`\r${this.line(now)}\x1b[K`);
  }

  /** The terminal line. */
  line(now = performance.now()): string {
    const shards = [...this.lag]
      .map(
        ([shard, { lagMs, behindMs }]) =>
          `${shortShard(shard)} lag ${seconds(lagMs)}` +
          (behindMs === undefined ? "" : ` behind ${seconds(behindMs)}`),
      )
      .join("  ");
    return `${this.records} records, ${Math.round(this.rate(now))}/s  ${shards}`;
  }

  retry(shard: string, error: unknown, delayMs: number): void {
    const message = redactSecrets(error instanceof Error ? error.message : String(error));
    // On a terminal, the live line is ended first, so the log line stands alone.
    if (this.out.isTTY) process.stderr.write("\n");
    this.problems.warn("retry", { shard, error: message, delayMs });
  }

  done(): void {
    if (this.out.isTTY && this.records > 0) this.out.write("\n");
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "?" : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}
