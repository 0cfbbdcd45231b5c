// A replay with --history, into a real PostgreSQL: the next batch's changes
// go into the history while this batch's rows are written (its history
// append starts before this batch's write ends), each change's history row
// still before its row; and a replay that stops returns only once that
// append is over, so nothing is written after it returns.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replay } from "../../src/replay/replay.ts";
import { ReplayStopped } from "../../src/replay/resume.ts";
import { singleTable } from "../../src/routing/table-routes.ts";
import type { Sink, WriteResult } from "../../src/sink/sink.ts";
import { SinkError } from "../../src/sink/sink-error.ts";
import { historyTable } from "../../src/sql/history.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
let dir: string;
let file: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-ahead-"));
  file = join(dir, "changes.ndjson");
  const lines = ["a", "b", "c", "d"].map((id, i) =>
    JSON.stringify(
      kinesisDynamoRecord({
        eventID: `e-${id}`,
        keys: { id: { S: id } },
        newImage: { id: { S: id }, n: { N: String(i) } },
        micros: 1_765_000_000_000_000 + i * 1000,
      }),
    ),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await target?.close();
});

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The batch (1 or 2) of the change ids given: the first batch holds e-a and e-b. */
const batchOf = (ids: (string | undefined)[]): number =>
  ids.some((id) => id === "e-a" || id === "e-b") ? 1 : 2;

/**
 * The test's sink over the real one: it notes each history append and state
 * write by its batch, and `aroundWrite` / `aroundHistory` may hold or fail them.
 */
function watchedSink(hooks: {
  aroundWrite: (batch: number, write: () => Promise<WriteResult>) => Promise<WriteResult>;
  aroundHistory: (batch: number, append: () => Promise<void>) => Promise<void>;
}) {
  const events: string[] = [];
  const real = target.sink;
  const sink: Sink = {
    dialect: real.dialect,
    ensureTable: (table, keys) => real.ensureTable(table, keys),
    query: (statement) => real.query(statement),
    close: async () => {},
    async write(table, rows, keys) {
      const n = batchOf(rows.map((r) => r.change.eventId));
      events.push(`write ${n}`);
      const result = await hooks.aroundWrite(n, () => real.write(table, rows, keys));
      events.push(`written ${n}`);
      return result;
    },
    async appendHistory(table, rows) {
      const n = batchOf(rows.map((r) => r.id));
      events.push(`history ${n}`);
      let failed = new Map<number, SinkError>();
      await hooks.aroundHistory(n, async () => {
        failed = await real.appendHistory(table, rows);
      });
      events.push(`appended ${n}`);
      return failed;
    },
  };
  return { sink, events };
}

/** The capture replayed with --history in batches of two: a, b, then c, d. */
const replayInBatchesOfTwo = (sink: Sink, table: TableName) =>
  replay({
    file,
    sink,
    routes: singleTable(table),
    keySchema: [{ name: "id", type: "S" }],
    history: {},
    batchSize: 2,
  });

describe("a replay with --history", () => {
  it("appends the next batch's changes to the history while this batch's rows are written", async () => {
    const table = target.table("ahead");
    const secondAppend = signal();
    const { sink, events } = watchedSink({
      // The first batch's write waits for the second batch's history append
      // to start (appended after the write, it would not: the test then times out).
      async aroundWrite(n, write) {
        if (n === 1) await secondAppend.promise;
        return write();
      },
      async aroundHistory(n, append) {
        if (n === 2) secondAppend.resolve();
        await append();
      },
    });
    const summary = await replayInBatchesOfTwo(sink, table);
    expect(summary).toMatchObject({ records: 4, applied: 4, failed: 0 });
    expect(events.indexOf("history 2")).toBeLessThan(events.indexOf("written 1"));
    // Each batch's history before its rows.
    expect(events.indexOf("appended 1")).toBeLessThan(events.indexOf("write 1"));
    expect(events.indexOf("appended 2")).toBeLessThan(events.indexOf("write 2"));
    const stored = await target.sink.query<{ change_id: string }>({
      sql: `SELECT change_id FROM ${target.sink.dialect.quoteTable(historyTable(table))} ORDER BY change_id`,
      params: [],
    });
    expect(stored.map((r) => r.change_id)).toEqual(["e-a", "e-b", "e-c", "e-d"]);
    expect([...(await target.live(table)).keys()].sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("stops only once the next batch's history append is over", async () => {
    const table = target.table("ahead_stop");
    const firstWriteFailed = signal();
    let secondAppendOver = false;
    const { sink } = watchedSink({
      async aroundWrite(n, write) {
        if (n === 1) {
          firstWriteFailed.resolve();
          throw new SinkError("fatal", "the database refuses this user's writes", "42501");
        }
        return write();
      },
      // The second batch's append goes on after the first batch's write failed.
      async aroundHistory(n, append) {
        if (n === 2) await firstWriteFailed.promise;
        await append();
        if (n === 2) secondAppendOver = true;
      },
    });
    const stopped = replayInBatchesOfTwo(sink, table);
    await expect(stopped).rejects.toBeInstanceOf(ReplayStopped);
    expect(secondAppendOver).toBe(true);
  });
});
