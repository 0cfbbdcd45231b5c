// Whatever DynamoDB accepts reaches a live CrateDB whole (G11): items that
// meet CrateDB's own limits (a schema change that fails on the way, the
// table's column limit, terms over 32,766 bytes, names CrateDB refuses or can
// not parse) are applied, nothing dead-lettered, and pk + data + aux read
// back equal to each item. Runs where CRATEDB_URL is set.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { BatchResult } from "../../src/pipeline/batch-result.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { dropTables, tableNames } from "../support/drop-tables.ts";
import { firstStatements, httpFaultProxy } from "../support/http-fault-proxy.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`cratedb-valid-items.test.ts skipped: ${SKIP_REASON}`);

const ID_KEY = [{ name: "id", type: "S" as const }];
let micros = 1_720_000_000_000_000;
const nextMicros = () => {
  micros += 10;
  return micros;
};

/** A Kinesis Data Streams for DynamoDB record of an item's new image (or its removal). */
function change(item: AttributeMap, at = nextMicros(), remove = false): unknown {
  return {
    eventID: `e-${at}`,
    eventName: remove ? "REMOVE" : "MODIFY",
    eventSource: "aws:dynamodb",
    tableName: "items",
    dynamodb: {
      ApproximateCreationDateTime: at,
      ApproximateCreationDateTimePrecision: "MICROSECOND",
      Keys: { id: item.id },
      ...(remove ? { OldImage: item } : { NewImage: item }),
    },
  };
}

const failures = (result: BatchResult) => result.failed.map((f) => f.error.message);

describe.skipIf(!url)(
  `DynamoDB-valid items on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    let sink: CrateDbHttpSink;
    const { tables, fresh } = tableNames();
    const expectTable = async (table: TableName, items: AttributeMap[]) => {
      const comparison = compareTable(items, await readLiveRows(sink, table), {
        keyNames: ["id"],
      });
      expect(comparison).toMatchObject({ missing: [], extra: [], different: [] });
    };

    beforeAll(() => {
      sink = createCrateDbHttpSink({ url: url as string });
    });
    afterAll(async () => {
      if (sink) await dropTables(sink, tables);
      await sink?.close();
    });

    describe("a schema change that fails on the way never wipes a stored item", () => {
      // The newer item is stored; an older change of it brings an attribute
      // the table has no column for, so the guard keeps the stored row. Its
      // ALTER TABLE meets an outage; the write is tried again once the outage
      // is over. Before, the sink took the column as existing after the failed
      // ALTER, sent the row with an undeclared sub-column, and CrateDB set the
      // stored item's `data` to NULL while reporting the row applied.
      const newer: AttributeMap = { id: { S: "a" }, v: { N: "2" }, m: { M: { x: { S: "x" } } } };
      const older: AttributeMap = { id: { S: "a" }, v: { N: "1" }, fresh: { S: "late" } };

      for (const [label, action] of [
        ["answered 503", { status: 503 }],
        ["dropped connections", "drop"],
      ] as const) {
        it(`ALTER TABLE ${label}, then the write again`, async () => {
          const table = fresh("wipe");
          // The faults start once the newer item is stored.
          let armed = false;
          const alters = firstStatements(/^ALTER TABLE/, 6, action);
          const proxy = await httpFaultProxy(url as string, (body) =>
            armed ? alters(body) : "forward",
          );
          const faulty = createCrateDbHttpSink({
            url: proxy.url,
            retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
          });
          try {
            const pipeline = new ApplyPipeline(faulty, { table, keySchema: ID_KEY });
            const first = change(newer, micros + 1000);
            expect(failures(await pipeline.apply(sourceRecords(first)))).toEqual([]);
            armed = true;
            const late = sourceRecords(change(older, micros + 10));
            let result = await pipeline.apply(late);
            for (let attempt = 0; attempt < 5 && result.failed.length > 0; attempt++) {
              expect(result.failed.every((f) => !f.permanent)).toBe(true);
              result = await pipeline.apply(late);
            }
            expect(failures(result)).toEqual([]);
            await expectTable(table, [newer]);
            // Every ALTER was tried until the outage passed, none skipped.
            expect(proxy.faults).toBe(6);
          } finally {
            await faulty.close();
            await proxy.close();
          }
        });
      }

      it("a declaration CrateDB refuses every time keeps the attribute in aux; nothing is refused", async () => {
        // Before, a refused ALTER TABLE in the sink's last round of reshaping
        // failed the batch as refused, and the pipeline dead-lettered its records.
        const proxy = await httpFaultProxy(url as string, (body) =>
          /"stmt":"ALTER TABLE/.test(body)
            ? {
                status: 400,
                body: { error: { code: 4000, message: "SQLParseException[refused]" } },
              }
            : "forward",
        );
        const refusing = createCrateDbHttpSink({ url: proxy.url });
        try {
          const table = fresh("refused");
          const pipeline = new ApplyPipeline(refusing, { table, keySchema: ID_KEY });
          const result = await pipeline.apply(sourceRecords(change(newer)));
          expect(failures(result)).toEqual([]);
          expect(result.routedToAux).toBe(2);
          await expectTable(table, [newer]);
        } finally {
          await refusing.close();
          await proxy.close();
        }
      });

      it("a row never adds a sub-column on the way, even when the sink wrongly believes it exists", async () => {
        // The sink declared data['fresh'], then it was dropped behind its back:
        // the sink still takes it as existing. `data` is STRICT, so CrateDB
        // refuses the row instead of adding the column while it writes (the
        // path that wipes a guarded row); the sink reads the columns again,
        // declares it, and the guard keeps the newer item.
        const table = fresh("strict");
        const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
        const other: AttributeMap = { id: { S: "c" }, fresh: { S: "x" } };
        expect(failures(await pipeline.apply(sourceRecords(change(newer, micros + 1000))))).toEqual(
          [],
        );
        expect(failures(await pipeline.apply(sourceRecords(change(other))))).toEqual([]);
        expect(
          failures(await pipeline.apply(sourceRecords(change(other, micros + 2000, true)))),
        ).toEqual([]);
        await sink.query({
          sql: `ALTER TABLE ${sink.dialect.quoteTable({ schema: undefined, name: `${table.name}__state` })} DROP COLUMN "data"['fresh']`,
          params: [],
        });
        expect(failures(await pipeline.apply(sourceRecords(change(older, micros + 10))))).toEqual(
          [],
        );
        await expectTable(table, [newer]);
      });
    });

    it("a row refused for a column the table lacked is sent again when the column is back by the time the sink looks", async () => {
      // The column was dropped behind the sink's back, and declared again by
      // another writer between CrateDB's refusal of the row and the sink's
      // reading of the columns: the row shapes the same as before, and is
      // sent again all the same (it failed before).
      const table = fresh("strict_back");
      const state = sink.dialect.quoteTable({ schema: undefined, name: `${table.name}__state` });
      const other: AttributeMap = { id: { S: "c" }, fresh: { S: "x" } };
      let refused = false;
      let back: Promise<unknown> | undefined;
      const proxy = await httpFaultProxy(
        url as string,
        (body) => {
          if (refused && back === undefined && body.includes("information_schema.columns")) {
            back = sink.query({
              sql: `ALTER TABLE ${state} ADD COLUMN "data"['fresh'] TEXT`,
              params: [],
            });
            return { forwardAfter: back };
          }
          return "forward";
        },
        (body, answer) => {
          if (/"stmt":"INSERT/.test(body) && answer.includes("strict object")) refused = true;
        },
      );
      const writer = createCrateDbHttpSink({ url: proxy.url });
      try {
        const pipeline = new ApplyPipeline(writer, { table, keySchema: ID_KEY });
        expect(failures(await pipeline.apply(sourceRecords(change(other))))).toEqual([]);
        await sink.query({ sql: `ALTER TABLE ${state} DROP COLUMN "data"['fresh']`, params: [] });
        const later = { ...other, fresh: { S: "y" } };
        expect(failures(await pipeline.apply(sourceRecords(change(later))))).toEqual([]);
        expect(refused).toBe(true);
        await expectTable(table, [later]);
      } finally {
        await writer.close();
        await proxy.close();
      }
    });

    it("two writes at once (two shards of a relay) that bring the same new attribute are both applied", async () => {
      // One sink serves every shard of a relay. Before, while the first
      // write's ALTER TABLE for `gift` was on its way, the second took the
      // column as existing and sent its row, which CrateDB refused (`Cannot
      // add column gift to strict object data`); by the time the sink read
      // the columns again the ALTER had landed, nothing looked different, and
      // the row failed. No row may go out before its columns are declared.
      // The proxy orders the statements so: it holds that
      // ALTER until the other write's upsert is answered (or 1 s passed), and
      // the column queries after that until the ALTER is answered.
      const table = fresh("concurrent");
      const later = () => {
        let settle = () => {};
        const promise = new Promise<void>((resolve) => {
          settle = resolve;
        });
        return { promise, settle };
      };
      const upsertAnswered = later();
      const alterAnswered = later();
      const timer = setTimeout(upsertAnswered.settle, 1000);
      let held = false;
      let strictRefusals = 0;
      const proxy = await httpFaultProxy(
        url as string,
        (body) => {
          if (!held && /"stmt":"ALTER TABLE/.test(body) && body.includes("gift")) {
            held = true;
            return { forwardAfter: upsertAnswered.promise };
          }
          if (held && body.includes("information_schema.columns")) {
            return { forwardAfter: alterAnswered.promise };
          }
          return "forward";
        },
        (body, answer) => {
          if (answer.includes("strict object")) strictRefusals++;
          if (held && /"stmt":"INSERT/.test(body)) upsertAnswered.settle();
          if (/"stmt":"ALTER TABLE/.test(body)) alterAnswered.settle();
        },
      );
      const shared = createCrateDbHttpSink({ url: proxy.url });
      try {
        const plain: AttributeMap = { id: { S: "p" }, note: { S: "first" } };
        const pipeline = new ApplyPipeline(shared, { table, keySchema: ID_KEY });
        expect(failures(await pipeline.apply(sourceRecords(change(plain))))).toEqual([]);
        const items = ["g1", "g2"].map(
          (id): AttributeMap => ({ id: { S: id }, gift: { M: { wrap: { BOOL: true } } } }),
        );
        const results = await Promise.all([
          pipeline.apply(sourceRecords(change(items[0] as AttributeMap))),
          pipeline.apply(sourceRecords(change(items[1] as AttributeMap))),
        ]);
        expect(results.flatMap(failures)).toEqual([]);
        // No row went out before the column it needs was declared.
        expect(strictRefusals).toBe(0);
        await expectTable(table, [plain, ...items]);
      } finally {
        clearTimeout(timer);
        await shared.close();
        await proxy.close();
      }
    });

    describe("the table's column limit", () => {
      // 150 items, each with a map of 10 keys of its own (per-user settings)
      // and a top-level name of its own: 1,650 distinct paths, past CrateDB's
      // 1,000 columns a table.
      const items = Array.from({ length: 150 }, (_, i) => {
        const settings: AttributeMap = {};
        for (let k = 0; k < 10; k++) settings[`u${i}_k${k}`] = { N: String(k) };
        return {
          id: { S: `item-${i}` },
          settings: { M: settings },
          [`attr_${i}`]: { S: `value ${i}` },
        } as AttributeMap;
      });

      it("values past the column budget go to aux, and every item arrives whole", async () => {
        const table = fresh("wide");
        const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
        let routed = 0;
        for (let i = 0; i < items.length; i += 25) {
          const result = await pipeline.apply(
            items.slice(i, i + 25).flatMap((item) => sourceRecords(change(item))),
          );
          expect(failures(result)).toEqual([]);
          routed += result.routedToAux;
        }
        expect(routed).toBeGreaterThan(0);
        // Past the limit, an update that adds a name is applied too.
        const updated = { ...(items[0] as AttributeMap), late_name: { S: "new" } };
        expect(failures(await pipeline.apply(sourceRecords(change(updated))))).toEqual([]);
        await expectTable(table, [updated, ...items.slice(1)]);
        const [{ columns }] = (await sink.query<{ columns: number }>({
          sql: "SELECT count(*) AS columns FROM information_schema.columns WHERE table_name = ?",
          params: [`${table.name}__state`],
        })) as [{ columns: number }];
        expect(columns).toBeLessThanOrEqual(900);
      });

      it("one item with a 1,500-key map on a fresh table", async () => {
        const table = fresh("widemap");
        const map: AttributeMap = {};
        for (let k = 0; k < 1500; k++) map[`key${k}`] = { S: `v${k}` };
        const item: AttributeMap = { id: { S: "x" }, prefs: { M: map }, n: { N: "1" } };
        const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
        const result = await pipeline.apply(sourceRecords(change(item)));
        expect(failures(result)).toEqual([]);
        expect(result.routedToAux).toBe(1);
        await expectTable(table, [item]);
      });

      it("a budget set above the table's own limit meets CrateDB's refusal and still loses nothing", async () => {
        const table = fresh("overbudget");
        const wide = createCrateDbHttpSink({ url: url as string, maxColumns: 5000 });
        try {
          const pipeline = new ApplyPipeline(wide, { table, keySchema: ID_KEY });
          for (let i = 0; i < items.length; i += 50) {
            const result = await pipeline.apply(
              items.slice(i, i + 50).flatMap((item) => sourceRecords(change(item))),
            );
            expect(failures(result)).toEqual([]);
          }
          await expectTable(table, items);
        } finally {
          await wide.close();
        }
      });
    });

    it("strings and binaries over CrateDB's 32,766-byte term limit, at every depth", async () => {
      const table = fresh("terms");
      const long = "x".repeat(40_000);
      const wide = "é".repeat(16_384); // 32,768 UTF-8 bytes in 16,384 characters
      const binary = Buffer.alloc(300_000, 7).toString("base64");
      const items: AttributeMap[] = [
        { id: { S: "top" }, s: { S: long }, n: { N: "1" } },
        { id: { S: "map" }, m: { M: { inner: { S: long }, ok: { S: "short" } } } },
        { id: { S: "list" }, l: { L: [{ S: "a" }, { S: long }] } },
        { id: { S: "set" }, ss: { SS: ["a", long] } },
        { id: { S: "huge" }, s: { S: "y".repeat(390_000) } },
        { id: { S: "binary" }, b: { B: binary } },
        { id: { S: "utf8" }, s: { S: wide } },
        { id: { S: "fits" }, s: { S: "z".repeat(32_766) } },
      ];
      const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
      const result = await pipeline.apply(items.flatMap((item) => sourceRecords(change(item))));
      expect(failures(result)).toEqual([]);
      // All but the one that fits CrateDB's index went to aux.
      expect(result.routedToAux).toBe(7);
      await expectTable(table, items);
    });

    it("attribute names holding a tab, LF or CR, at top level, in maps and in lists of maps", async () => {
      const table = fresh("whitespace");
      const items: AttributeMap[] = [
        { id: { S: "tab" }, "a\tb": { S: "1" } },
        { id: { S: "lf" }, "a\nb": { N: "2" } },
        { id: { S: "cr" }, m: { M: { "x\ry": { BOOL: true } } } },
        { id: { S: "list" }, l: { L: [{ M: { "p\tq": { S: "v" } } }] } },
        { id: { S: "fine" }, "a b\u000bc": { S: "other whitespace is a name" } },
      ];
      const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
      const result = await pipeline.apply(items.flatMap((item) => sourceRecords(change(item))));
      expect(failures(result)).toEqual([]);
      await expectTable(table, items);
    });

    it("names too long for CrateDB's JSON reader (DynamoDB allows 64 KB) are kept exactly in aux['']", async () => {
      const table = fresh("longnames");
      const top = "n".repeat(50_000);
      const nested = "é".repeat(30_000);
      const items: AttributeMap[] = [
        { id: { S: "top" }, [top]: { S: "value" }, short: { N: "5" } },
        { id: { S: "nested" }, m: { M: { [nested]: { N: "1.5" }, ok: { S: "x" } } } },
        // A top-level list of mixed types goes to aux in the codec already.
        { id: { S: "mixed" }, [top]: { L: [{ N: "1" }, { S: "one" }] } },
        { id: { S: "two" }, [top]: { S: "a" }, [`${top}2`]: { NULL: true } },
      ];
      const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
      const result = await pipeline.apply(items.flatMap((item) => sourceRecords(change(item))));
      expect(failures(result)).toEqual([]);
      await expectTable(table, items);
      const [row] = await sink.query<{ text: string }>({
        sql: `SELECT "aux"[''] AS text FROM ${sink.dialect.quoteTable(table)} WHERE "pk"['id'] = 'nested'`,
        params: [],
      });
      expect(JSON.parse(row?.text ?? "{}")).toEqual({ m: { [nested]: 1.5, ok: "x" } });
    });

    describe("values of several types under one name", () => {
      const items: AttributeMap[] = [
        { id: { S: "a" }, v: { N: "42" }, PageCount: { L: [{ N: "600" }, { S: "approx" }] } },
        { id: { S: "b" }, v: { S: "forty-two" } },
        { id: { S: "c" }, v: { M: { n: { N: "1" } } } },
        { id: { S: "d" }, v: { N: "42.5" } },
      ];

      it("can be filtered through aux_text, as text, in SQL an analyst writes", async () => {
        const table = fresh("auxtext");
        const pipeline = new ApplyPipeline(sink, { table, keySchema: ID_KEY });
        for (const item of items)
          expect(failures(await pipeline.apply(sourceRecords(change(item))))).toEqual([]);
        await expectTable(table, items);
        const view = sink.dialect.quoteTable(table);
        await sink.query({
          sql: `REFRESH TABLE ${sink.dialect.quoteTable({ schema: undefined, name: `${table.name}__state` })}`,
          params: [],
        });
        const ids = async (where: string) =>
          (
            await sink.query<{ id: string }>({
              sql: `SELECT pk['id'] AS id FROM ${view} WHERE ${where} ORDER BY 1`,
              params: [],
            })
          ).map((r) => r.id);
        // `v` is a number in data (the first value's type); the others are in aux.
        expect(await ids("data['v'] = 42 OR aux_text['v'] = '42'")).toEqual(["a"]);
        expect(await ids("aux_text['v'] = 'forty-two'")).toEqual(["b"]);
        expect(await ids("data['v'] > 40 OR TRY_CAST(aux_text['v'] AS DOUBLE) > 40")).toEqual([
          "a",
          "d",
        ]);
        expect(await ids("aux_text['v'] LIKE '%\"n\"%'")).toEqual(["c"]);
        expect(await ids("aux_text['PageCount'] LIKE '%approx%'")).toEqual(["a"]);
      });

      it("a state table an earlier release made (no pk_text nor aux_text, the older view) is brought up to date, its rows kept", async () => {
        const table = fresh("upgrade");
        const state = sink.dialect.quoteTable({ schema: undefined, name: `${table.name}__state` });
        await sink.query({
          sql:
            `CREATE TABLE ${state} ("pk" OBJECT(STRICT) AS ("id" TEXT PRIMARY KEY), "data" OBJECT(DYNAMIC), ` +
            `"aux" OBJECT(IGNORED), "version" TEXT NOT NULL, "deleted" BOOLEAN NOT NULL, ` +
            `"updated_at" TIMESTAMP WITH TIME ZONE NOT NULL)`,
          params: [],
        });
        await sink.query({
          sql: `CREATE VIEW ${sink.dialect.quoteTable(table)} AS SELECT "pk", "data", "aux" FROM ${state} WHERE NOT "deleted"`,
          params: [],
        });
        const old = createCrateDbHttpSink({ url: url as string });
        try {
          const pipeline = new ApplyPipeline(old, { table, keySchema: ID_KEY });
          for (const item of items)
            expect(failures(await pipeline.apply(sourceRecords(change(item))))).toEqual([]);
        } finally {
          await old.close();
        }
        await expectTable(table, items);
        const columns = await sink.query<{ name: string }>({
          sql: "SELECT column_name AS name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
          params: [table.name],
        });
        expect(columns.map((c) => c.name).filter((name) => !name.includes("["))).toEqual([
          "pk",
          "pk_text",
          "data",
          "aux",
          "aux_text",
        ]);
      });
    });
  },
);
