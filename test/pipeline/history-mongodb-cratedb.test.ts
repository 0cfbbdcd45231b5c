// A MongoDB change in the change history on a live CrateDB (where CRATEDB_URL
// is set): the update's description and the pre-image stored whole, beside
// the full document; and a history table of an earlier release, without
// update_description, gains the column before its first append and keeps its rows.

import { describe, expect, it } from "vitest";
import { decodeMongoRecord } from "../../src/codec/mongodb-event.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { historyTable } from "../../src/sql/history.ts";
import { liveCrateDb } from "../support/live-cratedb.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`history-mongodb-cratedb.test.ts skipped: ${SKIP_REASON}`);

const event = (i: number, extra: Record<string, unknown>) => ({
  payload: {
    _id: { _data: `8266A00000${String(i).padStart(8, "0")}2B022C0100296E5A1004` },
    operationType: "update",
    clusterTime: { $timestamp: { t: 1721140162, i } },
    ns: { db: "shop", coll: "orders" },
    documentKey: { _id: { $numberInt: "7" } },
    fullDocument: { _id: { $numberInt: "7" }, status: "shipped", qty: { $numberLong: "3" } },
    ...extra,
  },
  ref: `event ${i}`,
});

describe.skipIf(!url)(
  `MongoDB changes in the history on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    const live = liveCrateDb(url);
    const pipelineFor = (name: string) => {
      const table = live.fresh(name);
      return {
        table,
        pipeline: new ApplyPipeline(live.sink, {
          table,
          keySchema: [{ name: "oid", type: "S" }],
          decoder: decodeMongoRecord,
          history: {},
        }),
      };
    };
    const described = async (table: ReturnType<typeof live.fresh>) => {
      const history = cratedb.quoteTable(historyTable(table));
      await live.sink.query({ sql: `REFRESH TABLE ${history}`, params: [] });
      return live.sink.query<Record<string, unknown>>({
        sql: `SELECT change_id, CAST(update_description AS TEXT) AS described, old_image['status'] AS was, new_image['qty'] AS qty FROM ${history} ORDER BY change_id`,
        params: [],
      });
    };

    it("stores an update's description and the pre-image, whole", async () => {
      const { table, pipeline } = pipelineFor("mongo_hist");
      const result = await pipeline.apply([
        event(1, {
          updateDescription: {
            updatedFields: { status: "shipped", qty: { $numberLong: "3" } },
            removedFields: ["note"],
            truncatedArrays: [],
          },
          fullDocumentBeforeChange: { _id: { $numberInt: "7" }, status: "placed", note: "x" },
        }),
      ]);
      expect(result.failed.map((f) => f.error.message)).toEqual([]);
      const rows = await described(table);
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]?.described as string)).toEqual({
        updatedFields: { status: "shipped", qty: 3 },
        removedFields: ["note"],
        truncatedArrays: [],
      });
      expect(rows[0]).toMatchObject({ was: "placed", qty: 3 });
    });

    it("a history table of the earlier release gains update_description and keeps its rows", async () => {
      const { table, pipeline } = pipelineFor("mongo_oldhist");
      // The table as the earlier release made it: the same statement without the column.
      for (const statement of cratedb.history.create(table, "month")) {
        const earlier = statement.sql.replace(/"update_description" OBJECT\(IGNORED\), /, "");
        expect(earlier).not.toBe(statement.sql);
        await live.sink.query({ sql: earlier, params: [] });
      }
      const history = cratedb.quoteTable(historyTable(table));
      await live.sink.query({
        sql: `INSERT INTO ${history} ("change_id", "key", "pk", "operation", "ttl_delete", "changed_at", "changed_micros", "version", "ref", "recorded_at") VALUES ('kept', 'k', {}, 'insert', false, 0, 0, 'v', 'r', 0)`,
        params: [],
      });
      const result = await pipeline.apply([
        event(2, {
          updateDescription: { updatedFields: { status: "shipped" }, removedFields: [] },
        }),
      ]);
      expect(result.failed.map((f) => f.error.message)).toEqual([]);
      const rows = (await described(table)).map((r) => [
        r.change_id,
        r.described === null ? null : JSON.parse(r.described as string),
      ]);
      expect(rows).toEqual([
        [
          expect.stringMatching(/^8266A/),
          { updatedFields: { status: "shipped" }, removedFields: [] },
        ],
        ["kept", null],
      ]);
    });
  },
);
