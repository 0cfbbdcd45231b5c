// What the relay shows: on a terminal, one live line with records/s and the
// lag of each shard; otherwise one JSON log line per batch.

import type { BatchEvent } from "../relay/relay.ts";

export class RelayDisplay {
  private readonly started = performance.now();
  private records = 0;
  private readonly lag = new Map<string, number | undefined>();
  private lastDraw = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  batch(event: BatchEvent): void {
    this.records += event.result.records;
    this.lag.set(event.shard, event.behindMs);
    if (!this.out.isTTY) {
      this.out.write(
        `${JSON.stringify({
          msg: "batch",
          shard: event.shard,
          records: event.result.records,
          applied: event.result.applied,
          skipped: event.result.skipped,
          deadLettered: event.deadLettered,
          roundedNumbers: event.result.roundedNumbers,
          behindMs: event.behindMs,
          durationMs: Math.round(event.durationMs),
        })}\n`,
      );
      return;
    }
    const now = performance.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const rate = Math.round(this.records / Math.max(0.001, (now - this.started) / 1000));
    const shards = [...this.lag]
      .map(
        ([shard, ms]) =>
          `${shard.replace(/^shardId-0*/, "#")} lag ${ms === undefined ? "?" : `${(ms / 1000).toFixed(1)}s`}`,
      )
      .join("  ");
    this.out.write(`\r${this.records} records, ${rate}/s  ${shards}\x1b[K`);
  }

  retry(shard: string, error: unknown, delayMs: number): void {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `${this.out.isTTY ? "\n" : ""}${JSON.stringify({ msg: "retry", shard, error: message, delayMs })}\n`,
    );
  }

  done(): void {
    if (this.out.isTTY && this.records > 0) this.out.write("\n");
  }
}
