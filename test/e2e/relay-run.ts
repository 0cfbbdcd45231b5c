// Runs the relay in-process against a pipe's Kinesis stream while a workload
// writes, and stops it once it has applied everything the bridge put there.

import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { FailedRecord } from "../../src/pipeline/batch-result.ts";
import { type RelayStats, runRelay } from "../../src/relay/relay.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import type { Pipe } from "./emulators.ts";

export interface RelayRun {
  stats: RelayStats;
  failures: FailedRecord[];
  retries: string[];
}

export async function relayWhile(
  kinesis: KinesisClient,
  pipe: Pipe,
  sink: Sink,
  table: TableName,
  writing: Promise<unknown>,
  options: { batchSize?: number } = {},
): Promise<RelayRun> {
  const stop = new AbortController();
  const failures: FailedRecord[] = [];
  const retries: string[] = [];
  let records = 0;
  const relay = runRelay({
    source: new KinesisSource(kinesis, pipe.streamName),
    pipeline: new ApplyPipeline(sink, { table, keySchema: pipe.keySchema }),
    from: { type: "trim-horizon" },
    batchSize: options.batchSize ?? 1000,
    pollMs: 50,
    signal: stop.signal,
    onBatch: (event) => {
      records += event.result.records;
    },
    deadLetter: async (failed) => {
      failures.push(...failed);
    },
    onRetry: (shard, error) => retries.push(`${shard}: ${(error as Error)?.message ?? error}`),
  });
  try {
    await writing;
    await pipe.bridge.drained();
    const deadline = Date.now() + 60_000;
    while (records < pipe.bridge.stats.put) {
      if (Date.now() > deadline)
        throw new Error(
          `the relay applied ${records} of ${pipe.bridge.stats.put} records in 60 s; retries: ${retries.slice(-3).join("; ")}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    stop.abort();
  }
  return { stats: await relay, failures, retries };
}
