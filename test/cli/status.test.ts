// `dynacrate status` as a user runs it, against PostgreSQL and, where
// CRATEDB_URL is set, a live CrateDB: a target with rows and a tombstone, a
// shard's checkpoint, a lease a relay holds and a dead-letter table are each
// reported (text and --json); an unreachable database exits 2, naming it
// without its password.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { createDeadLetterTable, insertDeadLetters } from "../../src/dead-letter/table.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { CheckpointStore } from "../../src/relay/checkpoint-store.ts";
import { Lease } from "../../src/relay/lease.ts";
import type { Status } from "../../src/relay/relay-status.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { formatTableName, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { dynacrate } from "./cli-run.ts";

const crateUrl = process.env.CRATEDB_URL;
const CRATE_SKIP =
  "CRATEDB_URL is not set, so no live CrateDB is available (CI has none); set it to run the CrateDB case";
if (!crateUrl) console.log(`status.test.ts, CrateDB case skipped: ${CRATE_SKIP}`);

let pg: PgTarget;
beforeAll(async () => {
  pg = await pgTarget();
});
afterAll(async () => {
  await pg?.close();
});

const MICROS = 1_720_000_000_000_000;
const run = Date.now().toString(36);

const CASES = [
  { name: "PostgreSQL", url: () => pg.url, skip: undefined },
  { name: "CrateDB", url: () => crateUrl as string, skip: crateUrl ? undefined : CRATE_SKIP },
];

describe.each(CASES)("dynacrate status on $name", ({ name, url, skip }) => {
  let sink: Sink;
  const table: TableName = { schema: undefined, name: `status_${name.toLowerCase()}_${run}` };
  const letters: TableName = { schema: undefined, name: `status_dl_${name.toLowerCase()}_${run}` };
  beforeAll(async () => {
    if (!skip) sink = await openSink(url());
  });
  afterAll(async () => {
    if (!sink) return;
    if (name === "CrateDB") {
      await dropTables(sink, [table]);
      await sink.query({
        sql: `DROP TABLE IF EXISTS ${sink.dialect.quoteTable(letters)}`,
        params: [],
      });
    }
    await sink.close();
  });

  it.skipIf(skip !== undefined)(
    `reports rows, tombstones, the newest change, checkpoints, the lease and dead letters${skip ? ` (skipped: ${skip})` : ""}`,
    async () => {
      const change = (id: string, micros: number, remove = false) =>
        kinesisDynamoRecord({
          keys: { id: { S: id } },
          ...(remove ? { eventName: "REMOVE" } : { newImage: { id: { S: id } } }),
          micros,
        });
      const pipeline = new ApplyPipeline(sink, { table });
      const result = await pipeline.apply(
        sourceRecords(
          lambdaKinesisEvent([
            change("a", MICROS + 1),
            change("b", MICROS + 2),
            change("c", MICROS + 3),
          ]),
        ),
      );
      expect(result.failed).toEqual([]);
      await pipeline.apply(sourceRecords(lambdaKinesisEvent([change("c", MICROS + 9, true)])));
      const stream = `status-stream-${run}`;
      const lease = new Lease(sink, stream, formatTableName(table), "relay-one", 30_000);
      expect(await lease.acquire()).toBe(true);
      await new CheckpointStore(sink, stream, table, [], lease).save("shardId-000000000000", {
        position: "49590",
        finished: false,
      });
      for (const statement of createDeadLetterTable(sink.dialect, letters))
        await sink.query(statement);
      await sink.query(
        insertDeadLetters(sink.dialect, letters, [
          {
            index: 0,
            reason: "bad",
            field: "x",
            ref: "r1",
            position: "1",
            eventSourceARN: undefined,
            record: {},
          },
        ]),
      );

      const json = await dynacrate([
        "status",
        "--target",
        url(),
        "--json",
        "--dead-letter-table",
        letters.name,
      ]);
      expect(json.code, json.stderr).toBe(0);
      const status = JSON.parse(json.stdout) as Status;
      const target = status.targets.find((t) => t.table === table.name);
      expect(target).toMatchObject({
        rows: 2,
        tombstones: 1,
        lastChangeAt: new Date((MICROS + 9) / 1000).toISOString(),
      });
      expect(target?.streams).toEqual([
        {
          stream,
          shards: [
            {
              shard: "shardId-000000000000",
              position: "49590",
              finished: false,
              checkpointAt: expect.any(String),
              ageSeconds: expect.any(Number),
            },
          ],
          lease: {
            holder: "relay-one",
            epoch: 1,
            held: true,
            expiresInSeconds: expect.any(Number),
          },
        },
      ]);
      expect(status.deadLetters).toMatchObject({ table: letters.name, count: 1 });

      const text = await dynacrate(["status", "--target", url(), "--table", table.name]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`table ${table.name}`);
      expect(text.stdout).toMatch(/rows\s+2\n\s+tombstones\s+1/);
      expect(text.stdout).toMatch(/lease\s+held by relay-one \(epoch 1/);
      expect(text.stdout).toMatch(/shardId-000000000000 {2}at 49590, checkpoint \d+ s ago/);

      await lease.release();
      const released = JSON.parse(
        (await dynacrate(["status", "--target", url(), "--json"])).stdout,
      ) as Status;
      expect(released.targets.find((t) => t.table === table.name)?.streams[0]?.lease?.held).toBe(
        false,
      );
    },
  );
});

describe("dynacrate status without a database", () => {
  it("exits 2, naming the database without its password", async () => {
    const result = await dynacrate([
      "status",
      "--target",
      "postgresql://relay:s3cret-pw@127.0.0.1:1/app",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /can not use the sink postgresql:\/\/relay:\*\*\*@127\.0\.0\.1:1\/app/,
    );
    expect(result.stderr).not.toContain("s3cret-pw");
  });
});
