// The relay's terminal line: shard 0 is "#0", and the rate counts the time
// batches arrived in, not the idle time before them.

import { describe, expect, it } from "vitest";
import { RelayDisplay, shortShard } from "../../src/cli/relay-display.ts";
import type { BatchEvent } from "../../src/relay/relay.ts";

const terminal = { isTTY: true, write: () => true } as unknown as NodeJS.WriteStream;

function event(shard: string, records: number, durationMs: number): BatchEvent {
  return {
    shard,
    result: { records } as BatchEvent["result"],
    deadLettered: 0,
    lagMs: 1500,
    behindMs: 0,
    durationMs,
  };
}

describe("the relay's terminal line", () => {
  it("names shard 0 #0 and shard 12 #12", () => {
    expect(shortShard("shardId-000000000000")).toBe("#0");
    expect(shortShard("shardId-000000000012")).toBe("#12");
  });

  it("rates over the time batches arrived in, not the idle minutes before", async () => {
    const display = new RelayDisplay(terminal);
    // A minute of idle time before the first batch must not count.
    await new Promise((resolve) => setTimeout(resolve, 50));
    display.batch(event("shardId-000000000000", 1000, 500));
    const line = display.line();
    const rate = Number(/, (\d+)\/s/.exec(line)?.[1]);
    // 1,000 records in the 0.5 s the batch took (plus the moments since): about 2,000/s.
    expect(rate).toBeGreaterThan(1500);
    expect(rate).toBeLessThanOrEqual(2000);
    expect(line).toMatch(/^1000 records, \d+\/s {2}#0 lag 1\.50s behind 0\.00s$/);
  });
});
