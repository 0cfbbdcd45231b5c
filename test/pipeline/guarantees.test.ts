// The apply pipeline's guarantees (docs/SEMANTICS.md, G1-G4) on a live PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { RecordError } from "../../src/errors.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { emit, type Operation } from "../support/history.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const put = (key: string, value: number, tag = ""): Operation => ({ kind: "put", key, value, tag });
const del = (key: string): Operation => ({ kind: "delete", key });

function recordsOf(history: Operation[]) {
  const { records, final } = emit(history);
  return { records: records.map((e) => e.record), final };
}

describe("G1: duplicates change nothing", () => {
  it("applying the same batch twice leaves the same table and skips every record the second time", async () => {
    const table = target.table();
    const pipeline = new ApplyPipeline(target.sink, { table });
    const { records, final } = recordsOf([put("a", 1), put("b", 2), put("a", 3), del("b")]);
    const first = await pipeline.apply(records.flatMap((r) => sourceRecords(r)));
    expect(first).toMatchObject({ records: 4, failed: [] });
    const before = await target.state(table);
    const second = await pipeline.apply(records.flatMap((r) => sourceRecords(r)));
    expect(second).toMatchObject({ records: 4, applied: 0, skipped: 4, failed: [] });
    expect(await target.state(table)).toEqual(before);
    expect(await target.live(table)).toEqual(
      new Map([["a", { value: final.get("a")?.value, tag: "" }]]),
    );
  });
});

describe("G2: an older change changes nothing", () => {
  it("a late MODIFY does not overwrite a newer one", async () => {
    const table = target.table();
    const pipeline = new ApplyPipeline(target.sink, { table });
    const { records } = recordsOf([put("a", 1), put("a", 2), put("a", 3)]);
    await pipeline.apply(sourceRecords(records[2]));
    const late = await pipeline.apply([...sourceRecords(records[1]), ...sourceRecords(records[0])]);
    expect(late).toMatchObject({ applied: 0, skipped: 2 });
    expect(await target.live(table)).toEqual(new Map([["a", { value: 3, tag: "" }]]));
  });

  it("a late INSERT does not bring a deleted item back (the tombstone holds it off)", async () => {
    const table = target.table();
    const pipeline = new ApplyPipeline(target.sink, { table });
    const { records } = recordsOf([put("a", 1), del("a")]);
    await pipeline.apply(sourceRecords(records[1]));
    expect(await target.state(table)).toMatchObject([{ id: "a", deleted: true }]);
    await pipeline.apply(sourceRecords(records[0]));
    expect(await target.live(table)).toEqual(new Map());
  });

  it("tombstones older than the retention are purged, at most once per interval", async () => {
    const table = target.table();
    const pipeline = new ApplyPipeline(target.sink, {
      table,
      tombstoneRetentionMs: 0,
      purgeIntervalMs: 60_000,
    });
    const { records } = recordsOf([put("a", 1), del("a"), put("b", 2)]);
    await pipeline.apply(records.flatMap((r) => sourceRecords(r)));
    expect((await target.state(table)).map((r) => r.id)).toEqual(["a", "b"]);
    expect(await pipeline.purgeTombstones(Date.now() + 1000)).toBe(true);
    expect(await target.state(table)).toMatchObject([{ id: "b", deleted: false }]);
    expect(await pipeline.purgeTombstones(Date.now() + 2000)).toBe(false);
  });
});

describe("G3: the table holds exactly the source items at their newest versions", () => {
  it("users see no tombstones, only live items", async () => {
    const table = target.table();
    const pipeline = new ApplyPipeline(target.sink, { table });
    const { records, final } = recordsOf([
      put("a", 1, "x"),
      put("b", 2),
      del("a"),
      put("c", 3),
      put("b", 4, "y"),
    ]);
    await pipeline.apply(records.flatMap((r) => sourceRecords(r)));
    expect(await target.live(table)).toEqual(
      new Map([...final].map(([key, v]) => [key, { value: v.value, tag: v.tag }])),
    );
    expect((await target.state(table)).filter((r) => r.deleted).map((r) => r.id)).toEqual(["a"]);
  });
});

describe("G4: one bad record fails alone", () => {
  it("an undecodable record and a row the database refuses fail; every other record is applied", async () => {
    // The codec takes a change tagged "refused"; the database refuses it.
    const table = await target.refusing("t", "tag", "refused");
    const pipeline = new ApplyPipeline(target.sink, { table });
    const { records } = recordsOf([put("a", 1), put("b", 2), put("c", 3), put("d", 4)]);
    const garbage = structuredClone(records[1]) as {
      dynamodb: { NewImage: Record<string, unknown> };
    };
    garbage.dynamodb.NewImage.value = { N: "12abc" };
    const refused = structuredClone(records[2]) as {
      dynamodb: { NewImage: Record<string, unknown> };
    };
    refused.dynamodb.NewImage.tag = { S: "refused" };
    const result = await pipeline.apply(
      [records[0], garbage, refused, records[3]].flatMap((r) => sourceRecords(r)),
    );
    expect(result.applied).toBe(2);
    expect(result.failed.map((f) => [f.index, f.permanent])).toEqual([
      [1, true],
      [2, true],
    ]);
    const decodeError = result.failed[0]?.error as RecordError;
    expect(decodeError).toBeInstanceOf(RecordError);
    expect(decodeError.field).toBe("dynamodb.NewImage.value.N");
    expect(decodeError.record).toBe("event-1");
    expect(result.failed[1]?.error.message).toMatch(/PostgreSQL: .*check constraint/i);
    expect([...(await target.live(table)).keys()].sort()).toEqual(["a", "d"]);
  });
});
