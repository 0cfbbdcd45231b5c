// bench:latency — how long a change takes from DynamoDB to a row users can
// read, on the local stack (DynamoDB Local, the bridge, the Kinesis emulator,
// an embedded PostgreSQL; a live CrateDB too when CRATEDB_URL is set):
//   - a writer puts items into DynamoDB Local at each --rates value (default
//     200 and 1000 writes/s) for --seconds (default 30); each item carries its
//     write time (`writtenAt`, when its PutItem was sent);
//   - "visible": a watcher polls the target's view in a tight loop for the
//     keys not seen yet (an index on the key, so each poll is one index range
//     scan) and records when each first shows; that time minus the write time
//     is the whole path. Visibility in the target is measured, not the
//     pipeline's own callbacks; the poll's round trip (~1 ms) is its resolution;
//   - paths: the relay (runRelay, as `dynacrate relay` runs it) and the Lambda
//     handler fed the way an event source mapping feeds it (GetRecords per
//     shard, BatchSize 100, MaximumBatchingWindowInSeconds --window, a shard
//     read again at once after records and after --lambda-poll ms when empty:
//     AWS polls each shard once per second);
//   - the bridge's share: the bridge is what the local stack adds and AWS
//     would not (DynamoDB Local can not stream into Kinesis; the bridge polls
//     its DynamoDB stream every 50 ms and puts the changes on Kinesis).
//     Measured alone: from the write to the moment the bridge's PutRecords of
//     the change returned. The pipeline's share is visible minus that.
// Each row is a fresh table and stream, so runs do not see each other. All of
// it runs in this process except the emulators and the databases, so on a busy
// machine the figures are high: compare rows of the same run.
//   npm run bench:latency -- --seconds 5 --rates 200,1000 [--window 0,1] [--paths relay,lambda]
//     [--relay-poll MS] [--relay-batch N] [--bridge-poll MS] [--lambda-poll MS] [--lambda-batch N]

import { parseArgs } from "node:util";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import type { KeySchema } from "../src/codec/key-schema.ts";
import { createHandler } from "../src/lambda/create-handler.ts";
import { startBridge } from "../src/local/bridge/bridge.ts";
import { createKinesisStream, createStreamingTable } from "../src/local/services/provision.ts";
import { startLocalStack } from "../src/local/services/stack.ts";
import { ApplyPipeline } from "../src/pipeline/apply-pipeline.ts";
import { runRelay } from "../src/relay/relay.ts";
import { openSink } from "../src/sink/open-sink.ts";
import type { Sink } from "../src/sink/sink.ts";
import { KinesisSource } from "../src/source/kinesis.ts";
import { stateTable, type TableName } from "../src/sql/table-name.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    rates: { type: "string", default: "200,1000" },
    window: { type: "string", default: "0,1" },
    paths: { type: "string", default: "relay,lambda" },
    shards: { type: "string", default: "2" },
    "relay-poll": { type: "string" },
    "relay-batch": { type: "string", default: "1000" },
    "bridge-poll": { type: "string", default: "50" },
    "lambda-poll": { type: "string", default: "1000" },
    "lambda-batch": { type: "string", default: "100" },
  },
});
const SECONDS = Number(values.seconds);
const RATES = String(values.rates).split(",").map(Number);
const WINDOWS = String(values.window).split(",").map(Number);
const PATHS = String(values.paths).split(",");
const SHARDS = Number(values.shards);
const RELAY_POLL = values["relay-poll"] === undefined ? undefined : Number(values["relay-poll"]);
const RELAY_BATCH = Number(values["relay-batch"]);
const BRIDGE_POLL = Number(values["bridge-poll"]);
const LAMBDA_POLL = Number(values["lambda-poll"]);
const LAMBDA_BATCH = Number(values["lambda-batch"]);
const KEY: KeySchema = [{ name: "seq", type: "N" }];
/** Writes in flight at most: enough for 1,000/s at DynamoDB Local's answer times. */
const IN_FLIGHT = 64;
/** How long to wait for the last changes before a row is given up. */
const SETTLE_MS = 30_000;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Clients = Awaited<ReturnType<typeof startLocalStack>>["clients"];

interface Row {
  path: string;
  target: string;
  rate: number;
  written: number;
  writeSeconds: number;
  visible: number;
  /** From the first write to the last row seen, rows/s. */
  throughput: number;
  whole: number[];
  bridge: number[];
  pipeline: number[];
  /** The relay's own lagMs fields (relay rows only). */
  lag: number[];
}

/** Finds when each key first shows in the target's view, polling for the keys not seen yet. */
function watch(sink: Sink, table: TableName, seen: Map<number, number>) {
  const q = sink.dialect.quoteIdentifier;
  const key =
    sink.dialect.name === "postgresql" ? `(${q("pk")}->>'seq')::bigint` : `${q("pk")}['seq']`;
  const sql = `SELECT ${key} AS seq FROM ${sink.dialect.quoteTable(table)} WHERE ${key} >= ${sink.dialect.placeholder(1)}`;
  let lowest = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const rows = await sink.query<{ seq: string | number }>({ sql, params: [lowest] });
      const at = now();
      for (const row of rows) {
        const seq = Number(row.seq);
        if (!seen.has(seq)) seen.set(seq, at);
      }
      while (seen.has(lowest)) lowest++;
      if (rows.length === 0) await sleep(1);
    }
  })();
  done.catch(() => {});
  return async () => {
    stopped = true;
    await done;
  };
}

/** Puts items at `rate` per second for SECONDS; returns their write times by seq. */
async function write(clients: Clients, tableName: string, rate: number) {
  const writtenAt = new Map<number, number>();
  const total = Math.round(rate * SECONDS);
  const started = now();
  let next = 0;
  let inFlight = 0;
  let failed: unknown;
  while (next < total && failed === undefined) {
    const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
    while (next < due && inFlight < IN_FLIGHT) {
      const seq = next++;
      const at = now();
      writtenAt.set(seq, at);
      inFlight++;
      clients.dynamodb
        .send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              seq: { N: String(seq) },
              writtenAt: { N: at.toFixed(3) },
              status: { S: seq % 3 ? "open" : "paid" },
              total: { N: String((seq * 7.31) % 1000) },
            },
          }),
        )
        .catch((error) => {
          failed = error;
        })
        .finally(() => inFlight--);
    }
    await sleep(1);
  }
  while (inFlight > 0) await sleep(1);
  if (failed) throw failed;
  return { writtenAt, seconds: (now() - started) / 1000 };
}

/** An event source mapping in miniature: per shard, GetRecords, batch, invoke, in order. */
function lambdaPoller(
  kinesis: KinesisClient,
  stream: string,
  windowMs: number,
  invoke: (records: unknown[]) => Promise<void>,
) {
  let stopped = false;
  const shard = async (shardId: string) => {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      )
    ).ShardIterator;
    let batch: unknown[] = [];
    let firstAt = 0;
    while (iterator && !stopped) {
      const out = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: LAMBDA_BATCH - batch.length }),
      );
      iterator = out.NextShardIterator;
      const records = (out.Records ?? []).map((r) => ({
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: r.PartitionKey,
          sequenceNumber: r.SequenceNumber,
          data: Buffer.from(r.Data ?? new Uint8Array()).toString("base64"),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${shardId}:${r.SequenceNumber}`,
        eventName: "aws:kinesis:record",
        awsRegion: "us-east-1",
        eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
      }));
      if (records.length > 0 && batch.length === 0) firstAt = now();
      batch.push(...records);
      const full = batch.length >= LAMBDA_BATCH;
      if (batch.length > 0 && (full || now() - firstAt >= windowMs)) {
        await invoke(batch);
        batch = [];
        continue;
      }
      if (records.length === 0)
        await sleep(
          batch.length > 0 ? Math.min(LAMBDA_POLL, windowMs - (now() - firstAt)) : LAMBDA_POLL,
        );
    }
  };
  const done = (async () => {
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
    await Promise.all(shards.map((s) => shard(s.ShardId as string)));
  })();
  // A failure is thrown when the poller is stopped, not as an unhandled rejection before.
  done.catch(() => {});
  return async () => {
    stopped = true;
    await done;
  };
}

let runs = 0;

async function measure(
  clients: Clients,
  targetUrl: string,
  target: string,
  path: "relay" | "lambda",
  rate: number,
  windowMs: number,
): Promise<Row> {
  const tableName = `latency_${process.pid}_${++runs}`;
  const stream = `${tableName}-changes`;
  await Promise.all([
    createStreamingTable(clients.dynamodb, tableName, KEY),
    createKinesisStream(clients.kinesis, stream, SHARDS),
  ]);
  const onKinesis = new Map<number, number>();
  const bridge = startBridge({
    ...clients,
    table: tableName,
    stream,
    pollMs: BRIDGE_POLL,
    onPut: (records) => {
      const at = now();
      for (const record of records) {
        const image = (record as { dynamodb?: { NewImage?: { seq?: { N?: string } } } }).dynamodb
          ?.NewImage;
        onKinesis.set(Number(image?.seq?.N), at);
      }
    },
    onError: (error) => process.stderr.write(`bridge: ${(error as Error)?.message ?? error}\n`),
  });
  const table: TableName = { schema: undefined, name: tableName };
  const sink = await openSink(targetUrl);
  await sink.ensureTable(table, KEY);
  if (sink.dialect.name === "postgresql") {
    const q = sink.dialect.quoteIdentifier;
    await sink.query({
      sql: `CREATE INDEX ON ${sink.dialect.quoteTable(stateTable(table))} (((${q("pk")}->>'seq')::bigint))`,
      params: [],
    });
  }
  const seen = new Map<number, number>();
  const stopWatch = watch(sink, table, seen);
  const lag: number[] = [];
  let stopConsumer: () => Promise<void>;
  if (path === "relay") {
    const stop = new AbortController();
    const relaySink = await openSink(targetUrl);
    const running = runRelay({
      source: new KinesisSource(clients.kinesis, stream),
      pipeline: new ApplyPipeline(relaySink, { table, keySchema: KEY }),
      from: { type: "trim-horizon" },
      batchSize: RELAY_BATCH,
      ...(RELAY_POLL === undefined ? {} : { pollMs: RELAY_POLL }),
      onBatch: (event) => {
        if (event.lagMs !== undefined) lag.push(event.lagMs);
      },
      signal: stop.signal,
    });
    stopConsumer = async () => {
      stop.abort();
      await running;
      await relaySink.close();
    };
  } else {
    const lambda = createHandler({
      env: {
        TARGET_URL: targetUrl,
        TARGET_TABLE: tableName,
        KEY_SCHEMA: "seq:N",
        LOG_LEVEL: "error",
      },
      writeLine: () => {},
    });
    const stopPoller = lambdaPoller(clients.kinesis, stream, windowMs, async (records) => {
      // biome-ignore lint/suspicious/noExplicitAny: a Lambda Kinesis event built here
      const response = await lambda.handler({ Records: records } as any);
      if (response.batchItemFailures.length > 0) throw new Error("the handler reported failures");
    });
    stopConsumer = async () => {
      await stopPoller();
      await lambda.close();
    };
  }

  const { writtenAt, seconds } = await write(clients, tableName, rate);
  const settleFrom = now();
  while (seen.size < writtenAt.size && now() - settleFrom < SETTLE_MS) await sleep(20);
  await stopWatch();
  await stopConsumer();
  await bridge.stop();
  await sink.close();

  const whole: number[] = [];
  const bridgeShare: number[] = [];
  const pipeline: number[] = [];
  let lastSeen = 0;
  for (const [seq, written] of writtenAt) {
    const visible = seen.get(seq);
    const arrived = onKinesis.get(seq);
    if (visible !== undefined) {
      whole.push(visible - written);
      lastSeen = Math.max(lastSeen, visible);
    }
    if (arrived !== undefined) bridgeShare.push(arrived - written);
    if (visible !== undefined && arrived !== undefined) pipeline.push(visible - arrived);
  }
  const first = Math.min(...writtenAt.values());
  return {
    path: path === "relay" ? "relay" : `lambda w=${windowMs / 1000}s`,
    target,
    rate,
    written: writtenAt.size,
    writeSeconds: seconds,
    visible: seen.size,
    throughput: seen.size / Math.max(0.001, (lastSeen - first) / 1000),
    whole,
    bridge: bridgeShare,
    pipeline,
    lag,
  };
}

function percentiles(values: number[]): string {
  if (values.length === 0) return "-".padStart(23);
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return [at(50), at(95), at(99), sorted.at(-1) as number]
    .map((v) => v.toFixed(0).padStart(5))
    .join(" ");
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const stack = await startLocalStack({ tableName: "latency_unused", keySchema: KEY, shards: 1 });
  // Its own table's bridge would only poll: each measured run has its own.
  await stack.bridge.stop();
  const rows: Row[] = [];
  try {
    const targets: Array<[string, string]> = [["postgresql", stack.targetUrl]];
    if (process.env.CRATEDB_URL) targets.push(["cratedb", process.env.CRATEDB_URL]);
    for (const rate of RATES) {
      for (const [target, url] of targets) {
        const paths: Array<["relay" | "lambda", number]> = PATHS.includes("relay")
          ? [["relay", 0]]
          : [];
        // The Lambda path on PostgreSQL only: CrateDB adds the same sink on both paths.
        if (target === "postgresql" && PATHS.includes("lambda"))
          for (const w of WINDOWS) paths.push(["lambda", w * 1000]);
        for (const [path, windowMs] of paths) {
          const row = await measure(stack.clients, url, target, path, rate, windowMs);
          rows.push(row);
          process.stderr.write(
            `${row.path} -> ${target} at ${rate}/s: ${row.visible}/${row.written} visible\n`,
          );
        }
      }
    }
  } finally {
    await stack.stop();
  }

  console.log(
    `latency, ms (p50 p95 p99 max), ${SECONDS} s per row, ${SHARDS} shards; bridge polls every ${BRIDGE_POLL} ms, ` +
      `relay poll ${RELAY_POLL ?? "default"} ms, batch ${RELAY_BATCH}; Lambda BatchSize ${LAMBDA_BATCH}, idle poll ${LAMBDA_POLL} ms`,
  );
  console.log(
    `${"path".padEnd(14)} ${"target".padEnd(10)} ${"rate".padStart(5)} ${"achieved".padStart(8)} ${"rows/s".padStart(7)} ` +
      `${"whole path".padEnd(23)} ${"bridge (local only)".padEnd(23)} ${"pipeline".padEnd(23)} relay lagMs p99`,
  );
  for (const row of rows) {
    console.log(
      `${row.path.padEnd(14)} ${row.target.padEnd(10)} ${String(row.rate).padStart(5)} ` +
        `${(row.written / row.writeSeconds).toFixed(0).padStart(8)} ${row.throughput.toFixed(0).padStart(7)} ` +
        `${percentiles(row.whole)} ${percentiles(row.bridge)} ${percentiles(row.pipeline)} ` +
        `${row.lag.length ? p99(row.lag).toFixed(0) : "-"}` +
        (row.visible < row.written ? `  (${row.written - row.visible} never seen)` : ""),
    );
  }
  const goal = rows.filter((r) => r.path === "relay" && r.rate === Math.max(...RATES));
  for (const row of goal) {
    const own = p99(row.pipeline);
    const whole = p99(row.whole);
    console.log(
      `goal at ${row.rate}/s, relay -> ${row.target}: pipeline p99 ${own.toFixed(0)} ms (< 100) ${own < 100 ? "ok" : "MISSED"}, ` +
        `whole path p99 ${whole.toFixed(0)} ms (< 1000) ${whole < 1000 ? "ok" : "MISSED"}`,
    );
  }
  if (rows.some((r) => r.visible < r.written)) process.exitCode = 1;
}

await main();
