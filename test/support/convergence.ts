// The convergence property of the apply pipeline (G1-G4), run on each
// database: random histories with ties in their timestamps, precision
// switches and changes the database refuses (its poison value), delivered as
// Lambda Kinesis records (their sequence numbers break ties) with duplicates,
// reordering and random batch boundaries. Invariant: the table equals the
// source history with the refused changes removed, whatever the batching, and
// only refused changes fail.

import fc from "fast-check";
import { expect } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { Sink } from "../../src/sink/sink.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { lambdaKinesisEvent } from "./fixtures.ts";
import { deliver, deliveryArb, emit, timedOperationArb } from "./history.ts";

export interface ConvergenceTarget {
  sink: Sink;
  /** A string the database refuses to store in a row. */
  poison: string;
  /** A fresh table for one run (the database may create it now). */
  table(): TableName | Promise<TableName>;
  /** The table's visible rows, keyed by the `id` key attribute. */
  live(table: TableName): Promise<Map<string, unknown>>;
}

export interface ConvergenceRuns {
  seed: number;
  numRuns: number;
  maxLength: number;
}

export async function assertConverges(target: ConvergenceTarget, runs: ConvergenceRuns) {
  await fc.assert(
    fc.asyncProperty(
      fc.array(timedOperationArb, { minLength: 1, maxLength: runs.maxLength }).chain((history) => {
        const { records } = emit(history);
        return fc.tuple(fc.constant(history), deliveryArb(records.length));
      }),
      async ([history, plan]) => {
        const { records, final, refused } = emit(history, undefined, target.poison);
        if (records.length === 0) return;
        // One shard's records in source order: increasing sequence numbers.
        const wrapped = lambdaKinesisEvent(records.map((e) => e.record)).Records.map(
          (record, i) => ({ record, seq: records[i]?.seq as number }),
        );
        const table = await target.table();
        const pipeline = new ApplyPipeline(target.sink, { table });
        for (const batch of deliver(wrapped, plan)) {
          const result = await pipeline.apply(batch.flatMap((e) => sourceRecords(e.record)));
          const failed = result.failed.map((f) => ({
            seq: batch[f.index]?.seq,
            permanent: f.permanent,
          }));
          // Only a refused change fails, and it fails for good (it is dead-lettered).
          for (const f of failed) expect(f).toEqual({ seq: expect.any(Number), permanent: true });
          expect(failed.filter((f) => !refused.has(f.seq as number))).toEqual([]);
        }
        expect(await target.live(table)).toEqual(
          new Map([...final].map(([key, v]) => [key, { value: v.value, tag: v.tag }])),
        );
      },
    ),
    { seed: runs.seed, numRuns: runs.numRuns },
  );
}
