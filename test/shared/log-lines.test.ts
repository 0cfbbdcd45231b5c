// One structured logger (src/log.ts) for everything that runs long: the relay's
// and the load's log lines have the Lambda function's shape (time, level,
// msg, fields), one JSON object per line, and a retry's error never carries a
// password.

import { afterEach, describe, expect, it, vi } from "vitest";
import { LoadDisplay } from "../../src/cli/load-display.ts";
import { RelayDisplay } from "../../src/cli/relay-display.ts";
import { emptyBatchResult } from "../../src/pipeline/batch-result.ts";

/** A log destination (not a terminal) and what stderr got meanwhile. */
function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const stream = { isTTY: false, write: (text: string) => out.push(text) > 0 };
  vi.spyOn(process.stderr, "write").mockImplementation((text) => err.push(String(text)) > 0);
  return { stream: stream as unknown as NodeJS.WriteStream, out, err };
}

const parse = (lines: string[]) =>
  lines.map((line) => {
    expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
    return JSON.parse(line) as Record<string, unknown>;
  });

afterEach(() => vi.restoreAllMocks());

describe("log lines of the relay and the load", () => {
  it("the relay logs each batch at info and a retry at warn, scrubbed", () => {
    const { stream, out, err } = capture();
    const display = new RelayDisplay(stream);
    display.batch({
      shard: "shardId-000000000001",
      result: { ...emptyBatchResult(), records: 3, applied: 3 },
      deadLettered: 0,
      behindMs: 5,
      lagMs: 12.4,
      durationMs: 7.6,
    });
    display.retry("shardId-000000000001", new Error("postgresql://u:hunter22@h/db refused"), 250);
    const [batch] = parse(out);
    expect(batch).toMatchObject({ level: "info", msg: "batch", records: 3, lagMs: 12 });
    expect(Date.parse(batch?.time as string)).not.toBeNaN();
    const [retry] = parse(err);
    expect(retry).toMatchObject({ level: "warn", msg: "retry", delayMs: 250 });
    expect(JSON.stringify(retry)).not.toContain("hunter22");
  });

  it("the load logs progress at info and a retry at warn, scrubbed", () => {
    const { stream, out, err } = capture();
    const display = new LoadDisplay(stream);
    display.progress(
      { items: 10, itemsThisRun: 10, total: 20, partsDone: 0, parts: 2, queued: 1 },
      true,
    );
    display.retry("reading", new Error("crate://u:hunter22@h:4200 timed out"), 500);
    const [progress] = parse(out);
    expect(progress).toMatchObject({ level: "info", msg: "progress", items: 10, percent: 50 });
    const [retry] = parse(err);
    expect(retry).toMatchObject({ level: "warn", msg: "retry", what: "reading" });
    expect(JSON.stringify(retry)).not.toContain("hunter22");
  });
});
