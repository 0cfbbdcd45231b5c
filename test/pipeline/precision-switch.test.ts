// A Kinesis stream's ApproximateCreationDateTimePrecision switched between
// MICROSECOND and MILLISECOND (G2, "The limit of ordering by timestamp"): a
// millisecond timestamp stands for its whole millisecond, so against a
// microsecond timestamp inside it neither is known to be older; the two are
// ordered by the stream's sequence numbers, in either direction of the switch,
// whatever the batches and in whatever order they arrive.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const put = (value: string, time: { micros: number } | { millis: number }, first = false) =>
  kinesisDynamoRecord({
    eventName: first ? "INSERT" : "MODIFY",
    keys: { id: { S: "a" } },
    newImage: { id: { S: "a" }, v: { S: value } },
    ...time,
  });

/** The records of one shard, in stream order (increasing sequence numbers). */
const shard = (records: unknown[]) => sourceRecords(lambdaKinesisEvent(records));

// The older change at 500 us into the millisecond, the newer one stamped with the millisecond alone.
const microsToMillis = () =>
  shard([
    put("older", { micros: BASE_MILLIS * 1000 + 500 }, true),
    put("newer", { millis: BASE_MILLIS }),
  ]);
const millisToMicros = () =>
  shard([
    put("older", { millis: BASE_MILLIS }, true),
    put("newer", { micros: BASE_MILLIS * 1000 + 500 }),
  ]);

describe("a precision switch inside one millisecond", () => {
  for (const [name, records] of [
    ["MICROSECOND to MILLISECOND", microsToMillis],
    ["MILLISECOND to MICROSECOND", millisToMicros],
  ] as const) {
    it(`${name}: the newer change wins in one batch, in two, and in reverse arrival`, async () => {
      const deliveries = [
        [records()],
        records().map((r) => [r]),
        records()
          .reverse()
          .map((r) => [r]),
      ];
      for (const batches of deliveries) {
        const table = target.table("precision");
        const pipeline = new ApplyPipeline(target.sink, { table });
        for (const batch of batches) expect((await pipeline.apply(batch)).failed).toEqual([]);
        expect(await target.live(table)).toEqual(new Map([["a", { v: "newer" }]]));
      }
    });
  }

  it("outside the shared millisecond the timestamps decide, not the sequence numbers", async () => {
    // A late MILLISECOND record of the previous millisecond arrives after a MICROSECOND one.
    const records = shard([
      put("newer", { micros: BASE_MILLIS * 1000 + 500 }, true),
      put("older", { millis: BASE_MILLIS - 1 }),
    ]);
    const table = target.table("precision");
    const pipeline = new ApplyPipeline(target.sink, { table });
    for (const record of records) await pipeline.apply([record]);
    expect(await target.live(table)).toEqual(new Map([["a", { v: "newer" }]]));
  });
});
