// The keyed read of `dynacrate verify` (TargetRows.byKeys) on PostgreSQL and,
// where CRATEDB_URL is set, on a live CrateDB: a page of 1,000 keys (as a 1 MB
// Scan page of 1 KB items holds) answers each key's row, tombstones included,
// and nothing else: not a row whose key pairs one asked key's partition key
// with another's sort key, not a key that is absent.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { canonicalKey } from "../../src/codec/row.ts";
import { snapshotChange, snapshotRemoval } from "../../src/codec/snapshot.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { TargetRows } from "../../src/verify/target-rows.ts";
import { dropTables } from "../support/drop-tables.ts";
import { pgTarget } from "../support/pg-target.ts";

const crateUrl = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run the CrateDB half";
if (!crateUrl) console.log(`target-rows.test.ts: CrateDB cases skipped: ${SKIP_REASON}`);

const keySchema: KeySchema = [
  { name: "customer", type: "S" },
  { name: "order", type: "N" },
];
const PAGE = 1000;
const key = (customer: number, order: number): AttributeMap => ({
  customer: { S: `c${customer}` },
  // Half of 20 digits (beyond a double and a bigint), half short, in no order:
  // CrateDB refuses `= ANY` of numbers out of order.
  order: {
    N: order % 2 ? String((order * 7919) % 1_000_003) : `9${String(order).padStart(19, "0")}`,
  },
});
// Key i: customer i % 40, order i. Asked: 0..999 and three keys never written.
const asked = [
  ...Array.from({ length: PAGE }, (_, i) => key(i % 40, i)),
  ...[1, 2, 3].map((n) => key(n, 5_000 + n)),
];
// Written besides: keys pairing an asked customer with another asked key's order.
const crossed = [key(1, 0), key(2, 0), key(0, 999)];
const deleted = new Set([7, 70, 700].map((i) => canonicalKey(key(i % 40, i))));

async function write(sink: Sink, table: TableName): Promise<void> {
  const pipeline = new ApplyPipeline(sink, { table, keySchema });
  const keyNames = keySchema.map((k) => k.name);
  const records = [...asked.slice(0, PAGE), ...crossed].map((keys, i) => {
    const ref = `row ${i}`;
    const item = { ...keys, n: { N: String(i) } };
    return {
      payload: { Keys: keys },
      ref,
      change: snapshotChange(item, { keyNames, cutMs: 1e12 }, ref),
    };
  });
  for (const id of deleted) {
    const keys = asked.find((k) => canonicalKey(k) === id) as AttributeMap;
    records.push({
      payload: { Keys: keys },
      ref: id,
      change: snapshotRemoval(keys, 2e12, id),
    });
  }
  for (let i = 0; i < records.length; i += 250) {
    const result = await pipeline.apply(records.slice(i, i + 250));
    expect(result.failed).toEqual([]);
  }
}

function suite(
  name: string,
  open: () => Promise<{ sink: Sink; table: TableName; close(): Promise<void> }>,
) {
  describe(name, () => {
    let target: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      target = await open();
      await write(target.sink, target.table);
    });
    afterAll(async () => {
      await target?.close();
    });

    it("answers a page of 1,000 keys with exactly their rows, tombstones included", async () => {
      const rows = new TargetRows(target.sink, target.table, keySchema);
      await rows.refresh();
      const found = await rows.byKeys(asked);
      expect(found.size).toBe(PAGE);
      for (const keys of asked.slice(0, PAGE)) {
        const row = found.get(canonicalKey(keys));
        expect(row?.keys).toEqual(keys);
        expect(row?.deleted).toBe(deleted.has(canonicalKey(keys)));
      }
      for (const keys of [...crossed, ...asked.slice(PAGE)])
        expect(found.has(canonicalKey(keys))).toBe(false);
    });
  });
}

suite("TargetRows.byKeys on PostgreSQL", async () => {
  const pg = await pgTarget();
  return { sink: pg.sink, table: pg.table("rows"), close: () => pg.close() };
});

describe.skipIf(!crateUrl)(`CrateDB (${crateUrl ? "live" : SKIP_REASON})`, () => {
  suite("TargetRows.byKeys on CrateDB", async () => {
    const sink = await openSink(crateUrl as string);
    const table: TableName = { schema: undefined, name: `rows_${process.pid}_${Date.now()}` };
    return {
      sink,
      table,
      close: async () => {
        await dropTables(sink, [table]);
        await sink.close();
      },
    };
  });
});
