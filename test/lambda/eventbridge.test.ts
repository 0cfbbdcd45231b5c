// The Lambda handler fed MongoDB change events as Atlas database triggers send
// them through Amazon EventBridge (MESSAGE_FORMAT=mongodb), against a live
// PostgreSQL: the default plain-JSON form and the Extended JSON form, a
// redelivered (older) event, and a bad event failing the invocation so that
// Lambda retries it rather than dropping it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamEvent } from "../../src/lambda/create-handler.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { testLambda } from "./harness.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

/** The envelope of MongoDB's example event (docs: "Send Trigger Events to AWS EventBridge"). */
function bridged(n: number, detail: Record<string, unknown>): StreamEvent {
  return {
    version: "0",
    id: `d2fc426c-8814-3a84-7e80-3a18ec26${String(n).padStart(4, "0")}`,
    "detail-type": "MongoDB Database Trigger for app-db.posts",
    source: "aws.partner/mongodb.com/stitch.trigger/614b4cb6b23f417e5e559c3f",
    account: "044086777883",
    time: "2021-09-23T16:30:23Z",
    region: "us-east-1",
    resources: [
      "arn:aws:events:us-east-1::event-source/aws.partner/mongodb.com/stitch.trigger/614b4cb6b23f417e5e559c3f",
    ],
    detail: {
      _id: { _data: `82614CAB9F0000000${n}2B022C0100296E5A1004` },
      clusterTime: { T: 1632414623, I: n },
      ns: { db: "app-db", coll: "posts" },
      ...detail,
    },
  } as StreamEvent;
}

const mongoLambda = (table: string) =>
  testLambda({ TARGET_URL: target.url, TARGET_TABLE: table, MESSAGE_FORMAT: "mongodb" });

describe("MongoDB Atlas trigger events through EventBridge", () => {
  it("applies inserts, updates and deletes, plain JSON and Extended JSON; an older event changes nothing", async () => {
    const table = target.table("bridge");
    const lambda = mongoLambda(table.name);
    try {
      const id = "614cab95890e884a9264002a";
      const insert = bridged(1, {
        operationType: "insert",
        fullDocument: { _id: id, title: "title 123", n: 1 },
        documentKey: { _id: id },
      });
      const update = bridged(2, {
        operationType: "update",
        fullDocument: {
          _id: { $oid: id },
          title: "title 456",
          price: { $numberDecimal: "1234567890123456789012345678901234" },
        },
        documentKey: { _id: { $oid: id } },
      });
      const other = bridged(3, {
        operationType: "insert",
        fullDocument: { _id: "b", n: 2 },
        documentKey: { _id: "b" },
      });
      const remove = bridged(4, { operationType: "delete", documentKey: { _id: "b" } });
      for (const e of [insert, update, other, remove]) {
        expect(await lambda.handler(e)).toEqual({ batchItemFailures: [] });
      }
      // Redelivered late: older than the update, it changes nothing.
      await lambda.handler(insert);
      expect(lambda.lastBatch()).toMatchObject({ records: 1, applied: 0, skipped: 1 });
      const rows = await target.sink.query<{ oid: string; title: string; price: string }>({
        sql: `SELECT pk->>'oid' AS oid, data->>'title' AS title, data->>'price' AS price FROM "${table.name}"`,
        params: [],
      });
      expect(rows).toEqual([
        { oid: id, title: "title 456", price: "1234567890123456789012345678901234" },
      ]);
    } finally {
      await lambda.close();
    }
  });

  it("a bad event fails the invocation (Lambda retries it, then its on-failure destination gets it)", async () => {
    const table = target.table("bridge");
    const lambda = mongoLambda(table.name);
    try {
      const bad = bridged(5, { operationType: "insert", documentKey: { _id: 1 } });
      await expect(lambda.handler(bad)).rejects.toThrow(/fullDocument/);
      expect(lambda.logs().some((l) => l.msg === "record failed")).toBe(true);
    } finally {
      await lambda.close();
    }
  });

  it("an EventBridge event without MESSAGE_FORMAT=mongodb fails with the setting to change", async () => {
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: target.table("bridge").name,
    });
    try {
      const e = bridged(6, {
        operationType: "insert",
        fullDocument: { _id: 1 },
        documentKey: { _id: 1 },
      });
      await expect(lambda.handler(e)).rejects.toThrow(/MESSAGE_FORMAT=mongodb/);
    } finally {
      await lambda.close();
    }
  });
});
