// Schemaless items and exact keys on a live CrateDB (G11, G12): items whose
// attributes change type between items, at every nesting level, applied with
// duplicates and reordering, converge to the source with pk + data + aux equal
// to each item; 38-digit numeric keys stay exact and distinct; a fractional
// key fails its record alone; a state table made earlier with DOUBLE keys is
// still written in its own type. Runs where CRATEDB_URL is set.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import type { AttributeMap, AttributeValue } from "../../src/codec/types.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { TargetRows } from "../../src/verify/target-rows.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { deliver, deliveryArb } from "../support/history.ts";
import { emitItems, type ItemOp, itemOpArb, nestedValueArb } from "../support/item-history.ts";
import { liveCrateDb } from "../support/live-cratedb.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`cratedb-schemaless.test.ts skipped: ${SKIP_REASON}`);

const seed = Number(process.env.FC_SEED ?? 20261130);
const numRuns = Number(process.env.FC_CRATEDB_RUNS ?? 25);

// A few names, reused at every level, so that types collide across items and depths.
const NAMES = ["v", "w", "m", "x.y"];

const scalarArb: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ maxLength: 4 }).map((S) => ({ S })),
  fc.integer({ min: -50, max: 50 }).map((n) => ({ N: String(n) })),
  fc.constantFrom("0.5", "-2.25", "1E+3").map((N) => ({ N })),
  fc.boolean().map((BOOL) => ({ BOOL })),
  fc.constant({ NULL: true as const }),
  fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
    .map((SS) => ({ SS })),
  fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }).map((ns) => ({
    NS: ns.map(String),
  })),
);

const valueArb = nestedValueArb(NAMES, scalarArb);

const itemArb = (id: string): fc.Arbitrary<AttributeMap> =>
  fc
    .dictionary(fc.constantFrom(...NAMES), valueArb, { maxKeys: 4 })
    .map((attributes) => ({ ...attributes, id: { S: id } }));

const opArb = itemOpArb(itemArb);

/** Applies one INSERT per numeric key `ts`, in one batch, with `attributes(i)` beside the key. */
function applyNumberKeys(
  sink: Sink,
  table: TableName,
  keys: string[],
  attributes: (i: number) => AttributeMap = () => ({}),
) {
  const pipeline = new ApplyPipeline(sink, { table, keySchema: [{ name: "ts", type: "N" }] });
  return pipeline.apply(
    keys.flatMap((ts, i) =>
      sourceRecords(
        kinesisDynamoRecord({
          keys: { ts: { N: ts } },
          newImage: { ts: { N: ts }, ...attributes(i) },
          micros: 1_720_000_000_000_000 + i,
        }),
      ),
    ),
  );
}
const emit = emitItems;

describe.skipIf(!url)(
  `schemaless items and exact keys on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    const live = liveCrateDb(url);
    const { fresh } = live;

    it("G11: an attribute a newer change removes is gone, whatever batch the older one came in", async () => {
      // Found by the property below (seed 20261130): c gets v as a set, then loses v in the next batch.
      const history: ItemOp[] = [
        { key: "a", item: { id: { S: "a" } } },
        { key: "c", item: { v: { SS: [" "] }, id: { S: "c" } } },
        { key: "c", item: { id: { S: "c" } } },
        { key: "a", item: { m: { NULL: true }, id: { S: "a" } } },
        { key: "b", item: { id: { S: "b" } } },
      ];
      const { records, final } = emit(history);
      const table = fresh("removed");
      const pipeline = new ApplyPipeline(live.sink, {
        table,
        keySchema: [{ name: "id", type: "S" }],
      });
      for (const batch of deliver(records, { duplicates: [], swaps: [], batchSizes: [2] })) {
        const result = await pipeline.apply(batch.flatMap((record) => sourceRecords(record)));
        expect(result.failed.map((f) => f.error.message)).toEqual([]);
      }
      const rows = await readLiveRows(live.sink, table);
      const comparison = compareTable([...final.values()], rows, { keyNames: ["id"] });
      expect(comparison).toMatchObject({ missing: [], extra: [], different: [] });
    });

    it("G11: a stale change that brings new attributes leaves the stored item whole", async () => {
      // Found by the property below (seed 20261130): the newer change arrives first, then an older
      // one with an attribute no item had, in its own batch; the guard must keep the newer item.
      const history: ItemOp[] = [
        { key: "c", item: { w: { SS: [" "] }, m: { M: { x: { NULL: true } } }, id: { S: "c" } } },
        { key: "c", item: { v: { S: "" }, id: { S: "c" } } },
      ];
      const { records, final } = emit(history);
      const table = fresh("stale");
      const pipeline = new ApplyPipeline(live.sink, {
        table,
        keySchema: [{ name: "id", type: "S" }],
      });
      for (const record of [...records].reverse()) {
        const result = await pipeline.apply(sourceRecords(record));
        expect(result.failed.map((f) => f.error.message)).toEqual([]);
      }
      const rows = await readLiveRows(live.sink, table);
      const comparison = compareTable([...final.values()], rows, { keyNames: ["id"] });
      expect(comparison).toMatchObject({ missing: [], extra: [], different: [] });
    });

    it(`G11: attributes that change type between items converge, pk + data + aux = the item (seed ${seed}, ${numRuns} runs)`, async () => {
      let routed = 0;
      await fc.assert(
        fc.asyncProperty(
          fc
            .array(opArb, { minLength: 2, maxLength: 12 })
            .chain((history) =>
              fc.tuple(fc.constant(history), deliveryArb(emit(history).records.length)),
            ),
          async ([history, plan]) => {
            const { records, final } = emit(history);
            if (records.length === 0) return;
            const table = fresh("schemaless");
            const pipeline = new ApplyPipeline(live.sink, {
              table,
              keySchema: [{ name: "id", type: "S" }],
            });
            for (const batch of deliver(records, plan)) {
              const result = await pipeline.apply(batch.flatMap((record) => sourceRecords(record)));
              expect(result.failed.map((f) => f.error.message)).toEqual([]);
              routed += result.routedToAux;
            }
            const comparison = compareTable(
              [...final.values()],
              await readLiveRows(live.sink, table),
              {
                keyNames: ["id"],
              },
            );
            expect(comparison).toMatchObject({ missing: [], extra: [], different: [] });
          },
        ),
        { seed, numRuns },
      );
      // The histories did make values collide with their columns.
      expect(routed).toBeGreaterThan(0);
    }, 600_000);

    it("G12: every number DynamoDB accepts is a key; distinct ones stay distinct, one number spelled two ways is one key", async () => {
      const table = fresh("keys");
      // As DynamoDB may spell them in a stream: 1.50 is 1.5, 1E+2 is 100.
      const spelled = [
        ["12345678901234567890", "12345678901234567890"],
        ["12345678901234567891", "12345678901234567891"],
        ["99999999999999999999999999999999999999", "99999999999999999999999999999999999999"],
        ["-99999999999999999999999999999999999998", "-99999999999999999999999999999999999998"],
        ["1.5", "1.5"],
        ["1.50", "1.5"],
        ["1720740233.012", "1720740233.012"],
        ["0.1", "0.1"],
        ["1E+2", "100"],
        ["1E+125", "1E+125"],
        ["1E-130", "1E-130"],
        ["1.2345678901234567890123456789012345678", "1.2345678901234567890123456789012345678"],
      ] as const;
      const record = (ts: string, i: number) =>
        kinesisDynamoRecord({
          keys: { ts: { N: ts } },
          newImage: { ts: { N: ts }, n: { N: String(i) } },
          micros: 1_720_000_000_000_000 + i,
        });
      const pipeline = new ApplyPipeline(live.sink, {
        table,
        keySchema: [{ name: "ts", type: "N" }],
      });
      // Two batches: 1.5 in the first, 1.50 in the second, so the key decides, not the batch.
      const records = spelled.flatMap(([ts], i) => sourceRecords(record(ts, i)));
      for (const batch of [records.slice(0, 5), records.slice(5)]) {
        const result = await pipeline.apply(batch);
        expect(result.failed.map((f) => f.error.message)).toEqual([]);
      }
      // The newest change of each key: 1.50 (index 5) replaced 1.5 (index 4).
      const items = new Map<string, AttributeMap>();
      for (const [i, [, canonical]] of spelled.entries())
        items.set(canonical, { ts: { N: canonical }, n: { N: String(i) } });
      expect(items.size).toBe(spelled.length - 1);
      const rows = await readLiveRows(live.sink, table);
      expect(compareTable([...items.values()], rows, { keyNames: ["ts"] })).toMatchObject({
        missing: [],
        extra: [],
        different: [],
      });
      // As an analyst queries them: numbers, compared and ranged over; exact as pk_text.
      const view = live.sink.dialect.quoteTable(table);
      const query = async (where: string) =>
        (
          await live.sink.query<{ ts: string }>({
            sql: `SELECT "pk_text"['ts'] AS ts FROM ${view} WHERE ${where} ORDER BY "pk"['ts'], 1`,
            params: [],
          })
        ).map((r) => r.ts);
      expect(await query(`"pk"['ts'] = 1720740233.012`)).toEqual(["1720740233.012"]);
      expect(await query(`"pk"['ts'] BETWEEN 0 AND 2`)).toEqual([
        "1E-130",
        "0.1",
        "1.2345678901234567890123456789012345678",
        "1.5",
      ]);
      expect(await query(`"pk"['ts'] > 1E100`)).toEqual(["1E+125"]);
      expect(await query(`"pk_text"['ts'] = '12345678901234567891'`)).toEqual([
        "12345678901234567891",
      ]);
    });

    it("G12: verify's keyed reads find every numeric key, exactly", async () => {
      const table = fresh("verifykeys");
      const keys = ["1E-130", "0.5", "12345678901234567890", "12345678901234567891", "1E+125"];
      const result = await applyNumberKeys(live.sink, table, keys);
      expect(result.failed).toEqual([]);
      const target = new TargetRows(live.sink, table, [{ name: "ts", type: "N" }]);
      await target.refresh();
      const found = await target.byKeys([...keys, "7"].map((ts) => ({ ts: { N: ts } })));
      expect([...found.values()].map((r) => (r.keys.ts as { N: string }).N).sort()).toEqual(
        [...keys].sort(),
      );
      const page = await target.livePage(undefined, 10);
      expect(page.rows.map((r) => (r.keys.ts as { N: string }).N).sort()).toEqual([...keys].sort());
    });

    it.each([
      {
        type: "NUMERIC(38, 0)",
        keys: ["12345678901234567890", "12345678901234567891", "2.5"],
        reason: /NUMERIC\(38, 0\).*load the table again into a new --table/,
      },
      {
        type: "DOUBLE",
        keys: ["42", "2.5", "12345678901234567890"],
        reason: /is DOUBLE, which can not hold it exactly.*load the table again into a new --table/,
      },
    ])(
      "writes a state table created earlier with $type keys in its own type; a key it can not hold fails naming the way out",
      async ({ type, keys, reason }) => {
        const table = fresh("legacy");
        await live.sink.query({
          sql:
            `CREATE TABLE ${live.sink.dialect.quoteTable(stateTable(table))} ("pk" OBJECT(STRICT) AS ("ts" ${type} PRIMARY KEY), ` +
            `"data" OBJECT(DYNAMIC), "aux" OBJECT(IGNORED), "version" TEXT NOT NULL, "deleted" BOOLEAN NOT NULL, ` +
            `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL)`,
          params: [],
        });
        const result = await applyNumberKeys(live.sink, table, keys, (i) => ({
          v: { S: `v${i}` },
        }));
        // The last key is the one the column can not hold.
        expect(result.applied).toBe(2);
        expect(result.failed.map((f) => f.index)).toEqual([2]);
        expect(result.failed[0]?.error.message).toMatch(reason);
        const rows = await readLiveRows(live.sink, table);
        expect(
          compareTable(
            keys.slice(0, 2).map((ts, i) => ({ ts: { N: ts }, v: { S: `v${i}` } })),
            rows,
            { keyNames: ["ts"] },
          ),
        ).toMatchObject({ missing: [], extra: [], different: [] });
      },
    );
  },
);
