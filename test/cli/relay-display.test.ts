// The relay's terminal line: shard 0 is "#0", and the rate counts the time
// batches arrived in, not the idle time before them. Idle, the line is drawn
// again every second (rate falling to 0/s, lags growing); it ends with the
// summary's counts; a retry warning ends it without a blank line.

import { afterEach, describe, expect, it, vi } from "vitest";
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

  describe("on a terminal, over time", () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    function screen() {
      const writes: string[] = [];
      const out = {
        isTTY: true,
        write: (text: string) => writes.push(text) > 0,
      } as unknown as NodeJS.WriteStream;
      /** The live line as last drawn. */
      const last = () =>
        writes
          .filter((w) => w.startsWith("\r"))
          .at(-1)
          ?.slice(1)
          .replace("\x1b[K", "");
      return { out, writes, last };
    }

    it("idle, draws again every second: the rate falls to 0/s and the lag grows", () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
      const { out, writes, last } = screen();
      const display = new RelayDisplay(out);
      display.batch(event("shardId-000000000000", 10, 100));
      const draws = () => writes.filter((w) => w.startsWith("\r")).length;
      const before = draws();
      vi.advanceTimersByTime(3000);
      expect(draws() - before).toBe(3);
      expect(last()).toMatch(/^10 records, \d+\/s {2}#0 lag 4\.50s behind 0\.00s$/);
      vi.advanceTimersByTime(12_000);
      expect(last()).toMatch(/^10 records, 0\/s {2}#0 lag 16\.5s behind 0\.00s$/);
      display.done();
    });

    it("ends with the summary's count, batches skipped by the draw limit included", () => {
      vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "performance"] });
      const { out, writes, last } = screen();
      const display = new RelayDisplay(out);
      for (let i = 0; i < 5; i++) display.batch(event("shardId-000000000000", 100, 1));
      display.done();
      expect(last()).toMatch(/^500 records, /);
      expect(writes.at(-1)).toBe("\n");
    });

    it("a retry warning: no blank line before it, and the live line ended first when drawn", () => {
      // The clock at 0, as in a process just started: the first batch is drawn all the same.
      vi.useFakeTimers({ toFake: ["performance"] });
      const { out, writes } = screen();
      const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      const display = new RelayDisplay(out);
      display.retry("shardId-000000000000", new Error("connection refused"), 1000);
      expect(writes).toEqual([]);
      expect(stderr.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(/^\{.*"level":"warn".*"msg":"retry".*\}\n$/),
      ]);
      display.batch(event("shardId-000000000000", 1, 1));
      display.retry("shardId-000000000000", new Error("connection refused"), 1000);
      expect(writes.at(-1)).toBe("\n");
      expect(writes.filter((w) => w === "\n")).toHaveLength(1);
      display.done();
    });
  });
});
