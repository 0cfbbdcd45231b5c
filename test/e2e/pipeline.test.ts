// End to end through real components: writes to DynamoDB Local -> its stream
// -> the bridge -> the Kinesis emulator (2 shards) -> the relay (in-process)
// -> PostgreSQL; then a Scan of DynamoDB must equal the PostgreSQL view, value
// for value (numbers digit for digit). Once as delivered, once with the
// duplicates and reordering Kinesis Data Streams for DynamoDB may cause
// (docs/FACTS section 1, docs/SEMANTICS.md G1-G3).

import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { scanItems } from "../../src/local/verification/scan-items.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import {
  type Emulators,
  openPipe,
  type Pipe,
  readKinesisStream,
  startEmulators,
} from "./emulators.ts";
import { relayWhile } from "./relay-run.ts";
import { runWorkload } from "./workload.ts";

let emulators: Emulators;
let target: PgTarget;

beforeAll(async () => {
  [emulators, target] = await Promise.all([startEmulators(), pgTarget()]);
});
afterAll(async () => {
  await target?.close();
  await emulators?.stop();
});

async function expectSameTable(pipe: Pipe, table: TableName) {
  const items = await scanItems(emulators.clients.dynamodb, pipe.tableName);
  const rows = await readLiveRows(target.sink, table);
  const comparison = compareTable(items, rows, { keyNames: pipe.keySchema.map((k) => k.name) });
  expect(comparison.missing).toEqual([]);
  expect(comparison.extra).toEqual([]);
  expect(comparison.different).toEqual([]);
  expect(rows.length).toBe(items.length);
  return items.length;
}

describe("DynamoDB Local -> stream -> bridge -> Kinesis (2 shards) -> relay -> PostgreSQL", () => {
  it("a Scan of DynamoDB equals the PostgreSQL view after 1,000 puts, updates and deletes on 100 items", async () => {
    const keySchema: KeySchema = [{ name: "id", type: "S" }];
    const pipe = await openPipe(emulators, keySchema);
    const table = target.table("e2e");
    try {
      const writing = runWorkload(emulators.clients.dynamodb, pipe.tableName, keySchema, {
        seed: 1,
        changes: 1000,
        keys: 100,
      });
      const run = await relayWhile(emulators.clients.kinesis, pipe, target.sink, table, writing);
      const counts = await writing;
      expect(counts.deletes).toBeGreaterThan(100);
      expect(run.failures).toEqual([]);
      expect(run.stats.shards).toBe(2);
      // Without faults every record is put once: the relay saw exactly the stream's changes.
      expect(run.stats.records).toBe(pipe.bridge.stats.read);
      const items = await expectSameTable(pipe, table);
      expect(items).toBeGreaterThan(30);
    } finally {
      await pipe.bridge.stop();
    }
  });

  it("with the bridge injecting duplicates, swaps and delays, the view still equals DynamoDB (composite key, small batches)", async () => {
    const keySchema: KeySchema = [
      { name: "pk", type: "S" },
      { name: "sk", type: "N" },
    ];
    const pipe = await openPipe(emulators, keySchema, {
      bridge: { faults: { seed: 42, duplicates: 0.15, swaps: 0.3, delays: 0.1 } },
    });
    const table = target.table("e2e_faults");
    try {
      const writing = runWorkload(emulators.clients.dynamodb, pipe.tableName, keySchema, {
        seed: 2,
        changes: 1000,
        keys: 60,
      });
      // Small batches: most duplicates and reordered records fall into another batch than
      // their neighbours, where only the version guard in SQL (not coalescing) can sort them out.
      const run = await relayWhile(emulators.clients.kinesis, pipe, target.sink, table, writing, {
        batchSize: 37,
      });
      const { stats } = pipe.bridge;
      expect(stats.duplicated).toBeGreaterThan(50);
      expect(stats.swapped).toBeGreaterThan(50);
      expect(stats.delayed).toBeGreaterThan(20);
      expect(stats.put).toBe(stats.read + stats.duplicated);
      expect(run.failures).toEqual([]);
      expect(run.stats.records).toBe(stats.put);
      // Older changes arriving late were skipped, not applied.
      expect(run.stats.skipped).toBeGreaterThan(0);
      console.log(`faults: bridge ${JSON.stringify(stats)}; relay ${JSON.stringify(run.stats)}`);
      await expectSameTable(pipe, table);
    } finally {
      await pipe.bridge.stop();
    }
  });
});

describe("the bridge", () => {
  it("puts Kinesis Data Streams for DynamoDB records: microsecond timestamps rising per item, keyed by the item, TTL deletes marked", async () => {
    const keySchema: KeySchema = [{ name: "id", type: "S" }];
    const pipe = await openPipe(emulators, keySchema, { bridge: { ttlAttribute: "expiresAt" } });
    const db = emulators.clients.dynamodb;
    const TableName = pipe.tableName;
    try {
      const past = String(Math.floor(Date.now() / 1000) - 60);
      const future = String(Math.floor(Date.now() / 1000) + 3600);
      await db.send(new PutItemCommand({ TableName, Item: { id: { S: "a" }, n: { N: "1" } } }));
      await db.send(
        new UpdateItemCommand({
          TableName,
          Key: { id: { S: "a" } },
          UpdateExpression: "SET n = :n",
          ExpressionAttributeValues: { ":n": { N: "2" } },
        }),
      );
      await db.send(
        new PutItemCommand({ TableName, Item: { id: { S: "old" }, expiresAt: { N: past } } }),
      );
      await db.send(
        new PutItemCommand({ TableName, Item: { id: { S: "new" }, expiresAt: { N: future } } }),
      );
      for (const id of ["a", "old", "new"])
        await db.send(new DeleteItemCommand({ TableName, Key: { id: { S: id } } }));
      await pipe.bridge.drained();
      expect(pipe.bridge.stats).toMatchObject({ read: 7, put: 7, ttlDeletes: 1 });

      const records = await readKinesisStream(emulators, pipe.streamName);
      expect(records).toHaveLength(7);
      for (const { data } of records) {
        expect(Object.keys(data).sort()).toEqual(
          [
            "awsRegion",
            "dynamodb",
            "eventID",
            "eventName",
            "eventSource",
            "recordFormat",
            "tableName",
            "userIdentity",
          ].sort(),
        );
        expect(data).toMatchObject({
          awsRegion: "us-east-1",
          recordFormat: "application/json",
          tableName: pipe.tableName,
          eventSource: "aws:dynamodb",
          dynamodb: { ApproximateCreationDateTimePrecision: "MICROSECOND" },
        });
        expect(data.eventID).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        // 16 digits: microseconds since the epoch, as Kinesis records of a MICROSECOND stream carry.
        expect(String(data.dynamodb.ApproximateCreationDateTime)).toMatch(/^\d{16}$/);
        expect(data.dynamodb).not.toHaveProperty("SequenceNumber");
        expect(data.dynamodb).not.toHaveProperty("StreamViewType");
      }
      // Every change of an item on one shard, under the item's key, stamped in change order.
      const ofA = records.filter((r) => r.data.dynamodb.Keys.id.S === "a");
      expect(ofA.map((r) => r.data.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
      expect(new Set(ofA.map((r) => `${r.shard} ${r.partitionKey}`)).size).toBe(1);
      const stamps = ofA.map((r) => r.data.dynamodb.ApproximateCreationDateTime as number);
      expect(stamps).toEqual([...stamps].sort((x, y) => x - y));
      expect(new Set(stamps).size).toBe(3);
      expect(ofA[1]?.data.dynamodb).toMatchObject({
        OldImage: { n: { N: "1" } },
        NewImage: { n: { N: "2" } },
      });

      const removes = records.filter((r) => r.data.eventName === "REMOVE");
      const identity = (id: string) =>
        removes.find((r) => r.data.dynamodb.Keys.id.S === id)?.data.userIdentity;
      // FACTS section 1: TTL deletes carry the DynamoDB service as their user identity.
      expect(identity("old")).toEqual({ type: "Service", principalId: "dynamodb.amazonaws.com" });
      expect(identity("new")).toBeNull();
      expect(identity("a")).toBeNull();
    } finally {
      await pipe.bridge.stop();
    }
  });
});
