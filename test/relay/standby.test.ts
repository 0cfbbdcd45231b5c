// Relays that share a stream and a target table through the lease in the
// target database (src/relay/lease.ts, standby.ts), in PostgreSQL and, where
// CRATEDB_URL is set, in a live CrateDB: the lease is taken by one of two
// relays asking at once; once it expired another takes it under a higher
// epoch, and the one that lost it can neither renew it nor write a checkpoint
// (fencing); two relays started at once on a stream: one reads and writes
// every checkpoint, the other stands by, and the table holds every item.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { CheckpointStore } from "../../src/relay/checkpoint-store.ts";
import { Lease, LeaseLostError } from "../../src/relay/lease.ts";
import { runRelayWithLease } from "../../src/relay/standby.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import { CHECKPOINT_TABLE } from "../../src/sql/checkpoints.ts";
import { formatTableName, stateTable, type TableName } from "../../src/sql/table-name.ts";
import { waitFor } from "../e2e/relay-process.ts";
import { dropTables } from "../support/drop-tables.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { putItems } from "../support/put-items.ts";

const crateUrl = process.env.CRATEDB_URL;
const CRATE_SKIP =
  "CRATEDB_URL is not set, so no live CrateDB is available (CI has none); set it to run the CrateDB cases";
if (!crateUrl) console.log(`standby.test.ts, CrateDB cases skipped: ${CRATE_SKIP}`);

let pg: PgTarget;
let kinesis: LocalKinesis;
let client: ReturnType<typeof localKinesisClient>;
beforeAll(async () => {
  [pg, kinesis] = await Promise.all([pgTarget(), startKinesisLocal()]);
  client = localKinesisClient(kinesis.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([pg?.close(), kinesis?.stop()]);
});

const run = Date.now().toString(36);

/** Counts the checkpoints a sink wrote: fenced inserts into the checkpoint table that returned their row. */
function counting(sink: Sink): { sink: Sink; checkpoints: () => number } {
  let written = 0;
  const checkpoint = `INSERT INTO ${sink.dialect.quoteTable(CHECKPOINT_TABLE)}`;
  return {
    sink: {
      get dialect() {
        return sink.dialect;
      },
      ensureTable: (table, keys) => sink.ensureTable(table, keys),
      write: (table, rows, keys) => sink.write(table, rows, keys),
      appendHistory: (table, rows) => sink.appendHistory(table, rows),
      async query(statement) {
        const rows = await sink.query(statement);
        if (statement.sql.startsWith(checkpoint) && rows.length > 0) written++;
        return rows as never;
      },
      close: () => sink.close(),
    },
    checkpoints: () => written,
  };
}

const CASES = [
  { name: "PostgreSQL", url: () => pg.url, skip: undefined },
  { name: "CrateDB", url: () => crateUrl as string, skip: crateUrl ? undefined : CRATE_SKIP },
];

describe.each(CASES)("the relay lease in $name", ({ name, url, skip }) => {
  let sink: Sink;
  const tables: TableName[] = [];
  beforeAll(async () => {
    if (!skip) sink = await openSink(url());
  });
  afterAll(async () => {
    if (!sink) return;
    if (name === "CrateDB") await dropTables(sink, tables);
    await sink.close();
  });
  const note = skip ? ` (skipped: ${skip})` : "";

  it.skipIf(skip !== undefined)(
    `one of two relays asking at once takes it; once expired, another takes it and the first can neither renew nor checkpoint${note}`,
    async () => {
      const stream = `lease-${name}-${run}`;
      const target = `lease_${name.toLowerCase()}_${run}`;
      const ttlMs = 1000;
      const a = new Lease(sink, stream, target, "relay-a", ttlMs);
      const b = new Lease(sink, stream, target, "relay-b", ttlMs);
      const [fromA, fromB] = await Promise.all([a.acquire(), b.acquire()]);
      expect([fromA, fromB].filter((x) => x === true)).toHaveLength(1);
      const [holder, waiting] = fromA === true ? [a, b] : [b, a];
      const other = fromA === true ? fromB : fromA;
      expect(other).toMatchObject({ holder: holder.holder });
      // Renewed, it stays; the other still waits.
      await holder.renew();
      expect(await waiting.acquire()).toMatchObject({ holder: holder.holder });
      const store = new CheckpointStore(
        sink,
        stream,
        { schema: undefined, name: target },
        [],
        holder,
      );
      await store.save("shard-1", { position: "10", finished: false });
      // The holder stops renewing (a pause): once it expired the other takes it.
      await waitFor("the lease to expire", async () => (await waiting.acquire()) === true, 10_000);
      await expect(holder.renew()).rejects.toBeInstanceOf(LeaseLostError);
      const stale = new CheckpointStore(
        sink,
        stream,
        { schema: undefined, name: target },
        [],
        holder,
      );
      await expect(stale.save("shard-1", { position: "20", finished: false })).rejects.toThrow(
        LeaseLostError,
      );
      // The new holder's checkpoints are written; the old one's position never was.
      const fresh = new CheckpointStore(
        sink,
        stream,
        { schema: undefined, name: target },
        [],
        waiting,
      );
      await fresh.save("shard-1", { position: "15", finished: false });
      const refresh = sink.dialect.refresh(CHECKPOINT_TABLE);
      if (refresh) await sink.query(refresh);
      const rows = await sink.query<{ position: string }>({
        sql: `SELECT ${sink.dialect.quoteIdentifier("position")} FROM ${sink.dialect.quoteTable(CHECKPOINT_TABLE)} WHERE ${sink.dialect.quoteIdentifier("stream")} = ${sink.dialect.placeholder(1)}`,
        params: [stream],
      });
      expect(rows.map((r) => r.position)).toEqual(["15"]);
      // Given up, it is free at once.
      await waiting.release();
      expect(await holder.acquire()).toBe(true);
      await holder.release();
    },
  );

  it.skipIf(skip !== undefined)(
    `two relays started at once: one writes every checkpoint, the other stands by; the table holds every item${note}`,
    async () => {
      const stream = `both-${name}-${run}`;
      const table: TableName = { schema: undefined, name: `both_${name.toLowerCase()}_${run}` };
      tables.push(table);
      await createKinesisStream(client, stream, 2);
      const ITEMS = 60;
      await putItems(client, stream, ITEMS);
      const stop = new AbortController();
      const relays = ["one", "two"].map((holder) => {
        const counted = counting(sink);
        let standingBy = 0;
        let records = 0;
        const done = runRelayWithLease({
          source: new KinesisSource(client, stream),
          pipeline: new ApplyPipeline(counted.sink, { table }),
          from: { type: "trim-horizon" },
          pollMs: 50,
          signal: stop.signal,
          onBatch: (event) => {
            records += event.result.records;
          },
          lease: new Lease(counted.sink, stream, formatTableName(table), holder, 2000),
          onStandby: () => standingBy++,
        });
        return {
          done,
          checkpoints: counted.checkpoints,
          standingBy: () => standingBy,
          records: () => records,
        };
      });
      try {
        await waitFor(
          "every record applied",
          () => relays.reduce((n, r) => n + r.records(), 0) >= ITEMS,
        );
        // Past a renewal or two: the standing-by relay keeps looking and keeps waiting.
        const looks = relays.map((r) => r.standingBy());
        await waitFor("the standing-by relay to look again", () =>
          relays.some((r, i) => r.standingBy() > (looks[i] as number) + 1),
        );
      } finally {
        stop.abort();
      }
      await Promise.all(relays.map((r) => r.done));
      const writers = relays.filter((r) => r.checkpoints() > 0);
      expect(writers).toHaveLength(1);
      expect(relays.filter((r) => r.records() > 0)).toHaveLength(1);
      expect(relays.filter((r) => r.standingBy() > 0)).toHaveLength(1);
      const refresh = sink.dialect.refresh(stateTable(table));
      if (refresh) await sink.query(refresh);
      expect(await sink.query(sink.dialect.selectLive(table))).toHaveLength(ITEMS);
    },
  );
});
