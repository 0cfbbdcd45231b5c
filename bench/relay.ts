// bench:relay — changes/s from Kinesis into PostgreSQL through the standalone
// relay (runRelay, in process), against the Lambda handler fed the same
// records, on one PostgreSQL started here:
//   (a) the relay: 100,000 changes queued first on a 2-shard stream of an
//       in-memory Kinesis API server in a process of its own
//       (bench/memory-kinesis.ts: kinesis-mock
//       can not hold that many in reasonable time, see below), then timed from
//       start until the last change is applied (the idle exit is not counted);
//   (b) the Lambda handler (src/lambda/create-handler.ts), the same records in
//       Lambda Kinesis events of 1,000, per shard in shard order: two
//       containers at once (one per shard, as an event source mapping with
//       ParallelizationFactor 1 runs them), and one container alone;
//   (c) the relay against kinesis-mock, the emulator the tests use, with fewer
//       changes (BENCH_KINESIS_MOCK_RECORDS, default 10,000; 0 skips it): what
//       the relay does there is bound by the emulator's GetRecords.
//   BENCH_RELAY_METRICS=on runs (a) with the relay's Prometheus metrics on (its
//   tally read into a registry, batches and sink requests timed, a scrape each
//   second); =both runs (a) without, then again with them, into another table,
//   and prints both rates; default off.
// Records: bench/corpus.ts (seeded DynamoDB Streams records) in the Kinesis
// Data Streams for DynamoDB format, timestamps in microseconds in corpus
// order, partition key = the item's key. Both targets must end identical.

import { type KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { KinesisStreamEvent } from "aws-lambda";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createHandler } from "../src/lambda/create-handler.ts";
import { partitionKeyOf, toKinesisChange } from "../src/local/bridge/kinesis-record.ts";
import { localKinesisClient } from "../src/local/services/aws-clients.ts";
import { startKinesisLocal } from "../src/local/services/kinesis-local.ts";
import { startPostgres } from "../src/local/services/postgres.ts";
import { createKinesisStream } from "../src/local/services/provision.ts";
import { relayMetrics } from "../src/metrics/relay-metrics.ts";
import { ApplyPipeline } from "../src/pipeline/apply-pipeline.ts";
import { runRelay } from "../src/relay/relay.ts";
import { RelayTally } from "../src/relay/relay-tally.ts";
import { PostgresSink } from "../src/sink/postgres.ts";
import { KinesisSource } from "../src/source/kinesis.ts";
import { postgresql } from "../src/sql/postgresql.ts";
import { CORPUS_KEY, CORPUS_KEY_SCHEMA, CORPUS_TABLE, generateCorpus } from "./corpus.ts";
import { startMemoryKinesisProcess } from "./memory-kinesis-process.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const COUNT = Number(process.env.BENCH_RECORDS ?? 100_000);
const MOCK_COUNT = Number(process.env.BENCH_KINESIS_MOCK_RECORDS ?? 10_000);
const METRICS = process.env.BENCH_RELAY_METRICS ?? "off";
if (!["on", "off", "both"].includes(METRICS))
  throw new Error(`BENCH_RELAY_METRICS must be on, off or both, got ${METRICS}`);
const SHARDS = 2;
const LAMBDA_BATCH = 1000;
const STREAM = "bench-changes";
/** Its own name: checkpoints are kept per stream name, in the same database. */
const MOCK_STREAM = "bench-changes-kinesis-mock";

/** A record as it sits on the stream: where it landed, and its bytes. */
interface Queued {
  shard: string;
  sequence: string;
  partitionKey: string;
  data: string;
}

/** The corpus in the Kinesis Data Streams for DynamoDB format, as PutRecords entries. */
function kinesisEntries(count: number, seed: number) {
  const base = 1_720_742_633_000_000;
  return generateCorpus(count, seed).map((line, i) => {
    const record = JSON.parse(line) as Record<string, unknown> & {
      eventID: string;
      dynamodb: { Keys: unknown };
    };
    const hex = record.eventID.padEnd(32, "0");
    const change = toKinesisChange(record, {
      // One microsecond apart, in corpus (= change) order.
      micros: base + i,
      tableName: CORPUS_TABLE,
      region: "us-east-1",
      eventId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
    });
    return {
      Data: Buffer.from(JSON.stringify(change)),
      PartitionKey: partitionKeyOf(record.dynamodb.Keys),
    };
  });
}

async function queue(
  client: KinesisClient,
  stream: string,
  entries: ReturnType<typeof kinesisEntries>,
): Promise<Queued[]> {
  const queued: Queued[] = [];
  for (let i = 0; i < entries.length; i += 500) {
    const chunk = entries.slice(i, i + 500);
    const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: chunk }));
    if (out.FailedRecordCount)
      throw new Error(`PutRecords refused ${out.FailedRecordCount} records`);
    chunk.forEach((entry, j) => {
      const result = out.Records?.[j];
      queued.push({
        shard: result?.ShardId as string,
        sequence: result?.SequenceNumber as string,
        partitionKey: entry.PartitionKey,
        data: entry.Data.toString("base64"),
      });
    });
  }
  return queued;
}

/** Runs the relay until `total` records are applied; the rate excludes the idle exit. */
async function timeRelay(
  client: KinesisClient,
  stream: string,
  url: string,
  table: string,
  total: number,
  withMetrics = false,
) {
  const opened = new PostgresSink({ url });
  const registry = new Registry();
  const tally = new RelayTally();
  const metrics = withMetrics ? relayMetrics(registry, tally) : undefined;
  if (withMetrics) collectDefaultMetrics({ register: registry });
  const sink = metrics ? metrics.timed(opened) : opened;
  // Prometheus scrapes every 15 s or so; once a second is the harsher case.
  const scrapes = withMetrics ? setInterval(() => void registry.metrics(), 1000) : undefined;
  try {
    const pipeline = new ApplyPipeline(sink, {
      table: { schema: undefined, name: table },
      keySchema: CORPUS_KEY_SCHEMA,
    });
    let applied = 0;
    let doneAt = 0;
    const started = performance.now();
    const stats = await runRelay({
      source: new KinesisSource(client, stream),
      pipeline,
      from: { type: "trim-horizon" },
      idleExitMs: 1000,
      pollMs: 50,
      onBatch: (event) => {
        metrics?.batch(event);
        applied += event.result.records;
        if (applied >= total && doneAt === 0) doneAt = performance.now();
      },
      tally,
      deadLetter: async (failures) => {
        throw new Error(`${failures.length} records failed: ${failures[0]?.error.message}`);
      },
      onRetry: (shard, error) =>
        console.warn(`relay retries ${shard}: ${(error as Error)?.message}`),
    });
    if (stats.records !== total)
      throw new Error(`the relay read ${stats.records} of ${total} records`);
    const seconds = (doneAt - started) / 1000;
    return { seconds, rate: total / seconds, stats };
  } finally {
    clearInterval(scrapes);
    await sink.close();
  }
}

/** Lambda Kinesis events of up to 1,000 records, per shard in shard order. */
function lambdaEvents(queued: Queued[]): Map<string, KinesisStreamEvent[]> {
  const byShard = new Map<string, KinesisStreamEvent[]>();
  for (const shard of [...new Set(queued.map((q) => q.shard))]) {
    const records = queued.filter((q) => q.shard === shard);
    const events: KinesisStreamEvent[] = [];
    for (let i = 0; i < records.length; i += LAMBDA_BATCH) {
      events.push({
        Records: records.slice(i, i + LAMBDA_BATCH).map((q) => ({
          kinesis: {
            kinesisSchemaVersion: "1.0",
            partitionKey: q.partitionKey,
            sequenceNumber: q.sequence,
            data: q.data,
            approximateArrivalTimestamp: 1_720_742_633,
          },
          eventSource: "aws:kinesis",
          eventVersion: "1.0",
          eventID: `${shard}:${q.sequence}`,
          eventName: "aws:kinesis:record",
          invokeIdentityArn: "arn:aws:iam::123456789012:role/bench",
          awsRegion: "us-east-1",
          eventSourceARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${STREAM}`,
        })),
      });
    }
    byShard.set(shard, events);
  }
  return byShard;
}

/** Feeds each shard's events to its own handler (container), all shards at once. */
async function timeLambda(
  url: string,
  table: string,
  shards: KinesisStreamEvent[][],
  total: number,
  kinesis: KinesisClient,
) {
  // The table exists already, as in production: two containers creating it at
  // once race in PostgreSQL's catalog, and one of them fails its first batch.
  const setup = new PostgresSink({ url });
  await setup.ensureTable({ schema: undefined, name: table }, CORPUS_KEY_SCHEMA);
  await setup.close();
  const containers = shards.map(() =>
    createHandler({
      env: { TARGET_URL: url, TARGET_TABLE: table, KEY_SCHEMA: CORPUS_KEY, LOG_LEVEL: "error" },
      writeLine: () => {},
      // The stream's retention is asked of the Kinesis the events came from, not of AWS.
      kinesisClient: kinesis,
    }),
  );
  try {
    const started = performance.now();
    await Promise.all(
      shards.map(async (events, i) => {
        for (const event of events) {
          const response = await (containers[i] as (typeof containers)[number]).handler(event);
          if (response.batchItemFailures.length > 0)
            throw new Error(`the handler reported failures on ${table}`);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { seconds, rate: total / seconds };
  } finally {
    await Promise.all(containers.map((c) => c.close()));
  }
}

/** Row count and a digest of the view, to check that two targets ended the same. */
async function digest(url: string, table: string) {
  const sink = new PostgresSink({ url });
  try {
    const [row] = await sink.query<{ rows: string; digest: string }>({
      sql: `SELECT count(*)::text AS rows, md5(string_agg(pk::text || coalesce(data::text, '') || coalesce(aux::text, ''), ',' ORDER BY pk::text)) AS digest FROM ${postgresql.quoteTable({ schema: undefined, name: table })}`,
      params: [],
    });
    return row as { rows: string; digest: string };
  } finally {
    await sink.close();
  }
}

const fmt = (rate: number) => `${Math.round(rate).toLocaleString("en-US")} changes/s`;

async function main(): Promise<void> {
  let t = performance.now();
  const entries = kinesisEntries(COUNT, 11);
  const megabytes = entries.reduce((n, e) => n + e.Data.length, 0) / 1e6;
  console.log(
    `corpus: ${COUNT.toLocaleString("en-US")} changes as Kinesis Data Streams for DynamoDB records, ${megabytes.toFixed(0)} MB (${((performance.now() - t) / 1000).toFixed(1)} s)`,
  );

  const postgres = await startPostgres();
  const memory = await startMemoryKinesisProcess();
  const client = localKinesisClient(memory.endpoint, { maxAttempts: 1 });
  try {
    await createKinesisStream(client, STREAM, SHARDS);
    t = performance.now();
    const queued = await queue(client, STREAM, entries);
    const perShard = [...new Set(queued.map((q) => q.shard))].map(
      (s) => queued.filter((q) => q.shard === s).length,
    );
    console.log(
      `queued on ${SHARDS} shards (${perShard.join(" + ")}) of the in-memory Kinesis API in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    const relay = await timeRelay(
      client,
      STREAM,
      postgres.url,
      "bench_relay",
      COUNT,
      METRICS === "on",
    );
    console.log(
      `(a) relay, Kinesis -> PostgreSQL, ${SHARDS} shards, batches of 1,000, metrics ${METRICS === "on" ? "on" : "off"}: ${fmt(relay.rate)} (${relay.seconds.toFixed(1)} s; ${relay.stats.applied} applied, ${relay.stats.skipped} skipped)`,
    );
    if (METRICS === "both") {
      const measured = await timeRelay(
        client,
        STREAM,
        postgres.url,
        "bench_relay_metrics",
        COUNT,
        true,
      );
      console.log(
        `(a) the same, metrics on: ${fmt(measured.rate)} (${measured.seconds.toFixed(1)} s; ${((measured.rate / relay.rate - 1) * 100).toFixed(1)} % against metrics off)`,
      );
    }

    const events = [...lambdaEvents(queued).values()];
    const lambda = await timeLambda(postgres.url, "bench_lambda", events, COUNT, client);
    console.log(
      `(b) Lambda handler, events of ${LAMBDA_BATCH.toLocaleString("en-US")}, ${events.length} containers (one per shard) at once: ${fmt(lambda.rate)} (${lambda.seconds.toFixed(1)} s)`,
    );
    const single = await timeLambda(
      postgres.url,
      "bench_lambda_single",
      [events.flat()],
      COUNT,
      client,
    );
    console.log(
      `    Lambda handler, one container, the shards one after the other: ${fmt(single.rate)} (${single.seconds.toFixed(1)} s)`,
    );
    console.log(
      `relay / Lambda handler: ${(relay.rate / lambda.rate).toFixed(2)} (same shard parallelism), ${(relay.rate / single.rate).toFixed(2)} (against one container)`,
    );

    const [a, b, c] = await Promise.all(
      ["bench_relay", "bench_lambda", "bench_lambda_single"].map((table) =>
        digest(postgres.url, table),
      ),
    );
    if (a?.digest !== b?.digest || a?.digest !== c?.digest) {
      throw new Error(
        `the targets differ: relay ${JSON.stringify(a)}, Lambda ${JSON.stringify(b)}, ${JSON.stringify(c)}`,
      );
    }
    console.log(`check: all three tables hold the same ${a?.rows} rows (md5 ${a?.digest})`);
  } finally {
    client.destroy();
    await memory.stop();
  }

  try {
    if (MOCK_COUNT > 0) await kinesisMock(postgres.url);
  } finally {
    await postgres.stop();
  }
}

/** (c): the same relay against kinesis-mock, fewer changes. */
async function kinesisMock(url: string): Promise<void> {
  const mock = await startKinesisLocal();
  const client = localKinesisClient(mock.endpoint);
  try {
    await createKinesisStream(client, MOCK_STREAM, SHARDS);
    const entries = kinesisEntries(MOCK_COUNT, 12);
    const t = performance.now();
    await queue(client, MOCK_STREAM, entries);
    const queuedIn = (performance.now() - t) / 1000;
    const relay = await timeRelay(client, MOCK_STREAM, url, "bench_relay_kinesis_mock", MOCK_COUNT);
    console.log(
      `(c) relay from kinesis-mock, ${MOCK_COUNT.toLocaleString("en-US")} changes: ${fmt(relay.rate)} (${relay.seconds.toFixed(1)} s; ` +
        `queuing them took ${queuedIn.toFixed(1)} s, i.e. ${fmt(MOCK_COUNT / queuedIn)}): the emulator's reads are the limit`,
    );
  } finally {
    client.destroy();
    await mock.stop();
  }
}

await main();
