// The convergence property (G1-G3) on a live CrateDB: the same random
// histories, duplicates and reorderings as on PostgreSQL, through the CrateDB
// HTTP sink and its CASE-guarded upsert. Runs only where CRATEDB_URL is set
// (CI has no CrateDB, FACTS.md section 5).

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { deliver, deliveryArb, emit, operationArb } from "../support/history.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON = "CRATEDB_URL is not set, so no live CrateDB is available (CI has none)";
if (!url) console.log(`cratedb-convergence.test.ts skipped: ${SKIP_REASON}`);

const seed = Number(process.env.FC_SEED ?? 20261129);
// Each run creates a CrateDB table (hundreds of milliseconds), so fewer runs than on PostgreSQL.
const numRuns = Number(process.env.FC_CRATEDB_RUNS ?? 40);

describe.skipIf(!url)(
  `apply pipeline on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let sink: CrateDbHttpSink;
    const tables: TableName[] = [];

    beforeAll(() => {
      sink = createCrateDbHttpSink({
        url: url as string,
        username: process.env.CRATEDB_USERNAME,
        password: process.env.CRATEDB_PASSWORD,
      });
    });
    afterAll(async () => {
      if (sink) await dropTables(sink, tables);
      await sink?.close();
    });

    it(`converges under duplicates and reordering (seed ${seed}, ${numRuns} runs)`, async () => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(operationArb, { minLength: 1, maxLength: 25 }).chain((history) => {
            const { records } = emit(history);
            return fc.tuple(fc.constant(history), deliveryArb(records.length));
          }),
          async ([history, plan]) => {
            const { records, final } = emit(history);
            if (records.length === 0) return;
            const table: TableName = {
              schema: undefined,
              name: `dynacrate_prop_${process.pid}_${Date.now().toString(36)}_${n++}`,
            };
            tables.push(table);
            const pipeline = new ApplyPipeline(sink, { table });
            for (const batch of deliver(records, plan)) {
              const result = await pipeline.apply(batch.flatMap((e) => sourceRecords(e.record)));
              expect(result.failed).toEqual([]);
            }
            // Searches see writes after a refresh; only the test refreshes, never the sink.
            await sink.query({
              sql: `REFRESH TABLE ${sink.dialect.quoteTable(stateTable(table))}`,
              params: [],
            });
            const rows = await sink.query<{
              pk: { id: string };
              data: { value: number; tag: string };
            }>(sink.dialect.selectLive(table));
            const live = new Map(
              rows.map((r) => [r.pk.id, { value: r.data.value, tag: r.data.tag }]),
            );
            expect(live).toEqual(
              new Map([...final].map(([key, v]) => [key, { value: v.value, tag: v.tag }])),
            );
          },
        ),
        { seed, numRuns },
      );
    }, 600_000);
  },
);
