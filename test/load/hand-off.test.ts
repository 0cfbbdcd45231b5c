// G13, the hand-off from a full load to the change stream: a writer keeps
// inserting, updating and deleting items while `dynacrate load --then-relay`
// copies the table; the relay then catches up from before the snapshot's cut,
// and the target equals a final scan of DynamoDB. For the scan path (through
// DynamoDB Streams, from its trim horizon) and the export path (through the
// bridge's Kinesis stream, from AT_TIMESTAMP before the export's time, with
// changes older than that in the export only). The scan path also with
// --table-map, which the relay after the load takes on (G14).

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { writeExport } from "../../src/local/services/export-files.ts";
import { LOCAL_REGION } from "../../src/local/services/stack.ts";
import { scanItems } from "../../src/local/verification/scan-items.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { type Emulators, openPipe, startEmulators } from "../e2e/emulators.ts";
import { waitFor } from "../e2e/relay-process.ts";
import { runWorkload } from "../e2e/workload.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { spawnLoad } from "./load-process.ts";

let emulators: Emulators;
let target: PgTarget;
let scratch: string;
const keySchema: KeySchema = [{ name: "id", type: "S" }];
const KEYS = 300;

beforeAll(async () => {
  [emulators, target] = await Promise.all([startEmulators(), pgTarget()]);
  scratch = mkdtempSync(join(tmpdir(), "dynacrate-hand-off-"));
});
afterAll(async () => {
  await target?.close();
  await emulators?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function expectSameTable(tableName: string, table: TableName) {
  const items = await scanItems(emulators.clients.dynamodb, tableName);
  const rows = await readLiveRows(target.sink, table);
  const comparison = compareTable(items, rows, { keyNames: ["id"] });
  expect(comparison.missing).toEqual([]);
  expect(comparison.extra).toEqual([]);
  expect(comparison.different).toEqual([]);
  expect(items.length).toBeGreaterThan(50);
}

function progressOf(job: string) {
  return async () => {
    const rows = await target.sink
      .query<{ n: string }>({
        sql: "SELECT coalesce(sum(items), 0) AS n FROM dynacrate_load_progress WHERE job = $1",
        params: [job],
      })
      .catch(() => [{ n: "0" }]);
    return Number(rows[0]?.n ?? 0);
  };
}

/** The load's exit; after 200 s, a failure that shows what it printed. */
async function exitOf(load: ReturnType<typeof spawnLoad>) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      load.child.kill("SIGKILL");
      reject(new Error(`the load did not end in 200 s\n${load.stdout()}\n${load.stderr()}`));
    }, 200_000);
  });
  try {
    return await Promise.race([load.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where --then-relay starts after an export taken at `exportMs` with --margin 1. */
const relayStart = (exportMs: number) => Math.floor((exportMs - 1000) / 1000) * 1000 - 1000;

describe("G13: a load hands off to the change stream without losing a write", () => {
  /**
   * The scan path: a load through DynamoDB Streams while a writer inserts,
   * updates and deletes, with `place` saying where the table goes; the relay
   * line it prints must match `relayLine`. Nothing is dead-lettered.
   */
  async function scanHandOff(
    name: string,
    place: (tableName: string, table: TableName) => string[],
    relayLine: (tableName: string, table: TableName) => RegExp,
  ) {
    const pipe = await openPipe(emulators, keySchema);
    await pipe.bridge.stop();
    const { dynamodb } = emulators.clients;
    await runWorkload(dynamodb, pipe.tableName, keySchema, { seed: 11, changes: 600, keys: KEYS });
    const table = target.table(name);
    let written = 0;
    const writing = runWorkload(dynamodb, pipe.tableName, keySchema, {
      seed: 12,
      changes: 1500,
      keys: KEYS,
      writers: 4,
      onChange: (n) => {
        written = n;
      },
    });
    await waitFor("the writer under way", () => written >= 100);
    const dlq = join(scratch, `${name}.dlq`);
    const load = spawnLoad([
      "--source",
      `dynamodb://${pipe.tableName}`,
      "--segments",
      "2",
      "--page-size",
      "10",
      "--batch-size",
      "10",
      "--then-relay",
      "--idle-exit",
      "4",
      "--target",
      target.url,
      ...place(pipe.tableName, table),
      "--endpoint",
      emulators.dynamo.endpoint,
      "--region",
      LOCAL_REGION,
      "--dlq",
      dlq,
    ]);
    const applied = progressOf(`dynamodb://${pipe.tableName} -> ${table.name}`);
    await waitFor("the load's first items", async () => (await applied()) > 0);
    // The writer is still writing while the load copies the table.
    expect(written).toBeLessThan(1500);
    await writing;
    const { code } = await exitOf(load);
    expect(load.stderr()).not.toMatch(/dynacrate (load|relay):/);
    expect(code).toBe(0);
    expect(load.stdout()).toMatch(relayLine(pipe.tableName, table));
    // The printed relay command works as pasted against these emulators; a first hand-off forgets nothing.
    expect(load.stdout()).toMatch(
      new RegExp(
        `relay\\s+dynacrate relay .*--region ${LOCAL_REGION} .*--endpoint ${emulators.dynamo.endpoint}`,
      ),
    );
    expect(load.stdout()).not.toMatch(/--idle-exit|--reset-checkpoints/);
    expect(load.stderr()).not.toMatch(/forgotten/);
    // Every change was placed: none refused by the relay's routing.
    expect(existsSync(dlq) ? readFileSync(dlq, "utf8") : "").toBe("");
    await expectSameTable(pipe.tableName, table);
  }

  it("scan path: load --then-relay (DynamoDB Streams) while a writer inserts, updates and deletes; the target equals a final scan", async () => {
    await scanHandOff(
      "handoff_scan",
      (_, table) => ["--table", table.name],
      (_, table) =>
        new RegExp(
          `relay\\s+dynacrate relay --source dynamodb-streams://\\S+ --table ${table.name} .*--from trim-horizon`,
        ),
    );
  }, 300_000);

  it("scan path with --table-map: the map passed on to the relay places the changes where the load placed the table; the target equals a final scan", async () => {
    await scanHandOff(
      "handoff_map",
      (tableName, table) => ["--table-map", `${tableName}=${table.name},other_table=elsewhere`],
      (tableName, table) =>
        new RegExp(
          `relay\\s+dynacrate relay --source dynamodb-streams://\\S+ --table-map ${tableName}=${table.name},other_table=elsewhere --from trim-horizon`,
        ),
    );
  }, 300_000);

  it("export path: an export taken while a writer runs, loaded with --then-relay from Kinesis (AT_TIMESTAMP before the export's time); the target equals a final scan", async () => {
    const pipe = await openPipe(emulators, keySchema);
    const { dynamodb } = emulators.clients;
    await runWorkload(dynamodb, pipe.tableName, keySchema, { seed: 21, changes: 600, keys: KEYS });
    // Changes older than the relay's start reach the target through the export
    // alone: every one is on the stream, and the relay's start (the export's
    // time less the margin, in whole seconds) is past the last of them. The
    // stream's timestamps are the clock's, so the clock is what is awaited.
    await pipe.bridge.drained();
    const lastPut = Date.now();
    while (relayStart(Date.now()) <= lastPut) await new Promise((r) => setTimeout(r, 50));
    const exportTime = new Date();
    let written = 0;
    const writing = runWorkload(dynamodb, pipe.tableName, keySchema, {
      seed: 22,
      changes: 1000,
      keys: KEYS,
      writers: 4,
      onChange: (n) => {
        written = n;
      },
    });
    await waitFor("the writer under way", () => written >= 100);
    // The export: a scan made while the writer runs, like DynamoDB's fuzzy export.
    const items = await scanItems(dynamodb, pipe.tableName);
    const { folder } = writeExport(join(scratch, pipe.tableName), items, {
      tableName: pipe.tableName,
      exportTime,
      files: 3,
    });
    const table = target.table("handoff_export");
    const load = spawnLoad([
      "--source",
      folder,
      "--key",
      "id:S",
      "--margin",
      "1",
      "--page-size",
      "20",
      "--batch-size",
      "20",
      "--then-relay",
      "--stream",
      `kinesis://${pipe.streamName}`,
      "--stream-endpoint",
      emulators.kinesis.endpoint,
      "--idle-exit",
      "4",
      "--target",
      target.url,
      "--table",
      table.name,
      "--endpoint",
      emulators.dynamo.endpoint,
      "--region",
      LOCAL_REGION,
      "--dlq",
      join(scratch, "export.dlq"),
    ]);
    expect(written).toBeLessThan(1000);
    await writing;
    const { code } = await exitOf(load);
    await pipe.bridge.stop();
    expect(load.stderr()).not.toMatch(/dynacrate (load|relay):/);
    expect(code).toBe(0);
    const from = /--from (\S+)/.exec(load.stdout())?.[1] ?? "";
    // A second before the whole second of the cut (the export's time minus the 1 s margin).
    expect(Date.parse(from)).toBe(relayStart(exportTime.getTime()));
    await expectSameTable(pipe.tableName, table);
  }, 300_000);
});
