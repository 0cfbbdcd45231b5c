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
//     the change returned. The pipeline's share is visible minus that, split
//     into the poll wait (until the consumer's read returned the change) and
//     the apply (from that read until visible);
//   - sources: "dynamodb" is the above; "kinesis" puts the changes DynamoDB
//     would put on Kinesis directly, at the asked rate, which DynamoDB Local
//     (under 1,000 PutItem/s with a stream here) can not reach;
//   - Kinesis: an in-memory Kinesis API in its own process (memory-kinesis.ts),
//     since kinesis-mock slows down with every record it holds.
// Each row is a fresh table and stream, so runs do not see each other. All of
// it runs in this process except the emulators and the databases, so on a busy
// machine the figures are high: compare rows of the same run.
//   npm run bench:latency -- --seconds 5 --rates 200,1000 [--window 0,1] [--paths relay,lambda]
//     [--relay-poll MS] [--relay-batch N] [--bridge-poll MS] [--lambda-poll MS] [--lambda-batch N]
//     [--sources dynamodb,kinesis] [--kinesis memory|emulator] [--refresh-interval-ms MS]
// --refresh-interval-ms gives the CrateDB rows' tables that refresh_interval
// (dynacrate's option of the same name) instead of CrateDB's 1000 ms.

import { parseArgs } from "node:util";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import type { KeySchema } from "../src/codec/key-schema.ts";
import type { TextRecord } from "../src/codec/text-record.ts";
import { createHandler } from "../src/lambda/create-handler.ts";
import { startBridge } from "../src/local/bridge/bridge.ts";
import { partitionKeyOf, toKinesisChange } from "../src/local/bridge/kinesis-record.ts";
import { localKinesisClient } from "../src/local/services/aws-clients.ts";
import { createKinesisStream, createStreamingTable } from "../src/local/services/provision.ts";
import { startLocalStack } from "../src/local/services/stack.ts";
import { ApplyPipeline } from "../src/pipeline/apply-pipeline.ts";
import { runRelay } from "../src/relay/relay.ts";
import { openSink } from "../src/sink/open-sink.ts";
import type { Sink } from "../src/sink/sink.ts";
import { KinesisSource } from "../src/source/kinesis.ts";
import { stateTable, type TableName } from "../src/sql/table-name.ts";
import { dropTables } from "../test/support/drop-tables.ts";
import { startMemoryKinesisProcess } from "./memory-kinesis-process.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

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
    sources: { type: "string", default: "dynamodb,kinesis" },
    kinesis: { type: "string", default: "memory" },
    "refresh-interval-ms": { type: "string" },
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
const KINESIS = String(values.kinesis);
const REFRESH_MS =
  values["refresh-interval-ms"] === undefined ? undefined : Number(values["refresh-interval-ms"]);
if (KINESIS !== "memory" && KINESIS !== "emulator")
  throw new Error(`--kinesis is "memory" or "emulator", not "${KINESIS}"`);
const SOURCES = String(values.sources).split(",") as Array<"dynamodb" | "kinesis">;
const KEY: KeySchema = [{ name: "seq", type: "N" }];
/** Writes in flight at most: enough for 1,000/s at DynamoDB Local's answer times. */
const IN_FLIGHT = 64;
/** The Kinesis writer's pace: a PutRecords every 5 ms at most, 4 in flight at most. */
const PUT_EVERY_MS = 5;
const PUTS_IN_FLIGHT = 4;
/** How long to wait for the last changes before a row is given up. */
const SETTLE_MS = 30_000;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Clients = Awaited<ReturnType<typeof startLocalStack>>["clients"];

interface Row {
  path: string;
  source: "dynamodb" | "kinesis";
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
  /** From on Kinesis to read by the consumer: its polling's share. */
  pollWait: number[];
  /** From read by the consumer to visible in the target: decode, apply, commit. */
  apply: number[];
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

/**
 * Sends seq 0, 1, 2, ... at `rate` per second for SECONDS: every `everyMs`,
 * what is due, in sends of up to `perSend`, with `inFlight` sends at most
 * under way. Returns each seq's write time (when its send started).
 */
async function paced(
  rate: number,
  pace: { everyMs: number; perSend: number; inFlight: number },
  send: (seqs: number[], at: number) => Promise<void>,
) {
  const writtenAt = new Map<number, number>();
  const total = Math.round(rate * SECONDS);
  const started = now();
  let next = 0;
  let inFlight = 0;
  let failed: unknown;
  // A writer that falls behind the rate stops at SECONDS all the same: the
  // rate it achieved is reported, and the run's length stays as asked.
  while (next < total && failed === undefined && now() - started < SECONDS * 1000) {
    const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1);
    while (next < due && inFlight < pace.inFlight) {
      const at = now();
      const seqs: number[] = [];
      while (next < due && seqs.length < pace.perSend) {
        writtenAt.set(next, at);
        seqs.push(next++);
      }
      inFlight++;
      send(seqs, at)
        .catch((error) => {
          failed = error;
        })
        .finally(() => inFlight--);
    }
    await sleep(pace.everyMs);
  }
  while (inFlight > 0) await sleep(1);
  if (failed) throw failed;
  return { writtenAt, seconds: (now() - started) / 1000 };
}

/** Puts items into DynamoDB Local at `rate` per second, one PutItem each. */
function write(clients: Clients, tableName: string, rate: number) {
  return paced(rate, { everyMs: 1, perSend: 1, inFlight: IN_FLIGHT }, async ([seq], at) => {
    await clients.dynamodb.send(
      new PutItemCommand({ TableName: tableName, Item: item(seq as number, at) }),
    );
  });
}

/**
 * Puts the changes DynamoDB would put on Kinesis for `rate` inserts per second,
 * straight onto the stream: the pipeline alone at the asked rate, without
 * DynamoDB Local (whose writes with a stream top out below 1,000/s here) or
 * the bridge. The records due since the last put go in one PutRecords, every
 * PUT_EVERY_MS at most, as a producer batches; a PutRecords per record would
 * measure the emulator's connection handling instead of the pipeline.
 */
function writeToKinesis(
  clients: Clients,
  stream: string,
  tableName: string,
  rate: number,
  onKinesis: Map<number, number>,
) {
  const pace = { everyMs: PUT_EVERY_MS, perSend: 500, inFlight: PUTS_IN_FLIGHT };
  return paced(rate, pace, async (seqs, at) => {
    const Records = seqs.map((seq) => {
      const Keys = { seq: { N: String(seq) } };
      const change = toKinesisChange(
        { eventName: "INSERT", dynamodb: { Keys, NewImage: item(seq, at), SizeBytes: 100 } },
        { micros: Math.round(at * 1000), tableName },
      );
      return { PartitionKey: partitionKeyOf(Keys), Data: Buffer.from(JSON.stringify(change)) };
    });
    const out = await clients.kinesis.send(new PutRecordsCommand({ StreamName: stream, Records }));
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records refused`);
    const put = now();
    for (const seq of seqs) onKinesis.set(seq, put);
  });
}

/** The item written for `seq`, stamped with its write time. */
function item(seq: number, at: number) {
  return {
    seq: { N: String(seq) },
    writtenAt: { N: at.toFixed(3) },
    status: { S: seq % 3 ? "open" : "paid" },
    total: { N: String((seq * 7.31) % 1000) },
  };
}

/** The seq of a change record's text, without decoding all of it. */
const SEQ = /"Keys":\{"seq":\{"N":"(\d+)"\}\}/;

/** Notes when the consumer's read returned each change. */
function noteRead(texts: Array<string | undefined>, readAt: Map<number, number>) {
  const at = now();
  for (const text of texts) {
    const match = text === undefined ? null : SEQ.exec(text);
    if (match && !readAt.has(Number(match[1]))) readAt.set(Number(match[1]), at);
  }
}

/** An event source mapping in miniature: per shard, GetRecords, batch, invoke, in order. */
function lambdaPoller(
  kinesis: KinesisClient,
  stream: string,
  windowMs: number,
  invoke: (records: unknown[]) => Promise<void>,
  readAt: Map<number, number>,
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
      noteRead(
        (out.Records ?? []).map((r) => Buffer.from(r.Data ?? new Uint8Array()).toString()),
        readAt,
      );
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
  from: "dynamodb" | "kinesis",
): Promise<Row> {
  const tableName = `latency_${process.pid}_${++runs}`;
  const stream = `${tableName}-changes`;
  await Promise.all([
    createStreamingTable(clients.dynamodb, tableName, KEY),
    createKinesisStream(clients.kinesis, stream, SHARDS),
  ]);
  const onKinesis = new Map<number, number>();
  const readAt = new Map<number, number>();
  // Changes put straight on Kinesis need no bridge.
  const bridge =
    from === "kinesis"
      ? undefined
      : startBridge({
          ...clients,
          table: tableName,
          stream,
          pollMs: BRIDGE_POLL,
          onPut: (records) => {
            const at = now();
            for (const record of records) {
              const image = (record as { dynamodb?: { NewImage?: { seq?: { N?: string } } } })
                .dynamodb?.NewImage;
              onKinesis.set(Number(image?.seq?.N), at);
            }
          },
          onError: (error) =>
            process.stderr.write(`bridge: ${(error as Error)?.message ?? error}\n`),
        });
  const table: TableName = { schema: undefined, name: tableName };
  // The option is CrateDB's; PostgreSQL refuses it.
  const sinkOptions =
    target === "cratedb" && REFRESH_MS !== undefined ? { refreshIntervalMs: REFRESH_MS } : {};
  const sink = await openSink(targetUrl, sinkOptions);
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
    const relaySink = await openSink(targetUrl, sinkOptions);
    const source = new KinesisSource(clients.kinesis, stream);
    const read = source.read.bind(source);
    source.read = async (iterator, limit) => {
      const result = await read(iterator, limit);
      noteRead(
        result.records.map((r) => (r as TextRecord).text),
        readAt,
      );
      return result;
    };
    const running = runRelay({
      source,
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
      // The stream's retention is asked of the local Kinesis, not of AWS.
      kinesisClient: clients.kinesis,
    });
    const stopPoller = lambdaPoller(
      clients.kinesis,
      stream,
      windowMs,
      async (records) => {
        // biome-ignore lint/suspicious/noExplicitAny: a Lambda Kinesis event built here
        const response = await lambda.handler({ Records: records } as any);
        if (response.batchItemFailures.length > 0) throw new Error("the handler reported failures");
      },
      readAt,
    );
    stopConsumer = async () => {
      await stopPoller();
      await lambda.close();
    };
  }

  const { writtenAt, seconds } =
    from === "kinesis"
      ? await writeToKinesis(clients, stream, tableName, rate, onKinesis)
      : await write(clients, tableName, rate);
  const settleFrom = now();
  while (seen.size < writtenAt.size && now() - settleFrom < SETTLE_MS) await sleep(20);
  await stopWatch();
  await stopConsumer();
  await bridge?.stop();
  // A live CrateDB is the user's: the row's table goes with the row.
  await dropTables(sink, [table]);
  await sink.close();

  const whole: number[] = [];
  const bridgeShare: number[] = [];
  const pipeline: number[] = [];
  const pollWait: number[] = [];
  const apply: number[] = [];
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
    const read = readAt.get(seq);
    if (read !== undefined && arrived !== undefined) pollWait.push(read - arrived);
    if (visible !== undefined && read !== undefined) apply.push(visible - read);
  }
  const first = Math.min(...writtenAt.values());
  return {
    path: path === "relay" ? "relay" : `lambda w=${windowMs / 1000}s`,
    source: from,
    target,
    rate,
    written: writtenAt.size,
    writeSeconds: seconds,
    visible: seen.size,
    throughput: seen.size / Math.max(0.001, (lastSeen - first) / 1000),
    whole,
    bridge: bridgeShare,
    pipeline,
    pollWait,
    apply,
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
  const stack = await startLocalStack({
    tables: [{ name: "latency_unused", keySchema: KEY }],
    shards: 1,
  });
  // Its own table's bridge would only poll: each measured run has its own.
  await stack.bridge.stop();
  // kinesis-mock slows down with every record it holds (bench/memory-kinesis.ts):
  // at 1,000 changes/s its PutRecords took seconds, which would be measured as
  // the pipeline's. The in-memory Kinesis API, in a process of its own, stands in.
  const memory = KINESIS === "memory" ? await startMemoryKinesisProcess() : undefined;
  const clients: Clients = memory
    ? { ...stack.clients, kinesis: localKinesisClient(memory.endpoint, { maxAttempts: 1 }) }
    : stack.clients;
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
        for (const from of SOURCES)
          for (const [path, windowMs] of paths) {
            const row = await measure(clients, url, target, path, rate, windowMs, from);
            rows.push(row);
            process.stderr.write(
              `${row.path} (${from}) -> ${target} at ${rate}/s: ${row.visible}/${row.written} visible\n`,
            );
          }
      }
    }
  } finally {
    if (memory) {
      clients.kinesis.destroy();
      await memory.stop();
    }
    await stack.stop();
  }

  console.log(
    `latency, ms (p50 p95 p99 max), ${SECONDS} s per row, ${SHARDS} shards, Kinesis: ${KINESIS === "memory" ? "the in-memory Kinesis API" : "kinesis-mock"}; bridge polls every ${BRIDGE_POLL} ms, ` +
      `relay poll ${RELAY_POLL ?? "default"} ms, batch ${RELAY_BATCH}; Lambda BatchSize ${LAMBDA_BATCH}, idle poll ${LAMBDA_POLL} ms; ` +
      `CrateDB refresh_interval ${REFRESH_MS ?? "1000 (CrateDB's default)"} ms`,
  );
  console.log(
    "source: dynamodb = PutItem into DynamoDB Local, the bridge puts the changes on Kinesis; " +
      "kinesis = the changes put on Kinesis directly, at the asked rate",
  );
  console.log(
    "columns: whole = visible - written; bridge = on Kinesis - written (local stack only); " +
      "pipeline = visible - on Kinesis = poll wait (read - on Kinesis) + apply (visible - read)",
  );
  console.log(
    `${"path".padEnd(14)} ${"source".padEnd(8)} ${"target".padEnd(10)} ${"rate".padStart(5)} ${"achieved".padStart(8)} ${"rows/s".padStart(7)} ` +
      ["whole", "bridge", "pipeline", "poll wait", "apply"].map((c) => c.padEnd(23)).join(" ") +
      " relay lagMs p99",
  );
  for (const row of rows) {
    console.log(
      `${row.path.padEnd(14)} ${row.source.padEnd(8)} ${row.target.padEnd(10)} ${String(row.rate).padStart(5)} ` +
        `${(row.written / row.writeSeconds).toFixed(0).padStart(8)} ${row.throughput.toFixed(0).padStart(7)} ` +
        [row.whole, row.bridge, row.pipeline, row.pollWait, row.apply].map(percentiles).join(" ") +
        ` ${row.lag.length ? p99(row.lag).toFixed(0) : "-"}` +
        (row.visible < row.written ? `  (${row.written - row.visible} never seen)` : ""),
    );
  }
  const goal = rows.filter((r) => r.path === "relay" && r.rate === Math.max(...RATES));
  for (const row of goal) {
    const own = p99(row.pipeline);
    const whole = p99(row.whole);
    console.log(
      `goal at ${row.rate}/s, relay (${row.source}) -> ${row.target}: pipeline p99 ${own.toFixed(0)} ms (< 100) ${own < 100 ? "ok" : "MISSED"}, ` +
        `whole path p99 ${whole.toFixed(0)} ms (< 1000) ${whole < 1000 ? "ok" : "MISSED"}`,
    );
  }
  if (rows.some((r) => r.visible < r.written)) process.exitCode = 1;
}

await main();
