// One table is fed from one stream (G2, "The limit of ordering by timestamp"):
// DynamoDB Streams stamps whole seconds and orders by its own SequenceNumber,
// Kinesis stamps ms or us; no order holds between the two. A writer refuses a
// record of the other kind, naming the record and the field, and applies the rest.

import { afterAll, beforeAll, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import {
  BASE_MILLIS,
  kinesisDynamoRecord,
  lambdaKinesisEvent,
  streamsRecord,
} from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const image = (v: string) => ({ id: { S: "a" }, v: { S: v } });

it("a DynamoDB Streams record for a table fed from Kinesis is refused with its reason, in the same second", async () => {
  const table = target.table("mixed");
  const pipeline = new ApplyPipeline(target.sink, { table });
  // The Kinesis change is older (400 ms into the second) than the Streams one.
  const kinesis = kinesisDynamoRecord({
    keys: { id: { S: "a" } },
    newImage: image("kinesis"),
    millis: Math.floor(BASE_MILLIS / 1000) * 1000 + 400,
  });
  expect((await pipeline.apply(sourceRecords(lambdaKinesisEvent([kinesis])))).failed).toEqual([]);
  const streams = streamsRecord({
    eventName: "MODIFY",
    keys: { id: { S: "a" } },
    newImage: image("streams"),
    eventID: "streams-1",
  });
  const result = await pipeline.apply(sourceRecords(streams));
  expect(result.failed).toHaveLength(1);
  const error = result.failed[0]?.error;
  expect(error).toMatchObject({ field: "dynamodb.SequenceNumber" });
  expect(result.failed[0]?.permanent).toBe(true);
  expect(String(error?.message)).toMatch(/streams-1/);
  expect(String(error?.message)).toMatch(/Kinesis/);
  expect(await target.live(table)).toEqual(new Map([["a", { v: "kinesis" }]]));
});
