// `dynacrate replay --history` as a user runs it, into a live PostgreSQL: every
// change once in <table>__history (a replay of the same file twice adds
// nothing), its operation (a TTL delete marked), its images and its time; a
// relation of the name that dynacrate did not create stops the run untouched;
// MongoDB change events kept alike, and a full load's items as snapshot rows.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotChange, snapshotMicros } from "../../src/codec/snapshot.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { historyTable } from "../../src/sql/history.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type CliResult, dynacrate } from "./cli-run.ts";

let target: PgTarget;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-history-"));
});
afterAll(async () => {
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

const replay = (args: string[]): Promise<CliResult> =>
  dynacrate(["replay", ...args], { TARGET_URL: target.url });

const T0 = 1_765_000_000_000_000;
const item = (id: string, status: string, price: string) => ({
  id: { S: id },
  status: { S: status },
  price: { N: price },
});

function capture(): string {
  const placed = item("o1", "placed", "12345678901234567890.5");
  const shipped = item("o1", "shipped", "12345678901234567890.5");
  const lines = [
    kinesisDynamoRecord({ eventID: "e1", keys: { id: { S: "o1" } }, newImage: placed, micros: T0 }),
    kinesisDynamoRecord({
      eventID: "e2",
      eventName: "MODIFY",
      keys: { id: { S: "o1" } },
      newImage: shipped,
      oldImage: placed,
      micros: T0 + 90_000_123,
    }),
    kinesisDynamoRecord({
      eventID: "e3",
      eventName: "REMOVE",
      keys: { id: { S: "o1" } },
      oldImage: shipped,
      ttl: true,
      micros: T0 + 200_000_000,
    }),
    kinesisDynamoRecord({
      eventID: "e4",
      keys: { id: { S: "o2" } },
      newImage: item("o2", "placed", "7"),
      micros: T0 + 5,
    }),
  ];
  const file = join(dir, `capture-${Date.now()}.ndjson`);
  writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return file;
}

describe("dynacrate replay --history", () => {
  it("keeps every change once, with its operation, images and time; a second replay adds nothing", async () => {
    const table = target.table("hist");
    const file = capture();
    for (let i = 0; i < 2; i++) {
      const result = await replay([file, "--table", table.name, "--history"]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
    const rows = await target.sink.query<Record<string, unknown>>({
      sql:
        "SELECT change_id, pk->>'id' AS id, operation, ttl_delete, changed_micros::text AS micros, " +
        "to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at, " +
        "new_image::text AS new_image, old_image->>'status' AS old_status " +
        `FROM ${target.sink.dialect.quoteTable(historyTable(table))} ORDER BY key, version`,
      params: [],
    });
    expect(rows).toEqual([
      {
        change_id: "e1",
        id: "o1",
        operation: "insert",
        ttl_delete: false,
        micros: String(T0),
        at: "2025-12-06 05:46:40.000000",
        new_image: '{"price": 12345678901234567890.5, "status": "placed"}',
        old_status: null,
      },
      {
        change_id: "e2",
        id: "o1",
        operation: "modify",
        ttl_delete: false,
        micros: String(T0 + 90_000_123),
        at: "2025-12-06 05:48:10.000123",
        new_image: '{"price": 12345678901234567890.5, "status": "shipped"}',
        old_status: "placed",
      },
      {
        change_id: "e3",
        id: "o1",
        operation: "remove",
        ttl_delete: true,
        micros: String(T0 + 200_000_000),
        at: "2025-12-06 05:50:00.000000",
        new_image: null,
        old_status: "shipped",
      },
      {
        change_id: "e4",
        id: "o2",
        operation: "insert",
        ttl_delete: false,
        micros: String(T0 + 5),
        at: "2025-12-06 05:46:40.000005",
        new_image: '{"price": 7, "status": "placed"}',
        old_status: null,
      },
    ]);
    // The state table keeps the newest state only.
    expect([...(await target.live(table)).keys()]).toEqual(["o2"]);
  });

  it("a relation named like the history table that dynacrate did not create stops the run, untouched", async () => {
    const table = target.table("taken");
    const history = target.sink.dialect.quoteTable(historyTable(table));
    await target.sink.query({ sql: `CREATE TABLE ${history} (note text)`, params: [] });
    await target.sink.query({ sql: `INSERT INTO ${history} VALUES ('mine')`, params: [] });
    const result = await replay([capture(), "--table", table.name, "--history"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${historyTable(table).name} exists already as a table without dynacrate's columns (no change_id`,
    );
    expect(result.stderr).toContain("dynacrate leaves it untouched");
    expect(await target.sink.query({ sql: `SELECT note FROM ${history}`, params: [] })).toEqual([
      { note: "mine" },
    ]);
    // Nothing else was created either.
    expect(
      await target.sink.query({
        sql: "SELECT to_regclass($1) AS found",
        params: [target.sink.dialect.quoteTable({ ...table, name: `${table.name}__state` })],
      }),
    ).toEqual([{ found: null }]);
  });

  it("--history-partition without --history is refused", async () => {
    const result = await replay([capture(), "--table", "x", "--history-partition", "day"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--history-partition partitions the table of --history");
  });

  it("keeps MongoDB change events by their resume token: the full document, the update's description, the pre-image", async () => {
    const table = target.table("mongohist");
    const token = (i: number) => `8266A00000${String(i).padStart(8, "0")}2B022C0100296E5A1004`;
    const event = (type: string, i: number, doc?: Record<string, unknown>) => ({
      _id: { _data: token(i) },
      operationType: type,
      clusterTime: { $timestamp: { t: 1721140162, i } },
      wallTime: { $date: { $numberLong: String(1721140162000 + i) } },
      ns: { db: "shop", coll: "orders" },
      documentKey: { _id: { $numberInt: "7" } },
      ...(doc ? { fullDocument: doc } : {}),
    });
    const doc = (status: string) => ({ _id: { $numberInt: "7" }, status });
    const events = [
      event("insert", 1, doc("placed")),
      {
        ...event("update", 2, doc("shipped")),
        updateDescription: { updatedFields: { status: "shipped" }, removedFields: ["note"] },
        fullDocumentBeforeChange: doc("placed"),
      },
      event("delete", 3),
    ];
    const file = join(dir, "mongodb-history.ndjson");
    // Redelivered, the second time in reverse.
    writeFileSync(
      file,
      `${[...events, ...events.reverse()].map((e) => JSON.stringify(e)).join("\n")}\n`,
    );
    const result = await replay([file, "--format", "mongodb", "--table", table.name, "--history"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const rows = await target.sink.query<Record<string, unknown>>({
      sql: `SELECT change_id, operation, new_image->>'status' AS status, old_image->>'status' AS was, update_description::text AS described, changed_micros::text AS micros FROM ${target.sink.dialect.quoteTable(historyTable(table))} ORDER BY version`,
      params: [],
    });
    const none = { was: null, described: null };
    expect(rows).toEqual([
      {
        change_id: token(1),
        operation: "insert",
        status: "placed",
        ...none,
        micros: "1721140162001000",
      },
      {
        change_id: token(2),
        operation: "modify",
        status: "shipped",
        was: "placed",
        described: '{"removedFields": ["note"], "updatedFields": {"status": "shipped"}}',
        micros: "1721140162002000",
      },
      {
        change_id: token(3),
        operation: "remove",
        status: null,
        ...none,
        micros: "1721140162003000",
      },
    ]);
  });

  it("a history table of the earlier release (no update_description) gains the column and keeps its rows", async () => {
    const table = target.table("oldhist");
    const history = target.sink.dialect.quoteTable(historyTable(table));
    for (const statement of target.sink.dialect.history.create(table, "month"))
      await target.sink.query(statement);
    await target.sink.query({
      sql: `ALTER TABLE ${history} DROP COLUMN update_description`,
      params: [],
    });
    await target.sink.query({
      sql: `INSERT INTO ${history} (change_id, key, pk, operation, ttl_delete, changed_at, changed_micros, version, position, ref, recorded_at) VALUES ('kept', 'k', '{}', 'insert', false, now(), 1, 'v', NULL, 'r', now())`,
      params: [],
    });
    const result = await replay([capture(), "--table", table.name, "--key", "id:S", "--history"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const rows = await target.sink.query<{ change_id: string; described: string | null }>({
      sql: `SELECT change_id, update_description::text AS described FROM ${history} WHERE change_id = 'kept'`,
      params: [],
    });
    expect(rows).toEqual([{ change_id: "kept", described: null }]);
    const count = await target.sink.query<{ n: number }>({
      sql: `SELECT count(*)::int AS n FROM ${history}`,
      params: [],
    });
    expect(count[0]?.n).toBeGreaterThan(1);
  });

  it("writes a full load's items as snapshot rows, once however often they are loaded", async () => {
    const table = target.table("snaphist");
    const cutMs = Date.parse("2026-12-07T12:00:00Z");
    const item = { id: { S: "s1" }, status: { S: "placed" } };
    const pipeline = new ApplyPipeline(target.sink, {
      table,
      keySchema: [{ name: "id", type: "S" }],
      history: {},
    });
    for (let i = 0; i < 2; i++) {
      const record = {
        payload: item,
        ref: "item 1",
        change: snapshotChange(item, { keyNames: ["id"], cutMs }, "item 1"),
      };
      expect((await pipeline.apply([record])).failed).toEqual([]);
    }
    const rows = await target.sink.query<Record<string, unknown>>({
      sql: `SELECT change_id, operation, new_image->>'status' AS status, changed_micros::text AS micros FROM ${target.sink.dialect.quoteTable(historyTable(table))}`,
      params: [],
    });
    expect(rows).toEqual([
      {
        change_id: expect.stringMatching(/^snapshot [0-9a-f]{64}$/),
        operation: "snapshot",
        status: "placed",
        micros: String(snapshotMicros(cutMs)),
      },
    ]);
  });
});
