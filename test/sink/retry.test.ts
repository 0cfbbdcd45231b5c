// The one retry policy (src/sink/retry.ts): attempts, waits below a doubling
// ceiling, a time budget, an abort signal that ends a wait at once.

import { describe, expect, it } from "vitest";
import { Backoff, pause, withRetry } from "../../src/sink/retry.ts";
import { SinkError } from "../../src/sink/sink-error.ts";

const transient = () => new SinkError("transient", "down");

describe("the retry policy", () => {
  it("retries a transient error up to its attempts, telling each wait below its doubling ceiling", async () => {
    const told: [number, number][] = [];
    let calls = 0;
    const failing = withRetry(
      async () => {
        calls++;
        throw transient();
      },
      { attempts: 4, baseDelayMs: 4, maxDelayMs: 10 },
      (_error, attempt, delayMs) => told.push([attempt, delayMs]),
    );
    await expect(failing).rejects.toThrow("down");
    expect(calls).toBe(4);
    expect(told.map(([attempt]) => attempt)).toEqual([1, 2, 3]);
    const ceilings = [4, 8, 10];
    told.forEach(([, delay], i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(ceilings[i] as number);
    });
  });

  it("does not retry what is not transient", async () => {
    let calls = 0;
    const failing = withRetry(async () => {
      calls++;
      throw new SinkError("fatal", "bad");
    });
    await expect(failing).rejects.toThrow("bad");
    expect(calls).toBe(1);
  });

  it("without jitter waits the ceiling itself; a wait that would end past the budget is not begun", async () => {
    const told: number[] = [];
    const waits = new Backoff(
      {
        attempts: Number.POSITIVE_INFINITY,
        baseDelayMs: 40,
        maxDelayMs: 1000,
        jitter: false,
        budgetMs: 250,
      },
      (_e, _a, delayMs) => told.push(delayMs),
    );
    while (await waits.retry(new Error("x"))) {}
    // 40 + 80 waited (120 ms and more), then 160 would end past 250 ms.
    expect(told).toEqual([40, 80]);
    expect(waits.failed).toBe(3);
  });

  it("an abort ends a wait at once and no wait begins after it", async () => {
    const stop = new AbortController();
    const waits = new Backoff(
      {
        attempts: Number.POSITIVE_INFINITY,
        baseDelayMs: 60_000,
        maxDelayMs: 60_000,
        jitter: false,
      },
      undefined,
      stop.signal,
    );
    const waiting = waits.retry(new Error("x"));
    stop.abort();
    await expect(waiting).resolves.toBe(false);
    await expect(waits.retry(new Error("x"))).resolves.toBe(false);
    await expect(pause(60_000, stop.signal)).resolves.toBe(false);
    await expect(pause(1)).resolves.toBe(true);
  });
});
