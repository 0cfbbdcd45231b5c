// The relay over a MongoDB change stream, against the local MongoDB server
// (mongo-java-server) and PostgreSQL: convergence across batch boundaries and
// under redelivery from an older resume token; the relay killed with SIGKILL
// mid-stream and restarted (nothing lost, nothing doubled); `db.*` routing;
// and bad input: an unreachable server, a missing collection, a resume token
// the server does not have, a document the sink refuses, a dropped collection.
//
// mongo-java-server puts an update's specification in documentKey and looks
// the document up when the event is read, so a `$set` update of a document
// deleted before the relay reads it has no _id at all (real MongoDB gives
// documentKey._id and fullDocument null). The workloads therefore delete only
// documents they never `$set`; replaceOne and $set updates are both exercised.

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BSON, type Collection, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeMongoDocument, mongoVersion } from "../../src/codec/mongodb-event.ts";
import { type LocalMongo, startMongoServer } from "../../src/local/services/mongodb-local.ts";
import { CheckpointStore } from "../../src/relay/checkpoint-store.ts";
import { mongoUnavailable } from "../support/mongodb.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { spawnCommand, spawnRelay, waitFor } from "./relay-process.ts";

const unavailable = mongoUnavailable();

/** Documents with _id of any type (the driver's default types it as ObjectId). */
type Doc = { _id: number | string | BSON.ObjectId } & Record<string, unknown>;

let server: LocalMongo;
let client: MongoClient;
let target: PgTarget;
let scratch: string;
let counter = 0;

describe.skipIf(unavailable !== undefined)("the relay over a MongoDB change stream", () => {
  beforeAll(async () => {
    [server, target] = await Promise.all([startMongoServer(), pgTarget()]);
    client = new MongoClient(server.url);
    await client.connect();
    scratch = await mkdtemp(join(tmpdir(), "dynacrate-mongodb-"));
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
    await target?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const sourceUrl = (db: string, coll: string) => server.url.replace("/?", `/${db}.${coll}?`);

  function relay(db: string, coll: string, table: string, extra: string[] = []) {
    return spawnRelay([
      "--source",
      sourceUrl(db, coll),
      "--target",
      target.url,
      "--table",
      table,
      "--batch-size",
      "25",
      "--dlq",
      join(scratch, `${table}.ndjson`),
      ...extra,
    ]);
  }

  /** The collection as the target should hold it: oid -> data, through the codec's own writer. */
  async function expected(coll: Collection<Doc>): Promise<Map<string, unknown>> {
    const docs = await coll.find({}, { promoteValues: false, promoteLongs: false }).toArray();
    return new Map(
      docs.map((d) => {
        const row = encodeMongoDocument(
          BSON.EJSON.serialize(d, { relaxed: false }),
          mongoVersion(0, 0),
          { numbers: "exact", keyNumbers: "exact" },
          "expected",
        );
        return [JSON.parse(row.pk).oid as string, JSON.parse(row.data as string)];
      }),
    );
  }

  async function live(table: string): Promise<Map<string, unknown>> {
    const rows = await target.sink.query<{ oid: string; data: unknown }>({
      sql: `SELECT pk->>'oid' AS oid, data FROM ${target.sink.dialect.quoteTable({ schema: undefined, name: table })}`,
      params: [],
    });
    return new Map(rows.map((r) => [r.oid, r.data]));
  }

  async function converged(coll: Collection<Doc>, table: string): Promise<boolean> {
    try {
      const [want, have] = await Promise.all([expected(coll), live(table)]);
      expect(have).toEqual(want);
      return true;
    } catch {
      return false;
    }
  }

  /** Inserts, replaces, $set updates and deletes (of documents never $set: see the header). */
  async function workload(coll: Collection<Doc>, n: number, seed: number): Promise<void> {
    let x = seed;
    const next = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x;
    };
    const setOnes = new Set<number>();
    for (let i = 0; i < n; i++) {
      const id = next() % Math.max(10, Math.floor(n / 4));
      const op = next() % 10;
      const exists = (await coll.countDocuments({ _id: id })) > 0;
      if (!exists) {
        await coll.insertOne({
          _id: id,
          n: new BSON.Int32(i),
          price: new BSON.Decimal128(`${i}.${"9".repeat(30)}`),
          big: BSON.Long.fromString("9007199254740993"),
          at: new Date(1_700_000_000_000 + i),
          tags: ["a", String(i)],
        });
      } else if (op < 4) {
        await coll.replaceOne(
          { _id: id },
          {
            n: new BSON.Int32(i),
            nested: { k: [i, { d: new BSON.Double(i + 0.5) }] },
          },
        );
      } else if (op < 7) {
        await coll.updateOne({ _id: id }, { $set: { n: new BSON.Int32(-i) } });
        setOnes.add(id);
      } else if (!setOnes.has(id)) {
        await coll.deleteOne({ _id: id });
      }
    }
  }

  it("killed with SIGKILL mid-stream and restarted: the table equals the collection, nothing lost or doubled", async () => {
    const coll = client.db("shop").collection<Doc>(`orders${++counter}`);
    await coll.insertOne({ _id: "seed" });
    const table = `m_orders_${counter}`;
    const from = new Date(Date.now() - 2000).toISOString();
    const writing = workload(coll, 600, 7);
    const first = relay("shop", coll.collectionName, table, ["--from", from]);
    await waitFor("the first relay's batches", () => first.batches().length >= 3, 60_000);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    await writing;
    const second = relay("shop", coll.collectionName, table, ["--from", from, "--idle-exit", "3"]);
    const done = await second.exited;
    expect(done.code, second.stderr()).toBe(0);
    expect(await converged(coll, table)).toBe(true);
    // Nothing doubled: one state row per document ever written, no dead letters.
    expect(readDeadLetters(table)).toEqual([]);
    const states = await target.sink.query<{ n: string }>({
      sql: `SELECT count(*) AS n FROM "${table}__state" WHERE NOT deleted`,
      params: [],
    });
    expect(Number(states[0]?.n)).toBe((await expected(coll)).size);
  });

  it("redelivery from an older resume token, in batches of any size, changes nothing", async () => {
    const coll = client.db("shop").collection<Doc>(`orders${++counter}`);
    const table = `m_orders_${counter}`;
    const from = new Date(Date.now() - 2000).toISOString();
    await workload(coll, 200, 11);
    const run = relay("shop", coll.collectionName, table, ["--from", from, "--idle-exit", "2"]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(await converged(coll, table)).toBe(true);
    const before = await target.sink.query({
      sql: `SELECT pk, data, version, deleted FROM "${table}__state" ORDER BY pk::text`,
      params: [],
    });
    // Move the checkpoint back to the stream's start and read everything again, 7 at a time.
    await checkpoints(coll, table).save(coll.collectionName, {
      position: undefined,
      finished: false,
    });
    const again = relay("shop", coll.collectionName, table, [
      "--from",
      from,
      "--idle-exit",
      "2",
      "--batch-size",
      "7",
    ]);
    expect((await again.exited).code, again.stderr()).toBe(0);
    expect(again.stoppedRecords()).toBeGreaterThan(0);
    expect(
      await target.sink.query({
        sql: `SELECT pk, data, version, deleted FROM "${table}__state" ORDER BY pk::text`,
        params: [],
      }),
    ).toEqual(before);
  });

  it("dynacrate load, then the relay: writes during the copy are not lost (the hand-off)", async () => {
    const coll = client.db("shop").collection<Doc>(`copied${++counter}`);
    const table = `m_copied_${counter}`;
    await coll.insertMany(
      Array.from({ length: 1500 }, (_, i) => ({
        _id: i,
        v: new BSON.Int32(i),
        p: new BSON.Decimal128(`${i}.5`),
      })),
    );
    const load = spawnCommand("load", [
      "--source",
      sourceUrl("shop", coll.collectionName),
      "--target",
      target.url,
      "--table",
      table,
      "--batch-size",
      "100",
    ]);
    // Writes while the copy runs: updates of copied and not yet copied documents, deletes, inserts.
    let writes = 0;
    let loading = true;
    const exited = load.exited.finally(() => {
      loading = false;
    });
    while (loading || writes < 50) {
      const i = writes++;
      if (i % 3 === 0) await coll.replaceOne({ _id: (i * 37) % 1500 }, { v: new BSON.Int32(-i) });
      else if (i % 3 === 1) await coll.deleteOne({ _id: (i * 53) % 1500 });
      else await coll.insertOne({ _id: 10_000 + i, v: new BSON.Int32(i) });
    }
    const done = await exited;
    expect(done.code, load.stderr()).toBe(0);
    expect(load.stdout()).toMatch(/relay resumes the change stream at cluster time/);
    const relayed = relay("shop", coll.collectionName, table, ["--idle-exit", "3"]);
    expect((await relayed.exited).code, relayed.stderr()).toBe(0);
    expect(await converged(coll, table)).toBe(true);
  });

  it("a 34-digit Decimal128 and every Extended JSON type arrive in PostgreSQL exactly", async () => {
    const coll = client.db("shop").collection<Doc>(`types${++counter}`);
    const table = `m_types_${counter}`;
    const from = new Date(Date.now() - 2000).toISOString();
    await coll.insertOne({
      _id: new BSON.ObjectId("669683c2b0750b2c84893f3e"),
      decimal: new BSON.Decimal128("1234567890123456789012345678901234"),
      tiny: new BSON.Decimal128("0.000001234567890123456789012345678901234"),
      int64: BSON.Long.fromString("-9223372036854775808"),
      int32: new BSON.Int32(-2147483648),
      double: new BSON.Double(42),
      date: new Date("2024-07-16T14:29:22.907Z"),
      binary: new BSON.Binary(Buffer.from("hi")),
      uuid: new BSON.UUID("73ffd264-44b3-4c69-90e8-e7d1dfc035d4"),
      ts: new BSON.Timestamp({ t: 1721140162, i: 7 }),
      nested: { list: [{ a: new BSON.Int32(1) }, []], empty: {} },
    });
    const run = relay("shop", coll.collectionName, table, ["--from", from, "--idle-exit", "2"]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const rows = await target.sink.query<Record<string, string>>({
      sql: `SELECT pk->>'oid' AS oid, data->>'decimal' AS decimal, data->>'tiny' AS tiny, data->>'int64' AS int64,
              data->>'int32' AS int32, data->>'double' AS double, data->>'date' AS date, data->>'binary' AS binary,
              data->>'uuid' AS uuid, data->>'ts' AS ts, data->>'nested' AS nested FROM "${table}"`,
      params: [],
    });
    expect(rows).toEqual([
      {
        oid: "669683c2b0750b2c84893f3e",
        decimal: "1234567890123456789012345678901234",
        tiny: "0.000001234567890123456789012345678901234",
        int64: "-9223372036854775808",
        int32: "-2147483648",
        double: "42",
        date: "1721140162907",
        binary: "aGk=",
        uuid: "73ffd264-44b3-4c69-90e8-e7d1dfc035d4",
        ts: '{"i": 7, "t": 1721140162}',
        nested: '{"list": [{"a": 1}, []], "empty": {}}',
      },
    ]);
  });

  it("db.* relays each collection into a table of its own name", async () => {
    const db = client.db(`multi${++counter}`);
    const schema = `mongo_${counter}`;
    const from = new Date(Date.now() - 2000).toISOString();
    await db.collection<Doc>("a").insertMany([{ _id: 1 }, { _id: 2 }]);
    await db.collection<Doc>("b").insertOne({ _id: "x", v: new BSON.Int32(1) });
    const run = relay(db.databaseName, "*", `${schema}.*`, ["--from", from, "--idle-exit", "2"]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    const rows = await target.sink.query<{ t: string; oid: string }>({
      sql: `SELECT 'a' AS t, pk->>'oid' AS oid FROM "${schema}"."a" UNION ALL SELECT 'b', pk->>'oid' FROM "${schema}"."b" ORDER BY 1, 2`,
      params: [],
    });
    expect(rows).toEqual([
      { t: "a", oid: "1" },
      { t: "a", oid: "2" },
      { t: "b", oid: "x" },
    ]);
  });

  it("a document the database refuses is dead-lettered with its reason; the others are applied", async () => {
    const coll = client.db("shop").collection<Doc>(`bad${++counter}`);
    const table = `m_bad_${counter}`;
    const from = new Date(Date.now() - 2000).toISOString();
    // PostgreSQL's jsonb refuses the NUL character in text.
    await coll.insertMany([{ _id: 1 }, { _id: 2, s: "a\u0000b" }, { _id: 3 }]);
    const run = relay("shop", coll.collectionName, table, ["--from", from, "--idle-exit", "2"]);
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect([...(await live(table)).keys()].sort()).toEqual(["1", "3"]);
    const dead = readDeadLetters(table);
    expect(dead).toHaveLength(1);
    expect(JSON.stringify(dead[0])).toMatch(/\\\\u0000|NUL|unicode|0x00/i);
  });

  it("a dropped collection stops the relay with a message saying so", async () => {
    const coll = client.db("shop").collection<Doc>(`dropped${++counter}`);
    const table = `m_dropped_${counter}`;
    const from = new Date(Date.now() - 2000).toISOString();
    await coll.insertOne({ _id: 1 });
    const run = relay("shop", coll.collectionName, table, ["--from", from]);
    await waitFor("the relay's first batch", () => run.batches().length >= 1, 60_000);
    await coll.drop();
    const done = await run.exited;
    expect(done.code).toBe(2);
    expect(run.stderr()).toMatch(/a drop event/);
  });

  it("an unreachable server, a missing collection, a resume token the server lacks: each a clear error", async () => {
    const unreachable = spawnRelay([
      "--source",
      "mongodb://127.0.0.1:1/shop.orders?serverSelectionTimeoutMS=500",
      "--target",
      target.url,
      "--table",
      "never",
    ]);
    expect((await unreachable.exited).code).toBe(2);
    expect(unreachable.stderr()).toMatch(
      /can not reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\/shop\.orders/,
    );

    const missing = relay("shop", "no_such_collection", "never2");
    expect((await missing.exited).code).toBe(2);
    expect(missing.stderr()).toMatch(/collection shop\.no_such_collection does not exist/);

    const coll = client.db("shop").collection<Doc>(`lost${++counter}`);
    const table = `m_lost_${counter}`;
    await coll.insertOne({ _id: 1 });
    // The target holds rows, as after an earlier run (else the relay reports the checkpoint without them).
    await target.sink.query({
      sql: `CREATE TABLE "${table}__state" AS SELECT 1 AS one`,
      params: [],
    });
    await checkpoints(coll, table).save(coll.collectionName, {
      position: "not-a-token",
      finished: false,
    });
    const lost = relay("shop", coll.collectionName, table);
    expect((await lost.exited).code).toBe(2);
    expect(lost.stderr()).toMatch(/can not resume at not-a-token.*Re-run the initial copy/s);
  });

  /** The relay's checkpoints of a collection's stream into a table, as the relay keeps them. */
  function checkpoints(coll: Collection<Doc>, table: string): CheckpointStore {
    return new CheckpointStore(
      target.sink,
      sourceUrl(coll.dbName, coll.collectionName).replace(/\?.*$/, ""),
      { schema: undefined, name: table },
    );
  }

  function readDeadLetters(table: string): unknown[] {
    try {
      return readFileSync(join(scratch, `${table}.ndjson`), "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  }
});
