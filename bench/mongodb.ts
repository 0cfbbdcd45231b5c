// bench:mongodb — MongoDB as a source, two figures:
//   (1) the codec alone on recorded change events (canonical Extended JSON
//       lines, as the relay and `replay --format mongodb` read them):
//       (a) JSON.parse of each line (the floor every consumer pays);
//       (b) bson's EJSON.parse of each line (what a driver-based consumer pays
//           to get typed values: the usual way to read such a capture);
//       (c) JSON.parse + decodeMongoRecord with the PostgreSQL format (the
//           row a sink writes). Ratios c/a and c/b.
//   (2) change events/s from the local MongoDB server (mongo-java-server)
//       through the relay (change stream, pipeline, checkpoints) into
//       PostgreSQL, for --changes inserts and updates (default 100,000),
//       against its floor: the same change stream read by the driver alone.
//       The collection holds --documents documents (default 2,000), then
//       every further change updates one of them: mongo-java-server's
//       updateLookup costs time in proportion to the collection's size for
//       each event (20,000 events over 14,000 documents: 3.8 s without the
//       lookup, 46.5 s with it), which a real server's _id lookup does not.
// Run: npm run bench:mongodb [-- --changes N --documents N --events N --runs N]. Needs Java
// and Maven for (2) (npm run setup:mongodb); (1) runs anywhere.

import { parseArgs } from "node:util";
import { BSON, type Collection, MongoClient } from "mongodb";
import { decodeMongoRecord, MONGODB_KEY_SCHEMA } from "../src/codec/mongodb-event.ts";
import type { RowFormat } from "../src/codec/row.ts";
import { startMongoServer } from "../src/local/services/mongodb-local.ts";
import { startPostgres } from "../src/local/services/postgres.ts";
import { ApplyPipeline } from "../src/pipeline/apply-pipeline.ts";
import { runRelay } from "../src/relay/relay.ts";
import { PostgresSink } from "../src/sink/postgres.ts";
import { MongoChangeStreamSource, parseMongoSource } from "../src/source/mongodb-change-stream.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const { values } = parseArgs({
  options: {
    changes: { type: "string", default: "100000" },
    events: { type: "string", default: "50000" },
    runs: { type: "string", default: "5" },
    documents: { type: "string", default: "2000" },
  },
});
const CHANGES = Number(values.changes);
const EVENTS = Number(values.events);
const RUNS = Number(values.runs);
const DOCUMENTS = Number(values.documents);
const PG: RowFormat = { numbers: "exact", keyNumbers: "exact" };
const IDLE_MS = 5000;

/** A recorded event in the driver's shape, canonical Extended JSON, with a mix of BSON types. */
function recordedEvent(i: number): string {
  const id = i.toString(16).padStart(24, "0");
  const update = i % 3 === 0;
  return BSON.EJSON.stringify(
    {
      _id: {
        _data: `82${(1721140162 + (i >> 10)).toString(16).toUpperCase()}${i.toString(16).padStart(8, "0").toUpperCase()}2B022C0100296E5A1004`,
      },
      operationType: update ? "update" : "insert",
      clusterTime: new BSON.Timestamp({ t: 1721140162 + (i >> 10), i: i & 1023 }),
      wallTime: new Date(1721140162000 + i),
      ns: { db: "shop", coll: "orders" },
      documentKey: { _id: new BSON.ObjectId(id) },
      fullDocument: {
        _id: new BSON.ObjectId(id),
        customer: { id: `c-${i % 997}`, name: "Räuber Hotzenplotz", vip: i % 7 === 0 },
        total: new BSON.Decimal128(`${i}.${String(i % 100).padStart(2, "0")}`),
        items: new BSON.Int32(i % 13),
        weight: new BSON.Double(i / 7),
        placed: new Date(1721140162000 + i * 1000),
        tags: ["new", i % 2 ? "express" : "standard"],
        lines: [
          {
            sku: `s${i % 50}`,
            qty: new BSON.Int32(1 + (i % 3)),
            price: new BSON.Decimal128("19.99"),
          },
        ],
        counter: BSON.Long.fromNumber(i * 1_000_003),
      },
    },
    { relaxed: false },
  );
}

function best(run: () => number): { seconds: number; check: number } {
  let seconds = Number.POSITIVE_INFINITY;
  let check = 0;
  for (let r = 0; r < RUNS; r++) {
    const started = performance.now();
    check = run();
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return { seconds, check };
}

function codecFigures(): void {
  const lines = Array.from({ length: EVENTS }, (_, i) => recordedEvent(i));
  const parse = best(() => {
    let n = 0;
    for (const line of lines)
      n += (JSON.parse(line) as { operationType: string }).operationType.length;
    return n;
  });
  const ejson = best(() => {
    let n = 0;
    for (const line of lines)
      n += (BSON.EJSON.parse(line, { relaxed: false }) as { operationType: string }).operationType
        .length;
    return n;
  });
  const codec = best(() => {
    let n = 0;
    for (let i = 0; i < lines.length; i++) {
      const row = decodeMongoRecord(
        { payload: JSON.parse(lines[i] as string), ref: `line ${i}` },
        PG,
      );
      n += row?.data?.length ?? 0;
    }
    return n;
  });
  const rate = (s: number) => Math.round(EVENTS / s).toLocaleString("en-US");
  console.log(`codec, ${EVENTS.toLocaleString("en-US")} recorded events, best of ${RUNS}:`);
  console.log(`  (a) JSON.parse                     ${rate(parse.seconds).padStart(12)} events/s`);
  console.log(`  (b) EJSON.parse (bson)             ${rate(ejson.seconds).padStart(12)} events/s`);
  console.log(`  (c) JSON.parse + MongoDB codec     ${rate(codec.seconds).padStart(12)} events/s`);
  console.log(
    `  c/a ${(parse.seconds / codec.seconds).toFixed(2)}   c/b ${(ejson.seconds / codec.seconds).toFixed(2)}`,
  );
}

/**
 * The floor: the change stream read by the driver alone, with the relay's
 * options (updateLookup, every BSON type kept, batches of 1000), until every
 * change has arrived. What the server and the driver cost, before any decoding.
 */
async function bareRead(
  coll: Collection<{ _id: number; v: number; p?: unknown }>,
  from: Date,
): Promise<{ events: number; seconds: number }> {
  const stream = coll.watch([], {
    fullDocument: "updateLookup",
    promoteValues: false,
    promoteLongs: false,
    bsonRegExp: true,
    maxAwaitTimeMS: 500,
    batchSize: 1000,
    startAtOperationTime: new BSON.Timestamp({ t: Math.floor(from.getTime() / 1000), i: 0 }),
  });
  const started = performance.now();
  let events = 0;
  let idleSince = performance.now();
  try {
    while (events < CHANGES && performance.now() - idleSince < IDLE_MS) {
      if ((await stream.tryNext()) === null) continue;
      events++;
      idleSince = performance.now();
    }
  } finally {
    await stream.close();
  }
  return { events, seconds: (performance.now() - started) / 1000 };
}

async function relayFigures(): Promise<void> {
  let server: Awaited<ReturnType<typeof startMongoServer>>;
  try {
    server = await startMongoServer();
  } catch (error) {
    console.log(`relay: skipped, no local MongoDB server (${(error as Error).message})`);
    return;
  }
  const pg = await startPostgres();
  const client = new MongoClient(server.url);
  const sink = new PostgresSink({ url: pg.url });
  try {
    await client.connect();
    const coll = client.db("bench").collection<{ _id: number; v: number; p?: unknown }>("orders");
    const from = new Date(Date.now() - 2000);
    const inserts = Math.min(DOCUMENTS, CHANGES);
    for (let i = 0; i < inserts; i += 1000) {
      await coll.insertMany(
        Array.from({ length: Math.min(1000, inserts - i) }, (_, k) => ({
          _id: i + k,
          v: i + k,
          p: new BSON.Decimal128(`${i + k}.25`),
        })),
      );
    }
    // Each update changes its document (v becomes negative), so each is one change event.
    for (let i = 0; i < CHANGES - inserts; i += 1000) {
      await coll.bulkWrite(
        Array.from({ length: Math.min(1000, CHANGES - inserts - i) }, (_, k) => ({
          updateOne: { filter: { _id: (i + k) % inserts }, update: { $set: { v: -(i + k + 1) } } },
        })),
      );
    }
    const floor = await bareRead(coll, from);
    const source = parseMongoSource(server.url.replace("/?", "/bench.orders?"));
    const stream = new MongoChangeStreamSource(client, source, "orders", { batchSize: 1000 });
    const started = performance.now();
    const stats = await runRelay({
      source: stream,
      pipeline: new ApplyPipeline(sink, {
        table: { schema: undefined, name: "orders" },
        keySchema: MONGODB_KEY_SCHEMA,
        decoder: decodeMongoRecord,
      }),
      from: { type: "at-timestamp", timestamp: from },
      batchSize: 1000,
      // mongo-java-server scans its whole oplog per read, so a read may come back empty
      // before the stream's end: the idle wait is long enough not to stop early.
      idleExitMs: IDLE_MS,
    });
    await stream.close();
    const seconds = (performance.now() - started - IDLE_MS) / 1000;
    console.log(
      `relay, mongo-java-server -> PostgreSQL, ${stats.records.toLocaleString("en-US")} change events ` +
        `(${inserts} inserts, ${CHANGES - inserts} updates): ${Math.round(stats.records / seconds).toLocaleString("en-US")} events/s ` +
        `(${seconds.toFixed(1)} s without the idle wait; ${stats.applied} applied, ${stats.skipped} skipped)`,
    );
    console.log(
      `floor, the same change stream read by the driver alone: ${Math.round(floor.events / floor.seconds).toLocaleString("en-US")} events/s ` +
        `(${floor.events.toLocaleString("en-US")} events in ${floor.seconds.toFixed(1)} s)`,
    );
    console.log(
      `relay / floor = ${(floor.seconds / seconds).toFixed(2)}` +
        (stats.records === CHANGES ? "" : `   (${CHANGES - stats.records} change events missing!)`),
    );
  } finally {
    await client.close().catch(() => {});
    await sink.close();
    await server.stop();
    await pg.stop();
  }
}

codecFigures();
await relayFigures();
