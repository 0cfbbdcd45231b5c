// What the relay shows: on a terminal, one live line with records/s and the
// lag of each shard; otherwise one JSON log line per batch. A shard's lag is
// the age of its newest applied change (lagMs); behindMs is how far its read
// was behind the shard's newest record, where the stream says (Kinesis). Log
// lines are the Lambda function's structured logs (src/log.ts): the same
// fields, level and scrubbing in both.

import { Logger } from "../log.ts";
import type { BatchEvent } from "../relay/relay.ts";
import { retryFields } from "../sink/retry.ts";

/** The rate is over this much recent time, so a quiet hour does not drag it down. */
const RATE_WINDOW_MS = 10_000;
/** The live line is drawn again this often when nothing arrives: rate falling, lags growing. */
const REDRAW_MS = 1000;

/** `shardId-000000000003` as `#3`, `shardId-000000000000` as `#0`. */
export function shortShard(shard: string): string {
  return shard.replace(/^shardId-0*(?=\d)/, "#");
}

export class RelayDisplay {
  private records = 0;
  /** Per shard: its lag and behind as of its last batch, and when that was (performance.now()). */
  private readonly lag = new Map<string, { lagMs?: number; behindMs?: number; at: number }>();
  // -Infinity: the first batch is drawn at once, however young the process (performance.now() counts from its start).
  private lastDraw = Number.NEGATIVE_INFINITY;
  /** Whether the live line is on the terminal now (a warning must end it first). */
  private drawn = false;
  private readonly ticker: NodeJS.Timeout | undefined;
  /** Recent batches: when each ended and how many records it held. */
  private readonly recent: Array<{ at: number; records: number; ms: number }> = [];

  /** Batches, on `out` when it is not a terminal. */
  private readonly log: Logger;
  /** Retries, on stderr: a terminal's live line stays on `out`. */
  private readonly problems = new Logger("info", (line) => process.stderr.write(`${line}\n`));

  constructor(private readonly out: NodeJS.WriteStream) {
    this.log = new Logger("info", (line) => out.write(`${line}\n`));
    if (out.isTTY) {
      this.ticker = setInterval(() => this.draw(), REDRAW_MS);
      // The display never keeps the process alive.
      this.ticker.unref();
    }
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
    const now = performance.now();
    this.lag.set(event.shard, {
      ...(event.lagMs === undefined ? {} : { lagMs: event.lagMs }),
      ...(event.behindMs === undefined ? {} : { behindMs: event.behindMs }),
      at: now,
    });
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
    // At most 5 draws a second; the ticker draws what this skips within a second.
    if (now - this.lastDraw >= 200) this.draw(now);
  }

  private draw(now = performance.now()): void {
    if (this.records === 0) return;
    this.lastDraw = now;
    this.drawn = true;
    this.out.write(`\r${this.line(now)}\x1b[K`);
  }

  /** The terminal line. */
  line(now = performance.now()): string {
    // The newest applied change ages while nothing new arrives: its lag grows with the clock.
    const shards = [...this.lag]
      .map(
        ([shard, { lagMs, behindMs, at }]) =>
          `${shortShard(shard)} lag ${seconds(lagMs === undefined ? undefined : lagMs + (now - at))}` +
          (behindMs === undefined ? "" : ` behind ${seconds(behindMs)}`),
      )
      .join("  ");
    return `${this.records} records, ${Math.round(this.rate(now))}/s  ${shards}`;
  }

  retry(shard: string, error: unknown, delayMs: number): void {
    // On a terminal, a live line on screen is ended first, so the log line stands alone
    // (and no blank line comes before it when there is none); the ticker draws it again.
    if (this.drawn) {
      this.out.write("\n");
      this.drawn = false;
    }
    this.problems.warn("retry", retryFields(shard, error, delayMs));
  }

  /** Ends the live line with the final counts, the summary's. */
  done(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (!this.out.isTTY || this.records === 0) return;
    this.draw();
    this.out.write("\n");
    this.drawn = false;
  }
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "?" : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}
