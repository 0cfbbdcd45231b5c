// The refresh interval of the tables dynacrate creates on CrateDB (how soon a
// replicated row shows in queries): from the command line, the Lambda
// function's environment and the sink's options into the CREATE TABLE, refused
// where it can not work, and, where CRATEDB_URL is set, read back from a live
// CrateDB's information_schema.

import { afterAll, afterEach, describe, expect, it } from "vitest";
import { parse, SINK_OPTIONS, sinkOptions } from "../../src/cli/args.ts";
import { ConfigError } from "../../src/errors.ts";
import { readConfig } from "../../src/lambda/config.ts";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { parseTableName, stateTable, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { type FakeCrateDb, startFakeCrateDb } from "../support/fake-cratedb.ts";

const KEYS = [{ name: "id", type: "S" as const }];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe("the refresh interval option", () => {
  it("is written into the state table's CREATE TABLE beside the replica setting, and passes CrateDB's grammar", () => {
    const [create] = cratedb.createTable(parseTableName("orders"), KEYS, {
      refreshIntervalMs: 200,
    });
    expect(create?.sql).toMatch(/\) WITH \(number_of_replicas = '0-1', refresh_interval = 200\)$/);
    expect(cratedb.createTable(parseTableName("orders"), KEYS)[0]?.sql).not.toContain(
      "refresh_interval",
    );
  });

  it("reaches the state table the sink creates, and a bad value is refused when the sink is made", async () => {
    const fake: FakeCrateDb = await startFakeCrateDb();
    closers.push(() => fake.close());
    const sink = createCrateDbHttpSink({ url: fake.url, refreshIntervalMs: 250 });
    closers.push(() => sink.close());
    await sink.ensureTable(parseTableName("orders"), KEYS);
    const creates = fake.requests.filter((r) => r.stmt?.startsWith("CREATE TABLE"));
    expect(creates.map((r) => r.stmt)).toEqual([
      expect.stringMatching(/WITH \(number_of_replicas = '0-1', refresh_interval = 250\)$/),
    ]);
    for (const bad of [0, -5, 1.5])
      expect(
        () => createCrateDbHttpSink({ url: fake.url, refreshIntervalMs: bad }),
        String(bad),
      ).toThrow(ConfigError);
  });

  it("comes from --refresh-interval-ms and SINK_REFRESH_INTERVAL_MS, each checked, and PostgreSQL refuses it", async () => {
    expect(sinkOptions({ "refresh-interval-ms": "200" })).toEqual({ refreshIntervalMs: 200 });
    // Checked by the option's spec as the command line is parsed, before anything runs.
    expect(() => parse(["--refresh-interval-ms", "0"], SINK_OPTIONS)).toThrow(
      /--refresh-interval-ms/,
    );
    const env = { TARGET_URL: "crate://crate@localhost:4200", TARGET_TABLE: "orders" };
    expect(readConfig(env).refreshIntervalMs).toBeUndefined();
    expect(readConfig({ ...env, SINK_REFRESH_INTERVAL_MS: "200" }).refreshIntervalMs).toBe(200);
    expect(() => readConfig({ ...env, SINK_REFRESH_INTERVAL_MS: "soon" })).toThrow(
      /SINK_REFRESH_INTERVAL_MS/,
    );
    await expect(
      openSink("postgresql://u:p@localhost:5432/db", { refreshIntervalMs: 200 }),
    ).rejects.toThrow(/is for CrateDB/);
  });
});

const url = process.env.CRATEDB_URL;
const SKIP_REASON = "CRATEDB_URL is not set, so no live CrateDB is available";
if (!url) console.log(`cratedb-refresh-interval.test.ts (live part) skipped: ${SKIP_REASON}`);

describe.skipIf(!url)(
  `on a live CrateDB (${url ? "CRATEDB_URL" : `skipped: ${SKIP_REASON}`})`,
  () => {
    const table: TableName = { schema: undefined, name: `refresh_interval_${Date.now()}` };
    let sink: Sink | undefined;
    afterAll(async () => {
      if (sink) await dropTables(sink, [table]);
      await sink?.close();
    });

    it("the state table holds the refresh interval asked for, and one replica at most", async () => {
      sink = await openSink(url as string, { refreshIntervalMs: 200 });
      await sink.ensureTable(table, KEYS);
      const [settings] = await sink.query<{ refresh: number; replicas: string }>({
        sql:
          "SELECT settings['refresh_interval'] AS refresh, number_of_replicas AS replicas " +
          "FROM information_schema.tables WHERE table_schema = CURRENT_SCHEMA AND table_name = ?",
        params: [stateTable(table).name],
      });
      expect(settings).toEqual({ refresh: 200, replicas: "0-1" });
    });
  },
);
