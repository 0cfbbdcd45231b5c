// A value cached until it fails: shared while it holds, computed again after
// a failure or a forget(), never the same failure handed out forever.

import { describe, expect, it } from "vitest";
import { CacheUntilFailure, OnceUntilFailure } from "../../src/cache-until-failure.ts";

describe("CacheUntilFailure", () => {
  it("computes a key once and shares the value, while pending and after", async () => {
    const cache = new CacheUntilFailure<string, number>();
    let calls = 0;
    const compute = async () => ++calls;
    const [a, b] = [cache.get("t", compute), cache.get("t", compute)];
    expect(await a).toBe(1);
    expect(await b).toBe(1);
    expect(await cache.get("t", compute)).toBe(1);
    expect(await cache.get("u", compute)).toBe(2);
    expect(calls).toBe(2);
  });

  it("does not keep a failure: the next get computes again", async () => {
    const cache = new CacheUntilFailure<string, number>();
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls === 1) throw new Error("outage");
      return calls;
    };
    await expect(cache.get("t", flaky)).rejects.toThrow("outage");
    expect(cache.peek("t")).toBeUndefined();
    expect(await cache.get("t", flaky)).toBe(2);
    expect(await cache.get("t", flaky)).toBe(2);
  });

  it("forget() drops a value; a late failure of the forgotten one drops nothing newer", async () => {
    const cache = new CacheUntilFailure<string, number>();
    let fail: (error: Error) => void = () => {};
    const first = cache.get("t", () => new Promise<number>((_, reject) => (fail = reject)));
    expect(cache.forget("t")).toBe(first);
    const second = cache.get("t", async () => 2);
    fail(new Error("late"));
    await expect(first).rejects.toThrow("late");
    expect(cache.peek("t")).toBe(second);
    expect(await cache.get("t", async () => 3)).toBe(2);
  });
});

describe("OnceUntilFailure", () => {
  it("holds one value until it fails or is forgotten", async () => {
    let calls = 0;
    const once = new OnceUntilFailure(async () => {
      calls++;
      if (calls === 2) throw new Error("refused");
      return calls;
    });
    expect(once.peek()).toBeUndefined();
    expect(await once.get()).toBe(1);
    expect(await once.get()).toBe(1);
    once.forget();
    await expect(once.get()).rejects.toThrow("refused");
    expect(await once.get()).toBe(3);
  });
});
