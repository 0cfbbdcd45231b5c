// The load progress table: its statements pass CrateDB's grammar, and the
// store keeps a job's cut, parts and per-part positions across runs on a live
// PostgreSQL, and on a live CrateDB where CRATEDB_URL is set; a fresh start
// forgets an earlier job's progress, other jobs' rows stay.

import { sqlparse } from "@cratedb/cratedb-sqlparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoadProgressStore } from "../../src/load/progress-store.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import {
  clearLoadProgress,
  createLoadProgressTable,
  loadLoadProgress,
  saveLoadProgress,
} from "../../src/sql/load-progress.ts";
import { postgresql } from "../../src/sql/postgresql.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const crateUrl = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set CRATEDB_URL=http://127.0.0.1:4200 to run it";
if (!crateUrl) console.log(`progress-store.test.ts, CrateDB part skipped: ${SKIP_REASON}`);

describe("load progress statements", () => {
  for (const dialect of [postgresql, cratedb]) {
    const statements = [
      createLoadProgressTable(dialect),
      saveLoadProgress(dialect, "job'1", "data/a.json.gz", {
        position: "12",
        items: 12,
        finished: false,
      }),
      loadLoadProgress(dialect, "job'1"),
      clearLoadProgress(dialect, "job'1"),
    ];
    it(`${dialect.name}: values are bound parameters, one per placeholder`, () => {
      for (const s of statements) {
        expect(s.sql).not.toContain("job'1");
        const placeholders =
          dialect.name === "postgresql"
            ? new Set(s.sql.match(/\$\d+/g)).size
            : (s.sql.match(/\?/g) ?? []).length;
        expect(placeholders, s.sql).toBe(s.params.length);
      }
    });
    if (dialect.name === "cratedb") {
      it("cratedb: every statement passes CrateDB's grammar", () => {
        for (const s of statements) expect(() => sqlparse(s.sql, true), s.sql).not.toThrow();
      });
    }
  }
});

function storeRoundTrip(sink: () => Sink) {
  it("keeps the job's cut and parts and each part's position; a fresh start forgets them, other jobs stay", async () => {
    const job = `dynamodb://t_${process.pid}_${Date.now()} -> orders`;
    const other = `${job}-other`;
    const store = new LoadProgressStore(sink(), job);
    expect(await store.load()).toBeUndefined();
    const record = { cutMs: 1_700_000_000_000, parts: ["0", "1"] };
    await store.start(record);
    await store.save("0", { position: '{"id":{"S":"k9"}}', items: 40, finished: false });
    await store.save("1", { position: undefined, items: 7, finished: true });
    const otherStore = new LoadProgressStore(sink(), other);
    await otherStore.start({ cutMs: 1, parts: ["x"] });

    const loaded = await store.load();
    expect(loaded?.job).toEqual(record);
    expect(loaded?.finished).toBe(false);
    expect(loaded?.parts).toEqual(
      new Map([
        ["0", { position: '{"id":{"S":"k9"}}', items: 40, finished: false }],
        ["1", { position: undefined, items: 7, finished: true }],
      ]),
    );
    await store.finish(record, 47);
    expect((await store.load())?.finished).toBe(true);

    await store.start({ cutMs: 2, parts: ["0"] });
    expect((await store.load())?.parts.size).toBe(0);
    expect((await otherStore.load())?.job).toEqual({ cutMs: 1, parts: ["x"] });
  });
}

describe("LoadProgressStore on PostgreSQL", () => {
  let target: PgTarget;
  beforeAll(async () => {
    target = await pgTarget();
  });
  afterAll(async () => {
    await target?.close();
  });
  storeRoundTrip(() => target.sink);
});

describe.skipIf(!crateUrl)(
  `LoadProgressStore on CrateDB (${crateUrl ? "live" : `skipped: ${SKIP_REASON}`})`,
  () => {
    let sink: Sink;
    beforeAll(async () => {
      sink = await openSink(crateUrl as string);
    });
    afterAll(async () => {
      await sink?.close();
    });
    storeRoundTrip(() => sink);
  },
);
