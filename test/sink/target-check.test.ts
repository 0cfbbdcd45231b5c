// A relation dynacrate did not create is never replaced or written to: a
// user's table (with rows) of the target's name, a view over something else,
// a state-table name taken by another layout. Checked on PostgreSQL and, where
// CRATEDB_URL is set, on a live CrateDB, through the library, and through
// `dynacrate replay` as users run it (exit 2 before the first record).

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ConfigError } from "../../src/errors.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { checkSetUp } from "../../src/sink/set-up-check.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { checkTarget } from "../../src/sink/target-check.ts";
import { historyTable } from "../../src/sql/history.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const run = promisify(execFile);
const BIN = new URL("../../bin/dynacrate.js", import.meta.url).pathname;
const crateUrl = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run the CrateDB half";
if (!crateUrl) console.log(`target-check.test.ts: CrateDB cases skipped: ${SKIP_REASON}`);

interface Database {
  url: string;
  sink: Sink;
  table(prefix: string): TableName;
  /** The DDL of a user's table with a text column and an integer column. */
  userTable(name: string): string;
  /** Makes written rows visible to a count (CrateDB refreshes about once a second). */
  refresh(name: string): Promise<void>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dynacrate-target-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SUFFIX = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
let counter = 0;

async function replayCli(url: string, table: string): Promise<{ code: number; stderr: string }> {
  const file = join(dir, `capture-${++counter}.ndjson`);
  const record = kinesisDynamoRecord({
    keys: { id: { S: "k1" } },
    newImage: { id: { S: "k1" }, v: { N: "1" } },
    micros: 1_720_000_000_000_001,
  });
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  try {
    const { stderr } = await run(
      process.execPath,
      [BIN, "replay", file, "--table", table, "--key", "id:S"],
      { env: { ...process.env, TARGET_URL: url } },
    );
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

function suite(name: string, open: () => Promise<Database & { close(): Promise<void> }>) {
  describe(name, () => {
    let db: Database & { close(): Promise<void> };
    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.close();
    });

    async function userRows(relation: string): Promise<number> {
      await db.refresh(relation);
      const rows = await db.sink.query<{ n: number | string }>({
        sql: `SELECT count(*) AS n FROM ${db.sink.dialect.quoteIdentifier(relation)}`,
        params: [],
      });
      return Number(rows[0]?.n);
    }

    async function userTableWithRows(name: string): Promise<void> {
      const q = db.sink.dialect.quoteIdentifier(name);
      await db.sink.query({ sql: db.userTable(name), params: [] });
      for (const [i, text] of ["one", "two", "three"].entries()) {
        await db.sink.query({
          sql: `INSERT INTO ${q} (name, n) VALUES (${db.sink.dialect.name === "cratedb" ? "?, ?" : "$1, $2"})`,
          params: [text, i],
        });
      }
    }

    it("refuses a user's table of the view's name, at start-up and in ensureTable; its rows stay", async () => {
      const table = db.table("users_table");
      await userTableWithRows(table.name);
      const error = await checkTarget(db.sink, table).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("exists already as a table");
      expect((error as Error).message).toContain("choose another --table");
      expect((error as Error).message).toContain(`rename it to ${table.name}__state`);
      await expect(db.sink.ensureTable(table, [{ name: "id", type: "S" }])).rejects.toThrow(
        ConfigError,
      );
      expect(await userRows(table.name)).toBe(3);
      // Nothing was created beside it either.
      const relations = await db.sink.query(db.sink.dialect.lookupRelations(table));
      expect(relations.map((r) => r.name)).toEqual([table.name]);
    });

    it("dynacrate replay exits 2 before the first record, naming the options; the rows stay", async () => {
      const table = db.table("cli_table");
      await userTableWithRows(table.name);
      const { code, stderr } = await replayCli(db.url, table.name);
      expect(code).toBe(2);
      expect(stderr).toContain(`${table.name} exists already as a table`);
      expect(stderr).toContain("choose another --table");
      expect(await userRows(table.name)).toBe(3);
    });

    it("with --history, refuses a user's table of the history table's name, in the pipeline and at start-up; its rows stay", async () => {
      const table = db.table("users_history");
      const history = historyTable(table).name;
      await userTableWithRows(history);
      const pipeline = new ApplyPipeline(db.sink, {
        table,
        keySchema: [{ name: "id", type: "S" }],
        history: {},
      });
      const result = await pipeline.apply(
        sourceRecords(
          kinesisDynamoRecord({
            keys: { id: { S: "k1" } },
            newImage: { id: { S: "k1" } },
            micros: 1_720_000_000_000_001,
          }),
        ),
      );
      expect(result.failed.map((f) => [f.permanent, f.error.message])).toEqual([
        [
          false,
          expect.stringContaining(
            `${history} exists already as a table without dynacrate's columns`,
          ),
        ],
      ]);
      const error = await checkSetUp(db.sink, { targets: [table], history: true }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain("dynacrate leaves it untouched");
      expect(await userRows(history)).toBe(3);
    });

    it("refuses a view of that name over something else, and a state-table name without the layout", async () => {
      const table = db.table("other_view");
      const source = `${table.name}_src`;
      await userTableWithRows(source);
      const q = db.sink.dialect.quoteIdentifier;
      await db.sink.query({
        sql: `CREATE VIEW ${q(table.name)} AS SELECT name AS pk, name AS data, name AS aux FROM ${q(source)}`,
        params: [],
      });
      await expect(checkTarget(db.sink, table)).rejects.toThrow(/over something other than/);

      const taken = db.table("taken_state");
      await userTableWithRows(stateTable(taken).name);
      await expect(checkTarget(db.sink, taken)).rejects.toThrow(
        /without dynacrate's layout \(no column pk, data, aux, version, deleted, updated_at\)/,
      );
      expect(await userRows(stateTable(taken).name)).toBe(3);
      expect(await userRows(source)).toBe(3);
    });

    it("adopts its own layout: a second ensureTable and a check after it pass", async () => {
      const table = db.table("own");
      await db.sink.ensureTable(table, [{ name: "id", type: "S" }]);
      const state = await checkTarget(db.sink, table);
      expect(state.viewExists).toBe(true);
      expect(state.stateColumns?.map((c) => c.column_name)).toEqual(
        expect.arrayContaining(["pk", "data", "aux", "version", "deleted", "updated_at"]),
      );
      const { code } = await replayCli(db.url, table.name);
      expect(code).toBe(0);
    });
  });
}

suite("PostgreSQL", async () => {
  const target: PgTarget = await pgTarget();
  return {
    url: target.url,
    sink: target.sink,
    table: (prefix) => target.table(prefix),
    userTable: (name) => `CREATE TABLE "${name}" (name text, n integer)`,
    refresh: async () => {},
    close: () => target.close(),
  };
});

describe.skipIf(!crateUrl)(`CrateDB (${crateUrl ? "live" : `skipped: ${SKIP_REASON}`})`, () => {
  const created: string[] = [];
  suite("live CrateDB", async () => {
    const sink = createCrateDbHttpSink({
      url: crateUrl as string,
      retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000 },
    });
    return {
      url: crateUrl as string,
      sink,
      table: (prefix) => {
        const name = `dc_${prefix}_${SUFFIX}_${++counter}`;
        created.push(`${name}__history`, `${name}__state`, name);
        return { schema: undefined, name };
      },
      userTable: (name) => {
        created.push(name);
        return `CREATE TABLE "${name}" (name TEXT, n INTEGER)`;
      },
      refresh: async (name) => {
        await sink.query({ sql: `REFRESH TABLE "${name}"`, params: [] });
      },
      close: async () => {
        for (const name of created.reverse()) {
          await sink.query({ sql: `DROP VIEW IF EXISTS "${name}"`, params: [] }).catch(() => {});
          await sink.query({ sql: `DROP TABLE IF EXISTS "${name}"`, params: [] }).catch(() => {});
        }
        await sink.close();
      },
    };
  });
});
