// A history row CrateDB refuses, on a live CrateDB (where CRATEDB_URL is set):
// the history goes out as bulk requests, several at once, and a row refused
// in CrateDB's answer (a key over the 32,766-byte term limit: rowcount -2) or
// with its whole request (an attribute name CrateDB can not parse: HTTP 400)
// keeps its change out of both tables, with its reason, while every other
// change of the batch is stored and applied, an older change of the refused
// one's key included (G19).

import { describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { historyTable } from "../../src/sql/history.ts";
import { stateTable } from "../../src/sql/table-name.ts";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { liveCrateDb } from "../support/live-cratedb.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`history-refused.test.ts skipped: ${SKIP_REASON}`);

const S = 1_000_000;
const BASE = 1_765_000_000 * S;

describe.skipIf(!url)(
  `a refused history row on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    // Small requests, two at once: the batch's history goes out in several.
    const live = liveCrateDb(url, { maxRowsPerRequest: 4, inFlight: 2 });

    it("keeps every other change of the batch, and refuses only the change whose row CrateDB refused", async () => {
      const { sink } = live;
      const table = live.fresh("hist_refused");
      const pipeline = new ApplyPipeline(sink, {
        table,
        keySchema: [{ name: "id", type: "S" }],
        history: {},
      });
      const longKey = `k-${"x".repeat(40_000)}`;
      const ids = ["k0", "k1", "k2", longKey, "k4", "k5", "k6", "k7", "k8", "k9"];
      const records = ids.map((id, n) =>
        kinesisDynamoRecord({
          eventID: `ins-${n}`,
          keys: { id: { S: id } },
          newImage: { id: { S: id }, n: { N: String(n) } },
          micros: BASE + n * S,
        }),
      );
      // A newer change of k5 whose image CrateDB can not even parse: its
      // request is refused whole, and k5's insert is applied all the same.
      records.push(
        kinesisDynamoRecord({
          eventID: "mod-5",
          eventName: "MODIFY",
          keys: { id: { S: "k5" } },
          newImage: { id: { S: "k5" }, ["n".repeat(60_000)]: { N: "1" } },
          micros: BASE + 20 * S,
        }),
      );
      const result = await pipeline.apply(
        lambdaKinesisEvent(records).Records.flatMap((r) => sourceRecords(r)),
      );

      const failed = result.failed.map((f) => ({ ref: f.ref, permanent: f.permanent }));
      expect(failed).toEqual([
        { ref: "ins-3", permanent: true },
        { ref: "mod-5", permanent: true },
      ]);
      // Named by CrateDB's answer for that row alone, not by a request refused whole.
      expect(result.failed[0]?.error.message).toMatch(/row \d+ \(record ins-3\) of the append to/);
      expect(result.failed[0]?.error.message).toContain("immense term");
      expect(result.applied).toBe(9);

      for (const refresh of [historyTable(table), stateTable(table)].map(sink.dialect.refresh))
        if (refresh) await sink.query(refresh);
      const stored = await sink.query<{ change_id: string }>({
        sql: `SELECT change_id FROM ${sink.dialect.quoteTable(historyTable(table))}`,
        params: [],
      });
      expect(stored.map((r) => r.change_id).sort()).toEqual(
        ["ins-0", "ins-1", "ins-2", "ins-4", "ins-5", "ins-6", "ins-7", "ins-8", "ins-9"].sort(),
      );
      const items = await sink.query<{ pk: string; data: string }>(
        sink.dialect.selectLiveText(table),
      );
      expect(
        items
          .map((r): [string, number] => [JSON.parse(r.pk).id, JSON.parse(r.data).n])
          .sort((a, b) => a[1] - b[1]),
      ).toEqual([
        ["k0", 0],
        ["k1", 1],
        ["k2", 2],
        ["k4", 4],
        ["k5", 5],
        ["k6", 6],
        ["k7", 7],
        ["k8", 8],
        ["k9", 9],
      ]);
    });
  },
);
