// `dynacrate relay --metrics-port` as its own process, as a service runs it,
// against the Kinesis emulator and PostgreSQL, and the live CrateDB where
// CRATEDB_URL is set: /metrics counts what the relay applied (the sums of its
// own batch log lines, the rows in the table, the dead-letter file), /healthz
// and /ready answer 200; with the sink down (a TCP proxy in front of it)
// /ready answers 503 and the retries and outage time show, and once it is
// back /ready answers 200 and the records that waited are applied.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { metric, probe, scrape } from "../support/scrape.ts";
import { proxyInFront, type TcpProxy } from "../support/tcp-proxy.ts";
import { kinesisRelayArgs, type RelayProcess, spawnRelay, waitFor } from "./relay-process.ts";

const crateUrl = process.env.CRATEDB_URL;
const CRATE_SKIP =
  "CRATEDB_URL is not set, so no live CrateDB is available (CI has none); set it to run the CrateDB case";
if (!crateUrl) console.log(`relay-service.test.ts, CrateDB case skipped: ${CRATE_SKIP}`);

let kinesis: LocalKinesis;
let client: ReturnType<typeof localKinesisClient>;
let pg: PgTarget;
let scratch: string;
beforeAll(async () => {
  [kinesis, pg] = await Promise.all([startKinesisLocal(), pgTarget()]);
  client = localKinesisClient(kinesis.endpoint);
  scratch = mkdtempSync(join(tmpdir(), "dynacrate-relay-service-"));
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([kinesis?.stop(), pg?.close()]);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const MICROS = 1_720_000_000_000_000;

/** A change of item `id` at `micros`, as Kinesis Data Streams for DynamoDB carries it. */
function change(id: string, micros: number, eventID?: string) {
  return kinesisDynamoRecord({
    keys: { id: { S: id } },
    newImage: { id: { S: id }, n: { N: String(micros - MICROS) } },
    micros,
    ...(eventID ? { eventID } : {}),
    eventName: "MODIFY",
  });
}

/**
 * Five items, one changed twice, one change delivered twice, and one record
 * the codec refuses (no ApproximateCreationDateTime): 8 records, 5 rows.
 */
function firstRecords(): unknown[] {
  const twice = change("k2", MICROS + 2, "00000000-0000-4000-8000-000000000002");
  const bad = change("k9", MICROS + 9) as { dynamodb: Record<string, unknown> };
  delete bad.dynamodb.ApproximateCreationDateTime;
  return [
    change("k1", MICROS + 1),
    twice,
    change("k3", MICROS + 3),
    twice,
    change("k1", MICROS + 11),
    change("k4", MICROS + 4),
    bad,
    change("k5", MICROS + 5),
  ];
}

async function put(stream: string, records: unknown[]): Promise<void> {
  await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: records.map((r, i) => ({
        PartitionKey: `p${i}`,
        Data: Buffer.from(JSON.stringify(r)),
      })),
    }),
  );
}

/** The relay's endpoints, once it printed where they are. */
async function endpointsOf(relay: RelayProcess): Promise<string> {
  let base: string | undefined;
  await waitFor("the relay's metrics address", () => {
    base = /metrics on (http:\/\/\S+)\/metrics/.exec(relay.stderr())?.[1];
    if (relay.child.exitCode !== null) throw new Error(`the relay exited: ${relay.stderr()}`);
    return base !== undefined;
  });
  return base as string;
}

/** Sums of a field over the relay's JSON batch lines. */
function logged(relay: RelayProcess, field: "applied" | "skipped" | "deadLettered" | "records") {
  return relay
    .stdout()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === "batch")
    .reduce((sum, line) => sum + Number(line[field]), 0);
}

async function liveRows(sink: Sink, table: TableName): Promise<number> {
  const refresh = sink.dialect.refresh(stateTable(table));
  if (refresh) await sink.query(refresh);
  return (await sink.query(sink.dialect.selectLive(table))).length;
}

interface Case {
  name: string;
  /** The database's URL; undefined skips the case. */
  url: () => string | undefined;
  skip: string | undefined;
}

const CASES: Case[] = [
  { name: "PostgreSQL", url: () => pg.url, skip: undefined },
  { name: "CrateDB", url: () => crateUrl, skip: crateUrl ? undefined : CRATE_SKIP },
];

describe.each(CASES)("the relay as a service, into $name", ({ name, url, skip }) => {
  let proxy: TcpProxy;
  let sink: Sink;
  const table: TableName = {
    schema: undefined,
    name: `svc_${name.toLowerCase()}_${Date.now().toString(36)}`,
  };
  beforeAll(async () => {
    if (skip) return;
    sink = await openSink(url() as string);
  });
  afterAll(async () => {
    await proxy?.close();
    if (sink) {
      if (name === "CrateDB") await dropTables(sink, [table]);
      await sink.close();
    }
  });

  it.skipIf(skip !== undefined)(
    `/metrics counts what was applied; /ready answers 503 while the sink is down${skip ? ` (skipped: ${skip})` : ""}`,
    async () => {
      const stream = `service-${name.toLowerCase()}`;
      await createKinesisStream(client, stream, 1);
      await put(stream, firstRecords());
      let target: string;
      ({ proxy, url: target } = await proxyInFront(url() as string));
      const dlq = join(scratch, `${name}.ndjson`);
      const relay = spawnRelay(
        kinesisRelayArgs(stream, kinesis.endpoint, target, table.name, [
          "--poll-ms",
          "50",
          "--dlq",
          dlq,
          "--metrics-port",
          "0",
          "--metrics-host",
          "127.0.0.1",
        ]),
      );
      try {
        const base = await endpointsOf(relay);
        await waitFor("8 records read", async () => {
          const samples = await scrape(base);
          return metric(samples, "dynacrate_records_read_total") === 8;
        });
        let samples = await scrape(base);
        const outcome = (o: string) =>
          metric(samples, "dynacrate_records_total", { table: table.name, outcome: o });
        // The same counts as the relay's own batch lines, and as the table and the dead-letter file.
        expect(logged(relay, "records")).toBe(8);
        expect(outcome("applied")).toBe(logged(relay, "applied"));
        expect(
          outcome("superseded") + outcome("stale") + outcome("duplicate") + outcome("ignored"),
        ).toBe(logged(relay, "skipped"));
        expect(outcome("dead_lettered")).toBe(1);
        expect(logged(relay, "deadLettered")).toBe(1);
        expect(readFileSync(dlq, "utf8").trim().split("\n")).toHaveLength(1);
        expect(outcome("applied") + outcome("superseded") + outcome("duplicate")).toBe(7);
        // k2 twice is a duplicate, k1's first change is superseded, unless a read split them.
        expect(outcome("duplicate") + outcome("superseded")).toBeGreaterThanOrEqual(
          name === "CrateDB" ? 0 : 1,
        );
        expect(outcome("failed")).toBe(0);
        expect(await liveRows(sink, table)).toBe(5);
        const shard = samples.find((s) => s.name === "dynacrate_shard_lag_seconds")?.labels.shard;
        expect(shard).toMatch(/^shardId-/);
        expect(
          metric(samples, "dynacrate_checkpoint_age_seconds", { shard: shard as string }),
        ).toBeGreaterThanOrEqual(0);
        expect(metric(samples, "dynacrate_batch_duration_seconds_count")).toBeGreaterThanOrEqual(1);
        expect(
          metric(samples, "dynacrate_sink_request_duration_seconds_count", { operation: "write" }),
        ).toBeGreaterThanOrEqual(1);
        expect(metric(samples, "process_cpu_seconds_total")).toBeGreaterThan(0);
        expect(metric(samples, "dynacrate_sink_up")).toBe(1);
        expect(await probe(base, "/healthz")).toBe(200);
        expect(await probe(base, "/ready")).toBe(200);

        // The sink goes down: /ready says so even before a record needs it.
        proxy.down();
        await waitFor(
          "/ready 503 with the sink down",
          async () => (await probe(base, "/ready")) === 503,
        );
        await put(stream, [change("k6", MICROS + 6), change("k7", MICROS + 7)]);
        await waitFor("the relay retrying its batch", async () => {
          samples = await scrape(base);
          return metric(samples, "dynacrate_retries_total", { side: "sink" }) > 0;
        });
        expect(metric(samples, "dynacrate_sink_up")).toBe(0);
        expect(outcome("failed")).toBeGreaterThanOrEqual(1);
        expect(await probe(base, "/ready")).toBe(503);
        // Waiting out an outage is not being stuck.
        expect(await probe(base, "/healthz")).toBe(200);

        proxy.up();
        await waitFor(
          "/ready 200 with the sink back",
          async () => (await probe(base, "/ready")) === 200,
        );
        await waitFor("10 records read", async () => {
          samples = await scrape(base);
          return metric(samples, "dynacrate_records_read_total") === 10;
        });
        expect(metric(samples, "dynacrate_sink_outage_seconds_total")).toBeGreaterThan(0);
        expect(await liveRows(sink, table)).toBe(7);
        relay.child.kill("SIGTERM");
        expect((await relay.exited).code).toBe(0);
        expect(relay.stoppedRecords()).toBe(10);
      } finally {
        if (relay.child.exitCode === null) relay.child.kill("SIGKILL");
        if (existsSync(dlq)) rmSync(dlq);
      }
    },
  );
});
