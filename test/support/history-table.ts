// The change history property (--history), run on each database: random
// histories of a few items delivered as Lambda Kinesis records with
// redeliveries, records the producer wrote to the stream twice (the same
// eventID under a new sequence number, arriving last), reordering and random
// batch boundaries. Invariants: the history table holds each distinct change
// (eventID) exactly once, and its "as of t" query equals the state the source
// had at t, for every millisecond at which something changed and the ones
// just before and after.

import fc from "fast-check";
import { expect } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { historyTable } from "../../src/sql/history.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { lambdaKinesisEvent } from "./fixtures.ts";
import { deliver, deliveryArb, emit, type Operation, operationArb } from "./history.ts";

export interface HistoryTarget {
  sink: Sink;
  /** The table of every run: each run's keys and eventIDs are its own (creating a partitioned table per run costs seconds). */
  table: TableName;
}

/** A record of run `run`: its key and eventID prefixed, so that runs share one table. */
function ofRun(record: Record<string, unknown>, run: number): Record<string, unknown> {
  const copy = structuredClone(record) as Record<string, unknown> & {
    dynamodb: Record<string, { id: { S: string } } | undefined>;
  };
  copy.eventID = `run${run}-${String(record.eventID)}`;
  for (const image of ["Keys", "NewImage", "OldImage"]) {
    const map = copy.dynamodb[image];
    if (map) map.id.S = `run${run}-${map.id.S}`;
  }
  return copy;
}

/** Steps of whole milliseconds, so that CrateDB's TIMESTAMP (milliseconds) loses nothing. */
const timedArb: fc.Arbitrary<Operation> = fc
  .tuple(operationArb, fc.constantFrom(1000, 1000, 2000, 7000))
  .map(([op, step]) => ({ ...op, step }));

type Item = { value: number; tag: string };

/** The state of the source after every change stamped at or before `atMicros`. */
function stateAt(records: Record<string, unknown>[], atMicros: number): Map<string, Item> {
  const state = new Map<string, Item>();
  for (const record of records) {
    const dynamodb = record.dynamodb as {
      ApproximateCreationDateTime: number;
      Keys: { id: { S: string } };
      NewImage?: { value: { N: string }; tag: { S: string } };
    };
    if (dynamodb.ApproximateCreationDateTime > atMicros) break;
    const key = dynamodb.Keys.id.S;
    if (dynamodb.NewImage)
      state.set(key, { value: Number(dynamodb.NewImage.value.N), tag: dynamodb.NewImage.tag.S });
    else state.delete(key);
  }
  return state;
}

export async function assertHistoryHolds(
  target: HistoryTarget,
  runs: { seed: number; numRuns: number },
) {
  const { sink, table } = target;
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(timedArb, { minLength: 1, maxLength: 16 }).chain((history) => {
        const count = emit(history).records.length;
        return fc.tuple(
          fc.constant(history),
          deliveryArb(count),
          fc.uniqueArray(fc.nat({ max: Math.max(0, count - 1) }), { maxLength: 3 }),
        );
      }),
      async ([history, plan, rewritten]) => {
        const { records } = emit(history);
        if (records.length === 0) return;
        const prefix = `run${++run}-`;
        const changes = records.map((e) => ofRun(e.record, run));
        // One shard's records in source order, then the producer's second copies.
        const stream = [
          ...lambdaKinesisEvent(changes).Records,
          ...lambdaKinesisEvent(
            rewritten.flatMap((i) => (changes[i] ? [changes[i]] : [])),
            { firstSequence: "90000000000000000000000000000000000000000000000000000" },
          ).Records,
        ];
        const pipeline = new ApplyPipeline(sink, {
          table,
          keySchema: [{ name: "id", type: "S" }],
          history: {},
        });
        for (const batch of deliver(stream, plan)) {
          const result = await pipeline.apply(batch.flatMap((record) => sourceRecords(record)));
          expect(result.failed.map((f) => f.error.message)).toEqual([]);
        }
        const refresh = sink.dialect.refresh(historyTable(table));
        if (refresh) await sink.query(refresh);

        const stored = await sink.query<{ change_id: string }>({
          sql: `SELECT change_id FROM ${sink.dialect.quoteTable(historyTable(table))} WHERE change_id LIKE ${sink.dialect.placeholder(1)}`,
          params: [`${prefix}%`],
        });
        expect(stored.map((r) => r.change_id).sort()).toEqual(
          changes.map((c) => c.eventID as string).sort(),
        );

        const times = changes.map(
          (c) =>
            (c.dynamodb as { ApproximateCreationDateTime: number }).ApproximateCreationDateTime,
        );
        const moments = [...new Set(times.flatMap((us) => [us - 1000, us, us + 1000]))];
        for (const us of moments) {
          const rows = await sink.query<{ pk: string; new_image: string }>(
            sink.dialect.history.asOf(table, new Date(us / 1000)),
          );
          const asOf = new Map(
            rows.flatMap((r) => {
              const id = (JSON.parse(r.pk) as { id: string }).id;
              if (!id.startsWith(prefix)) return [];
              const image = JSON.parse(r.new_image) as { value: number; tag: string };
              return [[id, { value: Number(image.value), tag: image.tag }] as const];
            }),
          );
          expect(asOf, `as of ${new Date(us / 1000).toISOString()}`).toEqual(stateAt(changes, us));
        }
      },
    ),
    { seed: runs.seed, numRuns: runs.numRuns },
  );
}
