// Faults between the pipeline and a live PostgreSQL: the sink down for a
// while, the connection cut mid-batch. Nothing may be lost, and the table must
// still converge (at-least-once delivery plus the version guard).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { InternalError } from "../../src/errors.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { PostgresSink } from "../../src/sink/postgres.ts";
import { SinkError } from "../../src/sink/sink-error.ts";
import { emit, type Operation } from "../support/history.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { proxyInFront, type TcpProxy } from "../support/tcp-proxy.ts";

let target: PgTarget;
let proxy: TcpProxy;
let sink: PostgresSink;
let proxiedUrl: string;

beforeAll(async () => {
  target = await pgTarget();
  ({ proxy, url: proxiedUrl } = await proxyInFront(target.url));
  sink = new PostgresSink({
    url: proxiedUrl,
    timeoutMs: 2000,
    retry: { attempts: 40, baseDelayMs: 20, maxDelayMs: 100 },
  });
});
afterAll(async () => {
  await sink?.close();
  await proxy?.close();
  await target?.close();
});

const history: Operation[] = Array.from({ length: 300 }, (_, i) =>
  i % 7 === 6
    ? { kind: "delete", key: `k${(i * 3) % 50}` }
    : { kind: "put", key: `k${i % 50}`, value: i, tag: `t${i}` },
);

describe("faults", () => {
  it("a bug in the sink (InternalError, TypeError) stops the batch as fatal: not waited out as an outage, not dead-lettered", async () => {
    const table = target.table("bug");
    const { records } = emit(history.slice(0, 5));
    for (const bug of [
      new InternalError("a broken promise"),
      new TypeError("x is not a function"),
    ]) {
      const broken = Object.assign(Object.create(sink) as PostgresSink, {
        write: async () => {
          throw bug;
        },
      });
      const result = await new ApplyPipeline(broken, { table }).apply(
        records.flatMap((e) => sourceRecords(e.record)),
      );
      expect(result.failed.length).toBe(records.length);
      for (const failure of result.failed) {
        expect(failure.permanent).toBe(false);
        expect(failure.error).toBeInstanceOf(SinkError);
        expect((failure.error as SinkError).kind).toBe("fatal");
        expect(failure.error.message).toContain(`internal error: ${bug.message}`);
      }
    }
  });

  it("the sink is down for a while and comes back: the batch waits in retries and nothing is lost", async () => {
    const table = target.table("down");
    const pipeline = new ApplyPipeline(sink, { table });
    const { records, final } = emit(history);
    await pipeline.apply(records.slice(0, 10).flatMap((e) => sourceRecords(e.record)));

    proxy.down();
    setTimeout(() => proxy.up(), 700);
    const result = await pipeline.apply(records.slice(10).flatMap((e) => sourceRecords(e.record)));
    expect(result.failed).toEqual([]);
    expect(await target.live(table)).toEqual(
      new Map([...final].map(([k, v]) => [k, { value: v.value, tag: v.tag }])),
    );
  });

  it("the sink stays down past the retry limit: records fail as retryable (not dead-lettered), and a redelivery converges", async () => {
    const table = target.table("outage");
    const quick = new PostgresSink({
      url: proxiedUrl,
      timeoutMs: 500,
      retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 },
    });
    try {
      const pipeline = new ApplyPipeline(quick, { table });
      const { records, final } = emit(history);
      const batch = records.flatMap((e) => sourceRecords(e.record));
      proxy.down();
      const failed = await pipeline.apply(batch);
      proxy.up();
      expect(failed.applied).toBe(0);
      expect(failed.failed.length).toBeGreaterThan(0);
      expect(failed.failed.every((f) => !f.permanent)).toBe(true);
      const again = await pipeline.apply(batch);
      expect(again.failed).toEqual([]);
      expect(await target.live(table)).toEqual(
        new Map([...final].map(([k, v]) => [k, { value: v.value, tag: v.tag }])),
      );
    } finally {
      proxy.up();
      await quick.close();
    }
  });

  it("the connection is cut mid-batch: the write is retried and the table converges", async () => {
    const table = target.table("cut");
    const pipeline = new ApplyPipeline(sink, { table });
    const { records, final } = emit(history);
    const cutsBefore = proxy.cuts;
    for (let i = 0; i < records.length; i += 20) {
      // One cut per batch, a few milliseconds into it: the batch's own retries must heal it,
      // however slow the machine (cutting on a timer instead could cut every retry too).
      const applying = pipeline.apply(
        records.slice(i, i + 20).flatMap((e) => sourceRecords(e.record)),
      );
      await new Promise((resolve) => setTimeout(resolve, (i / 20) % 5));
      proxy.cutAll();
      const result = await applying;
      expect(result.failed).toEqual([]);
    }
    expect(proxy.cuts).toBeGreaterThan(cutsBefore);
    expect(await target.live(table)).toEqual(
      new Map([...final].map(([k, v]) => [k, { value: v.value, tag: v.tag }])),
    );
  });
});
