// Seeded property on a live CrateDB: random items DynamoDB accepts, drawn to
// meet CrateDB's own limits (wide maps against a small column budget, strings
// past the 32,766-byte term limit, names with tabs, dots and line breaks,
// names too long for CrateDB's JSON reader, an attribute's type drifting
// between items and depths), delivered with duplicates, reordering and
// redeliveries while the schema changes meet injected outages (503s and
// dropped connections on ALTER TABLE), converge to the source: nothing
// dead-lettered, pk + data + aux of every row equal to its item (G11).
// Runs where CRATEDB_URL is set; FC_SEED and FC_CRATEDB_RUNS change the runs.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import type { AttributeMap, AttributeValue } from "../../src/codec/types.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { deliver, deliveryArb } from "../support/history.ts";
import { type FaultAction, httpFaultProxy } from "../support/http-fault-proxy.ts";
import { emitItems, itemOpArb, nestedValueArb } from "../support/item-history.ts";
import { liveCrateDb } from "../support/live-cratedb.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`cratedb-valid-items.property.test.ts skipped: ${SKIP_REASON}`);

const seed = Number(process.env.FC_SEED ?? 20261207);
const numRuns = Number(process.env.FC_CRATEDB_RUNS ?? 25);
// Small, so that a few wide maps reach it within one history.
const MAX_COLUMNS = 40;

const LONG_TEXT = "t".repeat(33_000);
const LONG_NAME = "n".repeat(33_000);
const NAMES = ["v", "w", "m", "x.y", "a\tb", "l\nf", "s p", "_u"];

const scalarArb: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string({ maxLength: 4 }).map((S) => ({ S })),
  fc.constant({ S: LONG_TEXT }),
  fc.integer({ min: -50, max: 50 }).map((n) => ({ N: String(n) })),
  fc.constantFrom("0.5", "-2.25", "1E+3", "12345678901234567890").map((N) => ({ N })),
  fc.boolean().map((BOOL) => ({ BOOL })),
  fc.constant({ NULL: true as const }),
  fc
    .uniqueArray(fc.string({ minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
    .map((SS) => ({ SS })),
  fc.constant({ B: Buffer.alloc(25_000, 1).toString("base64") }),
);

// Per-user settings: a map of names of its own, many of them.
const wideArb: fc.Arbitrary<AttributeValue> = fc
  .uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 5, maxLength: 30 })
  .map((names) => ({ M: Object.fromEntries(names.map((n) => [n, { N: "1" }])) }));

const valueArb = nestedValueArb(NAMES, scalarArb, [wideArb]);

const itemArb = (id: string): fc.Arbitrary<AttributeMap> =>
  fc
    .tuple(
      fc.dictionary(fc.constantFrom(...NAMES), valueArb, { maxKeys: 4 }),
      fc.option(scalarArb, { freq: 6 }),
    )
    .map(([attributes, long]) => ({
      ...attributes,
      ...(long ? { [LONG_NAME]: long } : {}),
      id: { S: id },
    }));

const opArb = itemOpArb(itemArb, 5);
const emit = emitItems;

describe.skipIf(!url)(
  `DynamoDB-valid items converge on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    const live = liveCrateDb(url);
    const { fresh } = live;

    it(`items at CrateDB's limits, with ALTER TABLE outages, converge (seed ${seed}, ${numRuns} runs)`, async () => {
      let routed = 0;
      let faults = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { minLength: 2, maxLength: 10 }).chain((history) =>
            fc.tuple(
              fc.constant(history),
              deliveryArb(emit(history).records.length),
              fc.array(fc.constantFrom<FaultAction>("forward", { status: 503 }, "drop"), {
                maxLength: 6,
              }),
            ),
          ),
          async ([history, plan, alterFaults]) => {
            const { records, final } = emit(history);
            if (records.length === 0) return;
            const table = fresh("validprop");
            // Each ALTER TABLE takes the next planned fault; the rest pass.
            const pending = [...alterFaults];
            const proxy = await httpFaultProxy(url as string, (body) =>
              (JSON.parse(body) as { stmt: string }).stmt.startsWith("ALTER TABLE")
                ? (pending.shift() ?? "forward")
                : "forward",
            );
            const faulty = createCrateDbHttpSink({
              url: proxy.url,
              maxColumns: MAX_COLUMNS,
              retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
            });
            try {
              const pipeline = new ApplyPipeline(faulty, {
                table,
                keySchema: [{ name: "id", type: "S" }],
              });
              for (const batch of deliver(records, plan)) {
                const changes = batch.flatMap((record) => sourceRecords(record));
                // An outage fails the batch for a retry (as Lambda redelivers it); never for good.
                let result = await pipeline.apply(changes);
                for (let again = 0; again < 8 && result.failed.length > 0; again++) {
                  expect(
                    result.failed.filter((f) => f.permanent).map((f) => f.error.message),
                  ).toEqual([]);
                  result = await pipeline.apply(changes);
                }
                expect(result.failed.map((f) => f.error.message)).toEqual([]);
                routed += result.routedToAux;
              }
              faults += proxy.faults;
            } finally {
              await faulty.close();
              await proxy.close();
            }
            // CrateDB's default number format writes doubles: a 20-digit number is equal once rounded.
            const comparison = compareTable(
              [...final.values()],
              await readLiveRows(live.sink, table),
              {
                keyNames: ["id"],
                doubles: { rounded: 0 },
              },
            );
            expect(comparison).toMatchObject({ missing: [], extra: [], different: [] });
          },
        ),
        { seed, numRuns },
      );
      // The runs did meet CrateDB's limits and the outages.
      expect(routed).toBeGreaterThan(0);
      expect(faults).toBeGreaterThan(0);
    }, 600_000);

    it(`numeric keys of every kind DynamoDB accepts, spelled two ways, converge (seed ${seed}, ${numRuns} runs)`, async () => {
      // The same number spelled two ways is one item, as in DynamoDB.
      const spellings: Record<string, string> = {
        "1.5": "1.5",
        "1.50": "1.5",
        "1E+125": "1E+125",
        "1E-130": "1E-130",
        "12345678901234567890": "12345678901234567890",
        "12345678901234567891": "12345678901234567891",
        "1720740233.012": "1720740233.012",
        "-7": "-7",
        "-7.0": "-7",
      };
      const itemOf = (key: string): fc.Arbitrary<AttributeMap> =>
        fc
          .dictionary(fc.constantFrom(...NAMES), valueArb, { maxKeys: 3 })
          .map((attributes) => ({ ...attributes, id: { N: key } }));
      await fc.assert(
        fc.asyncProperty(
          fc
            .array(itemOpArb(itemOf, 4, Object.keys(spellings)), { minLength: 2, maxLength: 12 })
            .chain((history) =>
              fc.tuple(fc.constant(history), deliveryArb(emit(history).records.length)),
            ),
          async ([history, plan]) => {
            const canonical = (key: string) => spellings[key] as string;
            const { records, final } = emitItems(history, (key) => ({ N: key }), canonical);
            if (records.length === 0) return;
            const table = fresh("numkeys");
            const pipeline = new ApplyPipeline(live.sink, {
              table,
              keySchema: [{ name: "id", type: "N" }],
            });
            for (const batch of deliver(records, plan)) {
              const result = await pipeline.apply(batch.flatMap((record) => sourceRecords(record)));
              expect(result.failed.map((f) => f.error.message)).toEqual([]);
            }
            // The items as DynamoDB holds them: each key in its canonical spelling.
            const items = [...final].map(([id, item]) => ({ ...item, id: { N: id } }));
            const rows = await readLiveRows(live.sink, table);
            expect(rows).toHaveLength(items.length);
            expect(
              compareTable(items, rows, { keyNames: ["id"], doubles: { rounded: 0 } }),
            ).toMatchObject({ missing: [], extra: [], different: [] });
          },
        ),
        { seed, numRuns },
      );
    }, 600_000);
  },
);
