import { describe, expect, it } from "vitest";
import { OneAtATime } from "../../src/one-at-a-time.ts";

describe("OneAtATime", () => {
  it("starts each task once the one before it has settled, in order", async () => {
    const turns = new OneAtATime();
    const events: string[] = [];
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = turns.run(async () => {
      events.push("first starts");
      await gate;
      events.push("first ends");
      return 1;
    });
    const second = turns.run(async () => {
      events.push("second starts");
      return 2;
    });
    await Promise.resolve();
    expect(events).toEqual(["first starts"]);
    open();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
    expect(events).toEqual(["first starts", "first ends", "second starts"]);
  });

  it("a failed task gives its caller the failure and does not stop the next", async () => {
    const turns = new OneAtATime();
    const failed = turns.run(() => Promise.reject(new Error("no")));
    const next = turns.run(async () => "yes");
    await expect(failed).rejects.toThrow("no");
    expect(await next).toBe("yes");
  });
});
