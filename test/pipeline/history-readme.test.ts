// The README's history queries ("The change history"), run as written against
// a history dynacrate wrote: on PostgreSQL, and on a live CrateDB where
// CRATEDB_URL is set. The CrateDB history also holds what its typed columns
// could not (an attribute changing type, a name with a dot and a tab, a string
// over the 32 KB term limit), read back whole.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { historyTable } from "../../src/sql/history.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { liveCrateDb } from "../support/live-cratedb.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`history-readme.test.ts, CrateDB half skipped: ${SKIP_REASON}`);

/** The README's history queries for one database, in order: as of, changes of one key, seconds between statuses. */
function readmeQueries(database: "CrateDB" | "PostgreSQL"): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(
    readme.indexOf("## The change history"),
    readme.indexOf("## `dynacrate load`"),
  );
  const lines = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] as string).split("\n"),
  );
  const queries: string[] = [];
  for (let i = 0; i < lines.length; i++)
    if ((lines[i] as string).startsWith(`-- ${database}:`))
      queries.push((lines[i + 1] as string).replace(/;$/, ""));
  return queries;
}

const CUT = Date.parse("2026-12-01T00:00:00Z") * 1000;
const S = 1_000_000;
const LONG = "x".repeat(40_000);

const order = (id: string, status: string, extra: AttributeMap = {}): AttributeMap => ({
  id: { S: id },
  status: { S: status },
  ...extra,
});
/** Values CrateDB's typed columns could not hold in one column: the history keeps them whole. */
const odd = (n: number): AttributeMap =>
  n === 0
    ? { note: { N: "42" }, "a.b": { S: "dot" }, "t\tab": { BOOL: true } }
    : { note: { M: { text: { S: LONG } } }, "a.b": { L: [{ N: "1" }, { S: "two" }] } };

function history(): unknown[] {
  const change = (
    eventID: string,
    id: string,
    micros: number,
    newImage?: AttributeMap,
    oldImage?: AttributeMap,
  ) =>
    kinesisDynamoRecord({
      eventID,
      eventName: newImage === undefined ? "REMOVE" : oldImage === undefined ? "INSERT" : "MODIFY",
      keys: { id: { S: id } },
      ...(newImage ? { newImage } : {}),
      ...(oldImage ? { oldImage } : {}),
      micros,
    });
  const records = [
    change("o1-1", "o1", CUT - 100 * S, order("o1", "placed")),
    change("o3-1", "o3", CUT - 60 * S, order("o3", "placed")),
    change("o2-1", "o2", CUT - 50 * S, order("o2", "placed", odd(0))),
    change("o1-2", "o1", CUT - 10 * S, order("o1", "shipped"), order("o1", "placed")),
    change("o3-2", "o3", CUT - 5 * S, undefined, order("o3", "placed")),
    change("o4-1", "o4", CUT + 1 * S, order("o4", "placed")),
    change(
      "o2-2",
      "o2",
      CUT + 30 * S,
      order("o2", "shipped", odd(1)),
      order("o2", "placed", odd(0)),
    ),
    change("o1-3", "o1", CUT + 50 * S, undefined, order("o1", "shipped")),
  ];
  // Delivered twice, the second time in reverse: nothing is stored twice.
  return [...lambdaKinesisEvent(records).Records, ...lambdaKinesisEvent(records).Records.reverse()];
}

async function write(sink: Sink, table: TableName): Promise<void> {
  const pipeline = new ApplyPipeline(sink, {
    table,
    keySchema: [{ name: "id", type: "S" }],
    history: {},
  });
  const records = history();
  for (let at = 0; at < records.length; at += 5) {
    const result = await pipeline.apply(records.slice(at, at + 5).flatMap((r) => sourceRecords(r)));
    expect(result.failed.map((f) => f.error.message)).toEqual([]);
  }
  const refresh = sink.dialect.refresh(historyTable(table));
  if (refresh) await sink.query(refresh);
}

async function runQueries(
  sink: Sink,
  table: TableName,
  database: "CrateDB" | "PostgreSQL",
): Promise<Record<string, unknown>[][]> {
  const queries = readmeQueries(database);
  expect(queries).toHaveLength(3);
  const name = sink.dialect.quoteTable(historyTable(table));
  return Promise.all(
    queries.map((query) =>
      sink.query<Record<string, unknown>>({
        sql: query.replace(/\borders__history\b/, name),
        params: [],
      }),
    ),
  );
}

/** What the three queries must answer, whatever the database. */
function expectAnswers([asOf, changes, seconds]: Record<string, unknown>[][]): void {
  const statusOf = (row: Record<string, unknown>) =>
    [(row.pk as { id: string }).id, (row.new_image as { status: string }).status] as const;
  expect(new Map((asOf ?? []).map(statusOf))).toEqual(
    new Map([
      ["o1", "shipped"],
      ["o2", "placed"],
    ]),
  );
  expect((changes ?? []).map((r) => [r.operation, r.status ?? null, r.was ?? null])).toEqual([
    ["insert", "placed", null],
    ["modify", "shipped", "placed"],
    ["remove", null, "shipped"],
  ]);
  expect(
    new Map(
      (seconds ?? []).map((r) => [r.id, r.seconds === null ? null : Number(r.seconds)] as const),
    ),
  ).toEqual(
    new Map([
      ["o1", 90],
      ["o2", 80],
      ["o3", null],
      ["o4", null],
    ]),
  );
}

describe("the README's history queries on PostgreSQL", () => {
  let target: PgTarget;
  beforeAll(async () => {
    target = await pgTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it("answer as the README says: as of a time, the changes of one item, the time between two statuses", async () => {
    const table = target.table("readme");
    await write(target.sink, table);
    expectAnswers(await runQueries(target.sink, table, "PostgreSQL"));
  });

  it("keeps the changes of an item whose key is as long as DynamoDB allows (2,048 + 1,024 bytes)", async () => {
    // A b-tree entry holds at most about 2.7 KB: an index on the key text
    // would refuse this change (it did before).
    const table = target.table("long_key");
    // Text that does not compress (PostgreSQL compresses a long index entry).
    let seed = 7;
    const random = (length: number) =>
      Array.from({ length }, () => {
        seed = (seed * 48271) % 2147483647;
        return String.fromCharCode(33 + (seed % 90));
      }).join("");
    const keys = { id: { S: random(2048) }, sk: { S: random(1024) } };
    const pipeline = new ApplyPipeline(target.sink, {
      table,
      keySchema: [
        { name: "id", type: "S" },
        { name: "sk", type: "S" },
      ],
      history: {},
    });
    const records = [1, 2].map((n) =>
      kinesisDynamoRecord({
        eventID: `long-${n}`,
        eventName: n === 1 ? "INSERT" : "MODIFY",
        keys,
        newImage: { ...keys, n: { N: String(n) } },
        micros: CUT + n * S,
      }),
    );
    const result = await pipeline.apply(
      lambdaKinesisEvent(records).Records.flatMap((r) => sourceRecords(r)),
    );
    expect(result.failed.map((f) => f.error.message)).toEqual([]);
    const rows = await target.sink.query<{ n: number }>({
      sql: `SELECT count(*)::int AS n FROM ${target.sink.dialect.quoteTable(historyTable(table))}`,
      params: [],
    });
    expect(rows[0]?.n).toBe(2);
  });
});

describe.skipIf(!url)(
  `the README's history queries on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`,
  () => {
    const live = liveCrateDb(url);

    it("answer as the README says: as of a time, the changes of one item, the time between two statuses", async () => {
      const table = live.fresh("readme");
      await write(live.sink, table);
      expectAnswers(await runQueries(live.sink, table, "CrateDB"));
    });

    it("the history table takes the state tables' refresh interval, and its partition unit", async () => {
      const table = live.fresh("settings");
      const pipeline = new ApplyPipeline(live.sink, {
        table,
        keySchema: [{ name: "id", type: "S" }],
        history: { partition: "day", settings: { refreshIntervalMs: 250 } },
      });
      const result = await pipeline.apply(sourceRecords(history()[0]));
      expect(result.failed).toEqual([]);
      const [ddl] = await live.sink.query<{ ddl: string }>({
        sql: `SHOW CREATE TABLE ${live.sink.dialect.quoteTable(historyTable(table))}`,
        params: [],
      });
      const text = Object.values(ddl ?? {})[0] as string;
      expect(text).toMatch(/\brefresh_interval"? = 250\b/);
      expect(text).toContain("date_trunc('day', \"changed_at\")");
    });

    it("keep an image whole: an attribute changing type, names with a dot and a tab, a string over 32 KB", async () => {
      const table = live.fresh("whole");
      await write(live.sink, table);
      const rows = await live.sink.query<{ new_image: string; old_image: string | null }>({
        sql: `SELECT CAST(new_image AS TEXT) AS new_image, CAST(old_image AS TEXT) AS old_image FROM ${live.sink.dialect.quoteTable(historyTable(table))} WHERE pk['id'] = 'o2' ORDER BY version`,
        params: [],
      });
      expect(rows.map((r) => JSON.parse(r.new_image))).toEqual([
        { status: "placed", note: 42, "a.b": "dot", "t\tab": true },
        { status: "shipped", note: { text: LONG }, "a.b": [1, "two"] },
      ]);
      expect(rows[1]?.old_image && JSON.parse(rows[1].old_image)).toEqual({
        status: "placed",
        note: 42,
        "a.b": "dot",
        "t\tab": true,
      });
    });
  },
);
