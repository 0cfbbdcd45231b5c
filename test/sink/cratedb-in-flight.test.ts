// Several bulk requests in flight (inFlight) on a live CrateDB: a batch's rows
// have distinct keys and the next batch waits for all of its requests, so each
// key still ends at its newest change. 60 keys, 6 changes each (the last a
// REMOVE for every fifth key), delivered shuffled within windows of 40 and
// twice over, in batches of 25, through requests of at most 3 rows, 4 at once.
// Runs where CRATEDB_URL is set.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`cratedb-in-flight.test.ts skipped: ${SKIP_REASON}`);

/** A small seeded generator, so that a failure can be run again as it was. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe.skipIf(!url)(
  `requests in flight on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let sink: CrateDbHttpSink;
    const tables: TableName[] = [];
    beforeAll(() => {
      sink = createCrateDbHttpSink({ url: url as string, inFlight: 4, maxRowsPerRequest: 3 });
    });
    afterAll(async () => {
      if (sink) await dropTables(sink, tables);
      await sink?.close();
    });

    it("each key ends at its newest change with 4 requests in flight", async () => {
      const next = random(20261201);
      const records = [];
      const expected = new Map<string, number>();
      for (let step = 0; step < 6; step++) {
        for (let k = 0; k < 60; k++) {
          const id = `k${k}`;
          const removed = step === 5 && k % 5 === 0;
          records.push(
            kinesisDynamoRecord({
              eventName: removed ? "REMOVE" : step === 0 ? "INSERT" : "MODIFY",
              micros: 1_720_000_000_000_000 + step * 1000 + k,
              keys: { id: { S: id } },
              ...(removed ? {} : { newImage: { id: { S: id }, step: { N: String(step) } } }),
            }),
          );
          if (removed) expected.delete(id);
          else expected.set(id, step);
        }
      }
      // Shuffled within windows, then all of it again: duplicates and reordering.
      const stream = [...records, ...records];
      for (let i = 0; i < stream.length; i++) {
        const j = Math.min(stream.length - 1, i + Math.floor(next() * 40));
        [stream[i], stream[j]] = [stream[j], stream[i]] as [
          (typeof records)[0],
          (typeof records)[0],
        ];
      }
      const table = {
        schema: undefined,
        name: `dc_inflight_${process.pid}_${Date.now().toString(36)}`,
      };
      tables.push(table);
      const pipeline = new ApplyPipeline(sink, { table, keySchema: [{ name: "id", type: "S" }] });
      for (let i = 0; i < stream.length; i += 25) {
        const result = await pipeline.apply(
          stream.slice(i, i + 25).flatMap((r) => sourceRecords(r)),
        );
        expect(result.failed).toEqual([]);
      }
      await sink.query({
        sql: `REFRESH TABLE ${sink.dialect.quoteTable(stateTable(table))}`,
        params: [],
      });
      const rows = await sink.query<{ pk: { id: string }; data: { step: number } }>(
        sink.dialect.selectLive(table),
      );
      expect(new Map(rows.map((r) => [r.pk.id, r.data.step]))).toEqual(expected);
    });
  },
);
