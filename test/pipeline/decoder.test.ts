// The pipeline takes its record decoder as an option: another source (MongoDB)
// plugs in its own, and gets the same coalescing, guard and per-record results.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRow } from "../../src/codec/row.ts";
import type { Change } from "../../src/codec/types.ts";
import { makeVersion } from "../../src/codec/version.ts";
import { RecordError } from "../../src/errors.ts";
import { ApplyPipeline, type RecordDecoder } from "../../src/pipeline/apply-pipeline.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

/** Records of a made-up source: `{id, v, at}` with `at` ordering the changes of one id. */
const decoder: RecordDecoder = (record, format, check) => {
  const { id, v, at } = record.payload as { id: unknown; v: number; at: number };
  if (id === null) return undefined; // changes no row
  if (typeof id !== "string") throw new RecordError(record.ref ?? "?", "id", "must be text");
  const change: Change = {
    operation: "modify",
    source: "full-load",
    tableName: undefined,
    eventId: undefined,
    keys: { id: { S: id } },
    newImage: { id: { S: id }, v: { N: String(v) } },
    oldImage: undefined,
    version: makeVersion(at * 1000),
    timestampMicros: at * 1000,
    position: String(at),
    ttlDelete: false,
    ref: record.ref ?? id,
  };
  check(change);
  return encodeRow(change, format);
};

describe("a pipeline with its own decoder", () => {
  it("coalesces, guards and reports a bad record alone, as with DynamoDB records", async () => {
    const table = target.table();
    const pipeline = new ApplyPipeline(target.sink, { table, decoder });
    const records = [
      { payload: { id: "a", v: 1, at: 1 }, ref: "r1" },
      { payload: { id: "a", v: 2, at: 2 }, ref: "r2" },
      { payload: { id: 7, v: 3, at: 3 }, ref: "r3" },
      { payload: { id: "b", v: 4, at: 4 }, ref: "r4" },
      { payload: { id: null, v: 0, at: 5 }, ref: "r5" },
    ];
    const result = await pipeline.apply(records);
    // r1 is superseded by r2, r5 changes no row: both skipped.
    expect(result).toMatchObject({ records: 5, applied: 2, skipped: 2 });
    expect(result.failed.map((f) => [f.ref, f.permanent])).toEqual([["r3", true]]);
    // The older change of "a", applied late, changes nothing.
    expect(await pipeline.apply([records[0] as (typeof records)[0]])).toMatchObject({
      applied: 0,
      skipped: 1,
    });
    expect(await target.live(table)).toEqual(
      new Map([
        ["a", { v: 2 }],
        ["b", { v: 4 }],
      ]),
    );
  });
});
