// The metrics module without services: the relay's metrics read its tally
// (per table and outcome, per shard, retries, outage time), /healthz and
// /ready decide from it, the load's progress becomes gauges, and the HTTP
// server answers as probes and Prometheus expect.

import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { RecordError } from "../../src/errors.ts";
import { loadMetrics } from "../../src/metrics/load-metrics.ts";
import { relayChecks } from "../../src/metrics/relay-checks.ts";
import { relayMetrics } from "../../src/metrics/relay-metrics.ts";
import { serveMetrics } from "../../src/metrics/server.ts";
import {
  type BatchResult,
  emptyBatchResult,
  type FailedRecord,
} from "../../src/pipeline/batch-result.ts";
import { RelayTally } from "../../src/relay/relay-tally.ts";
import { metric, parseMetrics } from "../support/scrape.ts";

function failure(index: number, permanent: boolean): FailedRecord {
  return {
    index,
    ref: `r${index}`,
    position: undefined,
    error: new RecordError(`r${index}`, "dynamodb", "bad"),
    permanent,
    payload: {},
  };
}

function result(fields: Partial<BatchResult>): BatchResult {
  return { ...emptyBatchResult(), ...fields };
}

/** A clock the test moves. */
function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function samples(registry: Registry) {
  return parseMetrics(await registry.metrics());
}

describe("relay metrics", () => {
  it("count each outcome per target table, once, as the tally holds it", async () => {
    const tally = new RelayTally();
    const registry = new Registry();
    relayMetrics(registry, tally);
    // A routed batch: two tables and a record no route took.
    tally.batch(
      result({
        records: 10,
        applied: 5,
        skipped: 4,
        superseded: 1,
        stale: 1,
        duplicates: 1,
        failed: [failure(9, true)],
        tables: [
          {
            table: "",
            records: 1,
            applied: 0,
            skipped: 0,
            superseded: 0,
            stale: 0,
            duplicates: 0,
            refused: 1,
            failed: 0,
            roundedNumbers: 0,
            routedToAux: 0,
          },
          {
            table: "a",
            records: 6,
            applied: 3,
            skipped: 3,
            superseded: 1,
            stale: 1,
            duplicates: 0,
            refused: 0,
            failed: 0,
            roundedNumbers: 2,
            routedToAux: 1,
          },
          {
            table: "b",
            records: 3,
            applied: 2,
            skipped: 1,
            superseded: 0,
            stale: 0,
            duplicates: 1,
            refused: 0,
            failed: 0,
            roundedNumbers: 0,
            routedToAux: 0,
          },
        ],
      }),
      1,
      "a",
    );
    // One pipeline's result counts under the relay's table; an attempt the sink failed counts as failed.
    tally.batch(result({ records: 2, applied: 2 }), 0, "a");
    tally.attemptFailed(
      result({ records: 2, failed: [failure(0, false), failure(1, false)] }),
      "a",
    );
    const s = await samples(registry);
    const records = (table: string, outcome: string) =>
      metric(s, "dynacrate_records_total", { table, outcome });
    expect(records("a", "applied")).toBe(5);
    expect(records("a", "superseded")).toBe(1);
    expect(records("a", "stale")).toBe(1);
    // Skipped but neither superseded, stale nor a duplicate: a record that changes no row.
    expect(records("a", "ignored")).toBe(1);
    expect(records("a", "failed")).toBe(2);
    expect(records("b", "duplicate")).toBe(1);
    expect(records("", "dead_lettered")).toBe(1);
    expect(metric(s, "dynacrate_records_read_total")).toBe(12);
    expect(metric(s, "dynacrate_rounded_numbers_total", { table: "a" })).toBe(2);
    expect(metric(s, "dynacrate_routed_to_aux_total", { table: "a" })).toBe(1);
    expect(tally.totals).toMatchObject({ records: 12, applied: 7, deadLettered: 1 });
    // A second scrape reads the same totals: nothing is added twice.
    expect(
      metric(await samples(registry), "dynacrate_records_total", {
        table: "a",
        outcome: "applied",
      }),
    ).toBe(5);
  });

  it("per shard lag, behind and checkpoint age; retries; outage seconds, the one under way included", async () => {
    const time = clock();
    const tally = new RelayTally(time.now);
    const registry = new Registry();
    relayMetrics(registry, tally);
    Object.assign(tally.shard("shardId-1"), { lagMs: 1500, behindMs: 250 });
    tally.checkpointed("shardId-1");
    tally.retry("sink");
    tally.retry("source");
    tally.retry("sink");
    tally.sinkFailed();
    time.advance(4000);
    tally.sinkFailed();
    time.advance(1000);
    tally.sinkAnswered();
    tally.sinkFailed();
    time.advance(2000);
    const s = await samples(registry);
    expect(metric(s, "dynacrate_shard_lag_seconds", { shard: "shardId-1" })).toBe(1.5);
    expect(metric(s, "dynacrate_shard_behind_seconds", { shard: "shardId-1" })).toBe(0.25);
    expect(metric(s, "dynacrate_checkpoint_age_seconds", { shard: "shardId-1" })).toBe(7);
    expect(metric(s, "dynacrate_retries_total", { side: "sink" })).toBe(2);
    expect(metric(s, "dynacrate_retries_total", { side: "source" })).toBe(1);
    expect(metric(s, "dynacrate_sink_outage_seconds_total")).toBe(7);
    expect(metric(s, "dynacrate_sink_up")).toBe(0);
  });
});

describe("relay health and readiness", () => {
  it("/healthz: 503 naming the part that has not moved past the limit", () => {
    const time = clock();
    const tally = new RelayTally(time.now);
    const checks = relayChecks({ tally, stuckMs: 60_000, pingSink: async () => {} });
    tally.moved();
    tally.moved("shardId-7");
    time.advance(30_000);
    tally.moved();
    expect(checks.health()).toEqual({ ok: true });
    time.advance(40_000);
    tally.moved();
    const health = checks.health();
    expect(health.ok).toBe(false);
    expect(health.ok || health.reason).toMatch(
      /shard shardId-7 has not moved for 70 s \(the limit is 60 s\)/,
    );
    tally.stopped("shardId-7");
    expect(checks.health()).toEqual({ ok: true });
  });

  it("/ready: both sides must answer; a quiet sink is asked, and its answer counts", async () => {
    const time = clock();
    const tally = new RelayTally(time.now);
    let sinkReachable = false;
    let pings = 0;
    const checks = relayChecks({
      tally,
      stuckMs: 60_000,
      pingSink: async () => {
        pings++;
        if (!sinkReachable) throw new Error("connection refused");
      },
    });
    expect(await checks.ready()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/sink/),
    });
    sinkReachable = true;
    expect(await checks.ready()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/stream/),
    });
    tally.sourceAnswered();
    expect(await checks.ready()).toEqual({ ok: true });
    // Heard from a moment ago: not asked again.
    const before = pings;
    expect(await checks.ready()).toEqual({ ok: true });
    expect(pings).toBe(before);
    time.advance(10_000);
    sinkReachable = false;
    expect((await checks.ready()).ok).toBe(false);
    expect(tally.sinkUp).toBe(false);
    tally.sourceFailed();
    sinkReachable = true;
    time.advance(10_000);
    expect(await checks.ready()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/stream/),
    });
  });
});

describe("load metrics", () => {
  it("the last progress event as gauges; stuck when progress stops for the limit", async () => {
    const time = clock();
    const registry = new Registry();
    const load = loadMetrics(registry, 60_000, time.now);
    load.progress({
      items: 1500,
      itemsThisRun: 1000,
      total: 3000,
      partsDone: 1,
      parts: 4,
      queued: 2,
    });
    const s = await samples(registry);
    expect(metric(s, "dynacrate_load_items")).toBe(1500);
    expect(metric(s, "dynacrate_load_items_read_total")).toBe(1000);
    expect(metric(s, "dynacrate_load_items_expected")).toBe(3000);
    expect(metric(s, "dynacrate_load_parts_done")).toBe(1);
    expect(metric(s, "dynacrate_load_parts")).toBe(4);
    expect(metric(s, "dynacrate_load_queued_pages")).toBe(2);
    time.advance(59_000);
    expect(load.health()).toEqual({ ok: true });
    time.advance(2_000);
    expect(load.health()).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not moved for 61 s/),
    });
  });
});

describe("the endpoints' server", () => {
  it("serves /metrics in Prometheus text format, the checks as 200 or 503 with the reason, 404 else", async () => {
    const registry = new Registry();
    relayMetrics(registry, new RelayTally());
    const server = await serveMetrics(0, "127.0.0.1", {
      registry,
      health: () => ({ ok: false, reason: "stuck: test" }),
      ready: async () => ({ ok: true }),
    });
    try {
      const metrics = await fetch(`${server.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await metrics.text()).toMatch(/^# HELP dynacrate_records_total /m);
      const health = await fetch(`${server.url}/healthz`);
      expect([health.status, await health.text()]).toEqual([503, "stuck: test\n"]);
      const ready = await fetch(`${server.url}/ready`);
      expect([ready.status, await ready.text()]).toEqual([200, "ok\n"]);
      expect((await fetch(`${server.url}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
