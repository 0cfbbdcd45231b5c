// The Lambda handler end to end against a live PostgreSQL: events in the
// shapes AWS documents (Kinesis Data Streams for DynamoDB with millisecond,
// microsecond and inferred precision; DynamoDB Streams), every operation,
// Time to Live deletes, redelivery. The database must then hold the right rows
// in the view users query.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttributeMap } from "../../src/codec/types.ts";
import { historyTable } from "../../src/sql/history.ts";
import {
  BASE_MILLIS,
  type KinesisDynamoSpec,
  kinesisDynamoRecord,
  lambdaKinesisEvent,
  lambdaStreamsEvent,
  type StreamsSpec,
  streamsRecord,
} from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { testLambda } from "./harness.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const id = (value: string): AttributeMap => ({ id: { S: value } });

/** A history touching every operation: insert, modify, user delete, TTL delete, and a survivor. */
function history(): Array<Omit<KinesisDynamoSpec & StreamsSpec, "micros" | "millis" | "seconds">> {
  return [
    {
      eventName: "INSERT",
      keys: id("a"),
      newImage: { ...id("a"), price: { N: "1.50" }, name: { S: "apple" } },
    },
    { eventName: "INSERT", keys: id("b"), newImage: { ...id("b"), tags: { SS: ["x", "y"] } } },
    {
      eventName: "MODIFY",
      keys: id("a"),
      newImage: {
        ...id("a"),
        price: { N: "12345678901234567890.123456789" },
        name: { S: "apple" },
        ok: { BOOL: true },
      },
      oldImage: { ...id("a"), price: { N: "1.50" }, name: { S: "apple" } },
    },
    { eventName: "INSERT", keys: id("c"), newImage: { ...id("c"), n: { NULL: true } } },
    { eventName: "REMOVE", keys: id("b"), oldImage: { ...id("b"), tags: { SS: ["x", "y"] } } },
    { eventName: "REMOVE", keys: id("c"), ttl: true, oldImage: { ...id("c"), n: { NULL: true } } },
    {
      eventName: "INSERT",
      keys: id("d"),
      newImage: { ...id("d"), nested: { M: { l: { L: [{ N: "1" }, { N: "2" }] } } } },
    },
  ];
}

async function expectReplicated(table: ReturnType<PgTarget["table"]>) {
  const live = await target.live(table);
  expect([...live.keys()].sort()).toEqual(["a", "d"]);
  expect(live.get("d")).toEqual({ nested: { l: [1, 2] } });
  const a = live.get("a") as Record<string, unknown>;
  expect(a.name).toBe("apple");
  expect(a.ok).toBe(true);
  // jsonb keeps all 29 digits; read them back as text to see it.
  const [row] = await target.sink.query<{ price: string }>({
    sql: `SELECT data->>'price' AS price FROM ${target.sink.dialect.quoteTable(table)} WHERE pk->>'id' = 'a'`,
    params: [],
  });
  expect(row?.price).toBe("12345678901234567890.123456789");
  // The deletes left tombstones, the TTL delete included.
  const state = await target.state(table);
  expect(state.filter((s) => s.deleted).map((s) => s.id)).toEqual(["b", "c"]);
}

describe("handler: Kinesis Data Streams for DynamoDB", () => {
  it.each([
    ["microsecond precision", (i: number) => ({ micros: BASE_MILLIS * 1000 + i * 7 })],
    ["millisecond precision", (i: number) => ({ millis: BASE_MILLIS + i })],
    [
      "precision field absent (inferred from the digits)",
      (i: number) => ({ micros: BASE_MILLIS * 1000 + i, precision: null }),
    ],
  ] as const)("applies every operation, TTL deletes included (%s)", async (_name, time) => {
    const table = target.table("kinesis");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      const event = lambdaKinesisEvent(
        history().map((spec, i) => kinesisDynamoRecord({ ...spec, ...time(i) })),
      );
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      await expectReplicated(table);
      expect(lambda.lastBatch()).toMatchObject({ records: 7, failed: 0, deadLettered: 0 });
    } finally {
      await lambda.close();
    }
  });

  it("spreads over several invocations, out of order across batches, and converges", async () => {
    const table = target.table("kinesis_split");
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: table.name,
      KEY_SCHEMA: "id:S",
    });
    try {
      const records = history().map((spec, i) =>
        kinesisDynamoRecord({ ...spec, micros: BASE_MILLIS * 1000 + i }),
      );
      // Kinesis for DynamoDB does not guarantee order: the later half arrives first.
      expect(await lambda.handler(lambdaKinesisEvent(records.slice(3)))).toEqual({
        batchItemFailures: [],
      });
      expect(await lambda.handler(lambdaKinesisEvent(records.slice(0, 3)))).toEqual({
        batchItemFailures: [],
      });
      await expectReplicated(table);
    } finally {
      await lambda.close();
    }
  });

  it("a redelivered batch (at-least-once) changes nothing and counts as skipped", async () => {
    const table = target.table("kinesis_again");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      const event = lambdaKinesisEvent(
        history().map((spec, i) => kinesisDynamoRecord({ ...spec, millis: BASE_MILLIS + i })),
      );
      await lambda.handler(event);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect(lambda.lastBatch()).toMatchObject({ records: 7, applied: 0, skipped: 7, failed: 0 });
      await expectReplicated(table);
    } finally {
      await lambda.close();
    }
  });
});

describe("handler: HISTORY=true", () => {
  it("keeps each change of a batch once in <table>__history, however often Lambda delivers it", async () => {
    const table = target.table("kinesis_history");
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: table.name,
      HISTORY: "true",
    });
    try {
      const records = history().map((spec, i) =>
        kinesisDynamoRecord({ ...spec, millis: BASE_MILLIS + i }),
      );
      const event = lambdaKinesisEvent(records);
      for (let i = 0; i < 2; i++)
        expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      await expectReplicated(table);
      const stored = await target.sink.query<{ change_id: string }>({
        sql: `SELECT change_id FROM ${target.sink.dialect.quoteTable(historyTable(table))} ORDER BY change_id`,
        params: [],
      });
      expect(stored.map((r) => r.change_id)).toEqual(records.map((r) => r.eventID).sort());
    } finally {
      await lambda.close();
    }
  });
});

describe("handler: DynamoDB Streams", () => {
  it("applies every operation, TTL deletes included, ordered by SequenceNumber within one second", async () => {
    const table = target.table("streams");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      // Every record in the same epoch second: only the SequenceNumber orders them.
      const event = lambdaStreamsEvent(history().map((spec) => streamsRecord(spec)));
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      await expectReplicated(table);
      expect(lambda.lastBatch()).toMatchObject({
        records: 7,
        failed: 0,
        shard: expect.stringContaining(":table/foo/stream/"),
      });
    } finally {
      await lambda.close();
    }
  });

  it("an empty batch succeeds", async () => {
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: target.table("empty").name });
    try {
      expect(await lambda.handler(lambdaStreamsEvent([]))).toEqual({ batchItemFailures: [] });
      expect(lambda.lastBatch()).toMatchObject({ records: 0, applied: 0, failed: 0 });
    } finally {
      await lambda.close();
    }
  });
});

describe("handler: one container, many invocations", () => {
  it("connects once and reuses the connection for later invocations", async () => {
    const table = target.table("reuse");
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: table.name,
      LOG_LEVEL: "debug",
    });
    try {
      for (let i = 0; i < 3; i++) {
        const event = lambdaKinesisEvent([
          kinesisDynamoRecord({ keys: id(`k${i}`), millis: BASE_MILLIS + i }),
        ]);
        expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      }
      const logs = lambda.logs();
      expect(logs.filter((l) => l.msg === "container ready")).toHaveLength(1);
      expect(logs.filter((l) => l.msg === "batch").map((l) => l.coldStart)).toEqual([
        true,
        false,
        false,
      ]);
      expect([...(await target.live(table)).keys()].sort()).toEqual(["k0", "k1", "k2"]);
    } finally {
      await lambda.close();
    }
  });
});
