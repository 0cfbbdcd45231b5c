// Property: whatever the delivery (duplicates, reordering, batch boundaries),
// the PostgreSQL table ends equal to the model's final state (G1-G3).

import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { deliver, deliveryArb, emit, operationArb } from "../support/history.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const seed = Number(process.env.FC_SEED ?? 20261129);
const numRuns = Number(process.env.FC_RUNS ?? 200);

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

it(`converges to the source state under duplicates and reordering (seed ${seed}, ${numRuns} runs)`, async () => {
  console.log(`fast-check seed ${seed}, ${numRuns} runs (set FC_SEED / FC_RUNS to change)`);
  await fc.assert(
    fc.asyncProperty(
      fc.array(operationArb, { minLength: 1, maxLength: 30 }).chain((history) => {
        const { records } = emit(history);
        return fc.tuple(fc.constant(history), deliveryArb(records.length));
      }),
      async ([history, plan]) => {
        const { records, final } = emit(history);
        const table = target.table("prop");
        const pipeline = new ApplyPipeline(target.sink, { table });
        for (const batch of deliver(records, plan)) {
          const result = await pipeline.apply(batch.flatMap((e) => sourceRecords(e.record)));
          expect(result.failed).toEqual([]);
        }
        if (records.length === 0) return;
        const live = await target.live(table);
        expect(live).toEqual(
          new Map([...final].map(([key, v]) => [key, { value: v.value, tag: v.tag }])),
        );
      },
    ),
    { seed, numRuns },
  );
}, 300_000);
