// The relay's Prometheus metrics. Counters and gauges are read from the
// relay's tally when scraped (src/relay/relay-tally.ts: the counts its log
// lines and summary come from), so nothing is counted twice; the two
// histograms observe each batch and each sink request as they happen.

import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { BatchEvent } from "../relay/relay.ts";
import type { RelayTally, TableTotals } from "../relay/relay-tally.ts";
import type { Sink } from "../sink/sink.ts";
import { timedSink } from "./timed-sink.ts";

/** Each outcome label and the total it reads. */
const OUTCOMES: Array<[string, keyof TableTotals]> = [
  ["applied", "applied"],
  ["superseded", "superseded"],
  ["stale", "stale"],
  ["duplicate", "duplicates"],
  ["ignored", "ignored"],
  ["dead_lettered", "deadLettered"],
  ["failed", "failed"],
];

/** Seconds, from 5 ms (a small batch on a near database) to a minute (an outage's retries). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface RelayMetrics {
  /** Observes an applied batch's duration (the relay's onBatch). */
  batch(event: BatchEvent): void;
  /** The sink with each request timed. */
  timed(sink: Sink): Sink;
}

export function relayMetrics(registry: Registry, tally: RelayTally): RelayMetrics {
  const registers = [registry];
  new Counter({
    name: "dynacrate_records_total",
    help: "Change records read, by target table and outcome (failed: an attempt the sink failed, tried again)",
    labelNames: ["table", "outcome"],
    registers,
    collect() {
      this.reset();
      for (const [table, totals] of tally.tables)
        for (const [outcome, field] of OUTCOMES) this.inc({ table, outcome }, totals[field]);
    },
  });
  new Counter({
    name: "dynacrate_records_read_total",
    help: "Change records read from the stream and decided (applied, left out or dead-lettered)",
    registers,
    collect() {
      this.reset();
      this.inc(tally.totals.records);
    },
  });
  const perTable = (name: string, help: string, field: keyof TableTotals) =>
    new Counter({
      name,
      help,
      labelNames: ["table"],
      registers,
      collect() {
        this.reset();
        for (const [table, totals] of tally.tables) this.inc({ table }, totals[field]);
      },
    });
  perTable(
    "dynacrate_rounded_numbers_total",
    "Numbers rounded to a double on their way to the table (number format double)",
    "roundedNumbers",
  );
  perTable(
    "dynacrate_routed_to_aux_total",
    "Attributes stored in the aux column because their value did not fit data's column types (CrateDB)",
    "routedToAux",
  );
  const perShard = (name: string, help: string, value: (shard: string) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["shard"],
      registers,
      collect() {
        this.reset();
        for (const shard of tally.shards.keys()) {
          const v = value(shard);
          if (v !== undefined) this.set({ shard }, v);
        }
      },
    });
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
  perShard(
    "dynacrate_shard_lag_seconds",
    "Age of the newest change of the shard's last applied batch",
    (shard) => seconds(tally.shards.get(shard)?.lagMs),
  );
  perShard(
    "dynacrate_shard_behind_seconds",
    "How far the shard's last read was behind its newest record (Kinesis MillisBehindLatest)",
    (shard) => seconds(tally.shards.get(shard)?.behindMs),
  );
  perShard(
    "dynacrate_checkpoint_age_seconds",
    "Time since the shard's checkpoint was last written",
    (shard) => seconds(tally.checkpointAgeMs(shard)),
  );
  new Counter({
    name: "dynacrate_retries_total",
    help: "Waits before trying again, by the side that failed (sink or source)",
    labelNames: ["side"],
    registers,
    collect() {
      this.reset();
      for (const [side, count] of Object.entries(tally.retries)) this.inc({ side }, count);
    },
  });
  new Counter({
    name: "dynacrate_sink_outage_seconds_total",
    help: "Time the sink could not be reached, the outage under way included",
    registers,
    collect() {
      this.reset();
      this.inc(tally.outageSeconds());
    },
  });
  const up = (name: string, help: string, value: () => boolean | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value() ? 1 : 0);
      },
    });
  up("dynacrate_sink_up", "1 when the sink's last request succeeded", () => tally.sinkUp);
  up("dynacrate_source_up", "1 when the stream's last read succeeded", () => tally.sourceUp);
  new Gauge({
    name: "dynacrate_lease_held",
    help: "With --standby: 1 while this relay holds the lease and reads, 0 while it stands by",
    registers,
    collect() {
      this.reset();
      if (tally.leaseHeld !== undefined) this.set(tally.leaseHeld ? 1 : 0);
    },
  });
  const batches = new Histogram({
    name: "dynacrate_batch_duration_seconds",
    help: "Time to apply a batch, its dead letters included",
    buckets: DURATION_BUCKETS,
    registers,
  });
  const requests = new Histogram({
    name: "dynacrate_sink_request_duration_seconds",
    help: "Time of each sink request (write: a batch's rows; query: checkpoints, leases, checks)",
    labelNames: ["operation"],
    buckets: DURATION_BUCKETS,
    registers,
  });
  return {
    batch: (event) => batches.observe(event.durationMs / 1000),
    timed: (sink) => timedSink(sink, requests),
  };
}
