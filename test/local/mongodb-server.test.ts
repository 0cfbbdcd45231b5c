// What the local MongoDB server (mongo-java-server 1.47 with its oplog) offers
// the Node driver's change streams: the facts the MongoDB source and its tests
// build on, so a new server version that changes them is noticed here.

import { BSON, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalMongo, startMongoServer } from "../../src/local/services/mongodb-local.ts";
import { mongoUnavailable } from "../support/mongodb.ts";

const unavailable = mongoUnavailable();

describe.skipIf(unavailable !== undefined)("mongo-java-server change streams", () => {
  let server: LocalMongo;
  let client: MongoClient;
  beforeAll(async () => {
    server = await startMongoServer();
    client = new MongoClient(server.url);
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it("yields insert, update and delete with cluster times and resume tokens; resumeAfter resumes after an event", async () => {
    const coll = client.db("facts").collection<{ _id: number; v?: number; d?: unknown }>("a");
    const stream = coll.watch([], { fullDocument: "updateLookup", promoteValues: false });
    await stream.tryNext();
    await coll.insertOne({
      _id: 1,
      v: 1,
      d: new BSON.Decimal128("1234567890123456789012345678901234"),
    });
    await coll.updateOne({ _id: 1 }, { $set: { v: 2 } });
    await coll.insertOne({ _id: 2 });
    const events = [];
    for (let i = 0; i < 3; i++)
      events.push(BSON.EJSON.serialize(await stream.next(), { relaxed: false }));
    await stream.close();
    expect(events.map((e) => e.operationType)).toEqual(["insert", "update", "insert"]);
    expect(events[0]?.fullDocument).toMatchObject({
      d: { $numberDecimal: "1234567890123456789012345678901234" },
    });
    expect(events[0]?.clusterTime).toHaveProperty("$timestamp");
    // The update's documentKey holds the update; its looked-up fullDocument holds the _id.
    expect(events[1]?.documentKey).toEqual({ $set: { v: { $numberInt: "2" } } });
    expect(events[1]?.fullDocument).toMatchObject({
      _id: { $numberInt: "1" },
      v: { $numberInt: "2" },
    });

    const resumed = coll.watch([], { resumeAfter: events[1]?._id });
    expect(BSON.EJSON.serialize(await resumed.next())).toMatchObject({ documentKey: { _id: 2 } });
    await resumed.close();
  });

  it("offers no cluster time in command replies (the initial copy takes its start from the server clock)", async () => {
    const reply = await client.db("facts").command({ ping: 1 });
    expect(reply.operationTime).toBeUndefined();
  });
});
