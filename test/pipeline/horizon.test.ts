// The tombstone horizon (G2, tombstones): once a purge removed a tombstone,
// a late change older than it is refused with a reason (a dead letter), never
// applied over the purged tombstone; by this writer and by any other writer of
// the table. Changes newer than every purged tombstone apply as usual.

import { afterAll, beforeAll, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { HorizonError } from "../../src/pipeline/horizon.ts";
import { PostgresSink } from "../../src/sink/postgres.ts";
import { emit, type Operation } from "../support/history.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const put = (key: string, value: number): Operation => ({ kind: "put", key, value, tag: "" });

it("a late INSERT older than a purged tombstone is refused, not applied (this writer and another)", async () => {
  const table = target.table("horizon");
  const pipeline = new ApplyPipeline(target.sink, {
    table,
    tombstoneRetentionMs: 1000,
    purgeIntervalMs: 0,
  });
  const { records } = emit([put("a", 1), { kind: "delete", key: "a" }, put("b", 2)]);
  const [insertA, deleteA, putB] = records.map((e) => e.record);
  await pipeline.apply([...sourceRecords(deleteA), ...sourceRecords(putB)]);
  expect(await pipeline.purgeTombstones(Date.now() + 5000)).toBe(true);
  expect(await target.state(table)).toMatchObject([{ id: "b" }]);

  const late = await pipeline.apply(sourceRecords(insertA));
  expect(late.applied).toBe(0);
  expect(late.failed).toHaveLength(1);
  expect(late.failed[0]?.permanent).toBe(true);
  expect(late.failed[0]?.error).toBeInstanceOf(HorizonError);
  expect(late.failed[0]?.error.message).toMatch(/could bring a deleted item back/);
  expect(await target.live(table)).toEqual(new Map([["b", { value: 2, tag: "" }]]));

  // Another writer of the table (a replay of dead letters, say) refuses it too.
  const other = new PostgresSink({ url: target.url });
  try {
    const replayed = await new ApplyPipeline(other, { table }).apply(sourceRecords(insertA));
    expect(replayed.failed.map((f) => f.error.name)).toEqual(["HorizonError"]);
  } finally {
    await other.close();
  }

  // A change newer than every purged tombstone applies as usual.
  const { records: newer } = emit([put("a", 7)], 1_800_000_000_000_000);
  const fresh = await pipeline.apply(sourceRecords(newer[0]?.record));
  expect(fresh).toMatchObject({ applied: 1, failed: [] });
});
