// A refused newest change does not lose the older changes of its key (G4,
// G8): after a refused winner, the newest change of the key that the database
// takes is applied, whatever the batch size; and the counts of a batch tell
// superseded, stale and duplicate changes apart (item counts).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const T0 = 1_720_000_000_000_000;

function change(
  name: "INSERT" | "MODIFY" | "REMOVE",
  id: string,
  tick: number,
  value?: string,
): Record<string, unknown> {
  const dynamodb: Record<string, unknown> = {
    ApproximateCreationDateTime: T0 + tick,
    ApproximateCreationDateTimePrecision: "MICROSECOND",
    Keys: { id: { S: id } },
  };
  if (name !== "REMOVE") dynamodb.NewImage = { id: { S: id }, v: { S: value ?? "" } };
  return {
    eventID: `${name}-${id}-${tick}`,
    eventName: name,
    eventSource: "aws:dynamodb",
    dynamodb,
  };
}

// The state table refuses a row whose `v` is POISON (a CHECK constraint): a
// change the codec takes and the database refuses for its content.
const POISON = "poison";

async function applyInBatches(pipeline: ApplyPipeline, records: unknown[], size: number) {
  const results = [];
  for (let i = 0; i < records.length; i += size) {
    results.push(await pipeline.apply(records.slice(i, i + size).flatMap((r) => sourceRecords(r))));
  }
  return results;
}

describe("refused winners", () => {
  it("a REMOVE before a refused INSERT is applied, in one batch as with batches of 1", async () => {
    const history = [change("REMOVE", "a", 2002), change("INSERT", "a", 2003, POISON)];
    for (const size of [2, 1]) {
      const table = await target.refusing(`refused${size}`, "v", POISON);
      const pipeline = new ApplyPipeline(target.sink, { table });
      await pipeline.apply(sourceRecords(change("INSERT", "a", 2001, "first")));
      const results = await applyInBatches(pipeline, history, size);
      const failed = results.flatMap((r) => r.failed);
      expect(failed.map((f) => [f.ref, f.permanent])).toEqual([["INSERT-a-2003", true]]);
      expect(await target.live(table)).toEqual(new Map());
      expect(await target.state(table)).toMatchObject([{ id: "a", deleted: true }]);
    }
  });

  it("falls back through several refused changes to the newest one the database takes", async () => {
    const table = await target.refusing("fallback", "v", POISON);
    const pipeline = new ApplyPipeline(target.sink, { table });
    const result = await pipeline.apply(
      [
        change("INSERT", "a", 1, "one"),
        change("MODIFY", "a", 2, "two"),
        change("MODIFY", "a", 3, POISON),
        change("MODIFY", "a", 4, POISON),
        change("INSERT", "b", 1, "b"),
      ].flatMap((r) => sourceRecords(r)),
    );
    expect(result.failed.map((f) => [f.index, f.permanent])).toEqual([
      [2, true],
      [3, true],
    ]);
    expect(result).toMatchObject({ applied: 2, superseded: 1 });
    expect(await target.live(table)).toEqual(
      new Map([
        ["a", { v: "two" }],
        ["b", { v: "b" }],
      ]),
    );
  });
});

describe("counts", () => {
  it("superseded in the batch, stale in the database and duplicates are counted apart", async () => {
    const table = target.table("counts");
    const pipeline = new ApplyPipeline(target.sink, { table });
    const first = await pipeline.apply(
      [
        change("INSERT", "a", 1, "old"),
        change("MODIFY", "a", 2, "new"),
        change("INSERT", "b", 1, "b"),
        change("INSERT", "b", 1, "b"),
        change("INSERT", "c", 5, "c"),
      ].flatMap((r) => sourceRecords(r)),
    );
    expect(first).toMatchObject({ applied: 3, superseded: 1, duplicates: 1, stale: 0 });
    const second = await pipeline.apply(
      [change("INSERT", "b", 1, "b"), change("INSERT", "c", 4, "older")].flatMap((r) =>
        sourceRecords(r),
      ),
    );
    expect(second).toMatchObject({
      applied: 0,
      superseded: 0,
      duplicates: 1,
      stale: 1,
      skipped: 2,
    });
  });
});
