// The Lambda function keeps tombstones at least as long as its event source
// keeps changes: a Kinesis stream's retention read with DescribeStreamSummary
// (against the local Kinesis emulator), DynamoDB Streams' 24 h;
// TOMBSTONE_RETENTION_HOURS can only raise it; a denied DescribeStreamSummary
// is said once in the log and the configured retention kept. Each case ages
// tombstones in PostgreSQL and lets the function's first purge run.

import {
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import {
  kinesisDynamoRecord,
  lambdaKinesisEvent,
  lambdaStreamsEvent,
  streamArn,
  streamsRecord,
} from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type FakeAws, startFakeAws } from "./fake-aws.ts";
import { testLambda } from "./harness.ts";

let target: PgTarget;
let kinesis: LocalKinesis;
let client: KinesisClient;
let aws: FakeAws;
beforeAll(async () => {
  [target, kinesis, aws] = await Promise.all([pgTarget(), startKinesisLocal(), startFakeAws()]);
  client = localKinesisClient(kinesis.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([target?.close(), kinesis?.stop(), aws?.close()]);
});

/** A stream on the emulator keeping records `hours`; its ARN. */
async function stream(name: string, hours: number): Promise<string> {
  await createKinesisStream(client, name, 1);
  if (hours > 24)
    await client.send(
      new IncreaseStreamRetentionPeriodCommand({ StreamName: name, RetentionPeriodHours: hours }),
    );
  const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
  expect(out.StreamDescriptionSummary?.RetentionPeriodHours).toBe(hours);
  return out.StreamDescriptionSummary?.StreamARN as string;
}

type Kind = "kinesis" | "dynamodb-streams";
let micros = 1_720_000_000_000_000;
const change = (kind: Kind, id: string, eventName: "INSERT" | "REMOVE") =>
  kind === "kinesis"
    ? kinesisDynamoRecord({ keys: { id: { S: id } }, eventName, micros: ++micros })
    : streamsRecord({ keys: { id: { S: id } }, eventName });

/** A table holding tombstones of keys deleted `ageHours` ago, written by another writer of the same kind. */
async function tombstones(kind: Kind, ageHours: Record<string, number>): Promise<TableName> {
  const table = target.table("retained");
  const pipeline = new ApplyPipeline(target.sink, { table });
  for (const [id, age] of Object.entries(ageHours)) {
    await pipeline.apply(sourceRecords(change(kind, id, "INSERT")));
    await pipeline.apply(sourceRecords(change(kind, id, "REMOVE")));
    await target.sink.query({
      sql: `UPDATE ${target.sink.dialect.quoteTable({ ...table, name: `${table.name}__state` })} SET updated_at = now() - make_interval(hours => $1) WHERE pk->>'id' = $2`,
      params: [age, id],
    });
  }
  return table;
}

const kept = async (table: TableName) =>
  (await target.state(table)).filter((r) => r.deleted).map((r) => r.id);

function lambda(table: TableName, kinesisClient: KinesisClient, hours?: number) {
  return testLambda(
    {
      TARGET_URL: target.url,
      TARGET_TABLE: table.name,
      ...(hours === undefined ? {} : { TOMBSTONE_RETENTION_HOURS: String(hours) }),
    },
    { kinesisClient },
  );
}

describe("the Lambda function's tombstone retention", () => {
  it("is the Kinesis stream's retention plus an hour, above a lower TOMBSTONE_RETENTION_HOURS", async () => {
    const arn = await stream("kept-240", 240);
    const table = await tombstones("kinesis", { old: 260, young: 200 });
    const fn = lambda(table, client, 24);
    await fn.handler(
      lambdaKinesisEvent([change("kinesis", "n", "INSERT")], { eventSourceARN: arn }),
    );
    // 241 h: the 200 h tombstone stays, the 260 h one goes.
    expect(await kept(table)).toEqual(["young"]);
    expect(fn.logs().find((l) => l.msg === "tombstone retention")).toMatchObject({
      eventSourceARN: arn,
      message: expect.stringMatching(/tombstones kept 241 h, the stream's retention \(240 h\)/),
    });
    await fn.close();
  });

  it("stays at the configured 168 h when the stream keeps less", async () => {
    const arn = await stream("kept-24", 24);
    const table = await tombstones("kinesis", { old: 200, young: 100 });
    const fn = lambda(table, client);
    await fn.handler(
      lambdaKinesisEvent([change("kinesis", "n", "INSERT")], { eventSourceARN: arn }),
    );
    expect(await kept(table)).toEqual(["young"]);
    expect(fn.logs().filter((l) => l.msg === "tombstone retention")).toEqual([]);
    await fn.close();
  });

  it("is at least DynamoDB Streams' 24 h plus an hour, without asking Kinesis", async () => {
    const table = await tombstones("dynamodb-streams", { old: 30, young: 10 });
    const fn = lambda(table, aws.deniedKinesisClient(), 1);
    const calls = aws.describeStreamCalls;
    await fn.handler(lambdaStreamsEvent([change("dynamodb-streams", "n", "INSERT")]));
    expect(await kept(table)).toEqual(["young"]);
    expect(aws.describeStreamCalls).toBe(calls);
    expect(fn.logs().find((l) => l.msg === "tombstone retention")).toMatchObject({
      eventSourceARN: streamArn(),
      message: expect.stringMatching(/tombstones kept 25 h/),
    });
    await fn.close();
  });

  it("a denied DescribeStreamSummary is said once; the configured retention stays", async () => {
    const arn = "arn:aws:kinesis:us-east-1:123456789012:stream/denied";
    const table = await tombstones("kinesis", { old: 200, young: 100 });
    const fn = lambda(table, aws.deniedKinesisClient());
    const calls = aws.describeStreamCalls;
    for (const id of ["n1", "n2", "n3"]) {
      const response = await fn.handler(
        lambdaKinesisEvent([change("kinesis", id, "INSERT")], { eventSourceARN: arn }),
      );
      expect(response.batchItemFailures).toEqual([]);
    }
    expect(await kept(table)).toEqual(["young"]);
    expect(aws.describeStreamCalls).toBe(calls + 1);
    const warnings = fn.logs().filter((l) => l.msg === "stream retention unknown");
    expect(warnings).toEqual([
      expect.objectContaining({
        level: "warn",
        eventSourceARN: arn,
        error: expect.stringMatching(
          /AccessDeniedException.*kinesis:DescribeStreamSummary.*tombstones kept 168 h/,
        ),
        hint: expect.stringMatching(/kinesis:DescribeStreamSummary/),
      }),
    ]);
    await fn.close();
  });
});
