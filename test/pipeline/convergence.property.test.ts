// Property: whatever the delivery (duplicates, reordering, batch boundaries),
// ties in timestamps, precision switches and rows the database refuses, the
// PostgreSQL table ends equal to the source history with the refused changes
// removed (G1-G4). The table refuses a row tagged with the poison value (a
// CHECK constraint).

import { afterAll, beforeAll, it } from "vitest";
import { assertConverges } from "../support/convergence.ts";
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

it(`converges to the source with its refused changes removed, under duplicates, reordering, ties and precision switches (seed ${seed}, ${numRuns} runs)`, async () => {
  console.log(`fast-check seed ${seed}, ${numRuns} runs (set FC_SEED / FC_RUNS to change)`);
  await assertConverges(
    {
      sink: target.sink,
      poison: "poison",
      table: () => target.refusing("prop", "tag", "poison"),
      live: (table) => target.live(table),
    },
    { seed, numRuns, maxLength: 30 },
  );
}, 300_000);
