// `dynacrate load` against DynamoDB Local and a live PostgreSQL: a table of
// every attribute type and 38-digit numbers copied by parallel Scan and from
// DynamoDB exports (a folder, and S3 served by s3rver), compared item by item;
// a re-run changes nothing; a load killed halfway resumes exactly, reading
// only what is left; bad input stops with one clear line and a non-zero exit.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { snapshotVersion } from "../../src/codec/snapshot.ts";
import { localDynamoDbClient } from "../../src/local/services/aws-clients.ts";
import { type LocalDynamoDb, startDynamoDbLocal } from "../../src/local/services/dynamodb-local.ts";
import { writeExport } from "../../src/local/services/export-files.ts";
import { LOCAL_REGION } from "../../src/local/services/stack.ts";
import { scanItems } from "../../src/local/verification/scan-items.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { waitFor } from "../e2e/relay-process.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { itemsRead, runLoadProcess, spawnLoad } from "./load-process.ts";
import { createFilledTable } from "./snapshot-fixtures.ts";

let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let target: PgTarget;
let scratch: string;
let tables = 0;
/** s3rver accepts only its own access key. */
const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynamoDbLocal(), pgTarget()]);
  client = localDynamoDbClient(dynamo.endpoint);
  scratch = mkdtempSync(join(tmpdir(), "dynacrate-load-"));
});
afterAll(async () => {
  client?.destroy();
  await target?.close();
  await dynamo?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const compositeKey: KeySchema = [
  { name: "id", type: "S" },
  { name: "sk", type: "N" },
];

function newTableName(): string {
  return `load_${process.pid}_${++tables}`;
}

function common(table: TableName, extra: string[] = []): string[] {
  return [
    "--target",
    target.url,
    "--table",
    table.name,
    "--endpoint",
    dynamo.endpoint,
    "--region",
    LOCAL_REGION,
    "--dlq",
    join(scratch, `${table.name}.dlq.ndjson`),
    ...extra,
  ];
}

async function expectSame(tableName: string, table: TableName, keySchema: KeySchema) {
  const items = await scanItems(client, tableName);
  const rows = await readLiveRows(target.sink, table);
  const comparison = compareTable(items, rows, { keyNames: keySchema.map((k) => k.name) });
  expect(comparison.missing).toEqual([]);
  expect(comparison.extra).toEqual([]);
  expect(comparison.different).toEqual([]);
  return items;
}

async function stateRows(table: TableName) {
  return target.sink.query<{ pk: string; data: string; version: string; updated_at: string }>({
    sql: `SELECT pk::text AS pk, data::text AS data, version, updated_at::text AS updated_at FROM "${table.name}__state" ORDER BY 1`,
    params: [],
  });
}

async function jobProgress(job: string) {
  return target.sink.query<{
    part: string;
    position: string | null;
    items: string;
    finished: boolean;
  }>({
    sql: "SELECT part, position, items, finished FROM dynacrate_load_progress WHERE job = $1 ORDER BY part",
    params: [job],
  });
}

describe("dynacrate load --source dynamodb://", () => {
  it("copies every attribute type and 38-digit numbers exactly, item by item, at the snapshot's version; a re-run changes nothing", async () => {
    const tableName = newTableName();
    await createFilledTable(client, tableName, compositeKey, 300);
    const table = target.table("scan");
    const first = await runLoadProcess([
      "--source",
      `dynamodb://${tableName}`,
      "--segments",
      "3",
      ...common(table),
    ]);
    expect(first.stderr).not.toMatch(/Error/);
    expect(first.code).toBe(0);
    expect(itemsRead(first.stdout)).toBe(300);
    const items = await expectSame(tableName, table, compositeKey);
    expect(items).toHaveLength(300);
    // Every row carries the snapshot's version, from the cut the summary names.
    const cut = Date.parse(/cut\s+(\S+)/.exec(first.stdout)?.[1] ?? "");
    const before = await stateRows(table);
    expect(new Set(before.map((r) => r.version))).toEqual(new Set([snapshotVersion(cut)]));

    // A second load is a newer snapshot: its rows take its newer version, with the same content.
    const again = await runLoadProcess(["--source", `dynamodb://${tableName}`, ...common(table)]);
    expect(again.code).toBe(0);
    const after = await stateRows(table);
    const content = (rows: typeof before) => rows.map((r) => [r.pk, r.data]);
    expect(content(after)).toEqual(content(before));
    const cut2 = Date.parse(/cut\s+(\S+)/.exec(again.stdout)?.[1] ?? "");
    expect(new Set(after.map((r) => r.version))).toEqual(new Set([snapshotVersion(cut2)]));
    await expectSame(tableName, table, compositeKey);

    // Resuming a load that finished reads nothing and writes nothing.
    const resumed = await runLoadProcess([
      "--source",
      `dynamodb://${tableName}`,
      "--resume",
      ...common(table),
    ]);
    expect(resumed.code).toBe(0);
    expect(itemsRead(resumed.stdout)).toBe(0);
    expect(await stateRows(table)).toEqual(after);
  });
});

describe("dynacrate load --resume", () => {
  it("a scan killed with SIGKILL halfway, then resumed: the table is exact and the second run reads only what was left", async () => {
    const tableName = newTableName();
    const total = 2400;
    await createFilledTable(client, tableName, compositeKey, total);
    const table = target.table("kill");
    const job = `dynamodb://${tableName} -> ${table.name}`;
    // Small pages and batches: many progress points to stop between.
    const args = [
      "--source",
      `dynamodb://${tableName}`,
      "--segments",
      "3",
      "--page-size",
      "20",
      "--batch-size",
      "20",
      ...common(table),
    ];
    const first = spawnLoad(args);
    const applied = async () =>
      (await jobProgress(job).catch(() => [])).reduce((n, r) => n + Number(r.items), 0);
    await waitFor("a third of the load", async () => (await applied()) >= total / 3);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const progress = await jobProgress(job);
    const done = progress.reduce((n, r) => n + Number(r.items), 0);
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(total);
    expect(progress.find((r) => r.part === "")?.finished).toBe(false);

    const second = await runLoadProcess([...args, "--resume"]);
    expect(second.stderr).not.toMatch(/dynacrate load:/);
    expect(second.code).toBe(0);
    // The statement the killed process had sent last may still commit on the server after
    // the process is gone: the resume starts from at least what was read above.
    const resumedAfter = Number(/resumed\s+after (\d+) items/.exec(second.stdout)?.[1]);
    expect(resumedAfter).toBeGreaterThanOrEqual(done);
    expect(resumedAfter).toBeLessThan(total);
    expect(itemsRead(second.stdout)).toBe(total - resumedAfter);
    expect(await expectSame(tableName, table, compositeKey)).toHaveLength(total);
    expect((await jobProgress(job)).every((r) => r.finished)).toBe(true);
  });
});

describe("dynacrate load from a DynamoDB export", () => {
  it("loads a folder in the DYNAMODB_JSON layout exactly, at the export's time; stopped by SIGTERM, it resumes from the last applied line of each file", async () => {
    const tableName = newTableName();
    const total = 1500;
    await createFilledTable(client, tableName, compositeKey, total);
    const items = await scanItems(client, tableName);
    const exportTime = new Date(Date.now() - 3_600_000);
    const { folder } = writeExport(join(scratch, tableName), items, {
      tableName,
      exportTime,
      files: 3,
    });
    const table = target.table("export");
    // No --key: the export names its table, which DescribeTable answers for.
    const args = [
      "--source",
      folder,
      "--page-size",
      "25",
      "--batch-size",
      "25",
      "--readers",
      "2",
      ...common(table),
    ];
    const first = spawnLoad(args);
    const job = `file://${folder} -> ${table.name}`;
    const applied = async () =>
      (await jobProgress(job).catch(() => [])).reduce((n, r) => n + Number(r.items), 0);
    await waitFor("a third of the export", async () => (await applied()) >= total / 3);
    first.child.kill("SIGTERM");
    const stopped = await first.exited;
    expect(stopped.code).toBe(130);
    expect(first.stderr()).toMatch(/--resume/);
    expect(first.stdout()).toMatch(/^stopped loading/);
    const done = await applied();
    expect(done).toBeLessThan(total);

    const second = await runLoadProcess([...args, "--resume"]);
    expect(second.code).toBe(0);
    expect(itemsRead(second.stdout)).toBe(total - done);
    await expectSame(tableName, table, compositeKey);
    // The export's rows are stamped from its ExportTime, minus the default margin of 300 s.
    const versions = await stateRows(table);
    expect(new Set(versions.map((r) => r.version))).toEqual(
      new Set([snapshotVersion(exportTime.getTime() - 300_000)]),
    );
  });

  it("loads the same export from S3 (s3rver, an S3-compatible server in Node) with --key", async () => {
    const tableName = newTableName();
    await createFilledTable(client, tableName, compositeKey, 200);
    const items = await scanItems(client, tableName);
    const root = join(scratch, `${tableName}-s3`);
    const { keys } = writeExport(root, items, { tableName, exportTime: new Date(), files: 2 });
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory: join(root, "s3rver"),
    });
    const { port } = await server.run();
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: LOCAL_REGION,
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      requestHandler: new NodeHttpHandler(),
    });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: "exports" }));
      for (const key of keys) {
        await s3.send(
          new PutObjectCommand({
            Bucket: "exports",
            Key: `backups/${key}`,
            Body: readFileSync(join(root, key)),
          }),
        );
      }
      const exportPrefix = (keys[0] as string).slice(0, (keys[0] as string).indexOf("/data/") + 1);
      const table = target.table("s3");
      const run = await runLoadProcess(
        [
          "--source",
          `s3://exports/backups/${exportPrefix}`,
          "--s3-endpoint",
          `http://127.0.0.1:${port}`,
          "--key",
          "id:S,sk:N",
          ...common(table),
        ],
        {
          AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        },
      );
      expect(run.stderr).not.toMatch(/dynacrate load:/);
      expect(run.code).toBe(0);
      expect(itemsRead(run.stdout)).toBe(200);
      await expectSame(tableName, table, compositeKey);
    } finally {
      s3.destroy();
      await server.close();
    }
  });
});

describe("dynacrate load refuses bad input with one clear line and a non-zero exit", () => {
  const oneLine = (stderr: string) =>
    stderr.split("\n").filter((l) => l.startsWith("dynacrate load:"));

  it("a table that does not exist", async () => {
    const table = target.table("bad");
    const run = await runLoadProcess(["--source", "dynamodb://no_such_table", ...common(table)]);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toEqual([
      expect.stringMatching(/^dynacrate load: table no_such_table does not exist/),
    ]);
    expect(run.stdout).not.toMatch(/loaded/);
  });

  it("--then-relay on a table with no stream, before reading anything", async () => {
    const tableName = newTableName();
    await createFilledTable(client, tableName, compositeKey, 10, { stream: false });
    const table = target.table("nostream");
    const run = await runLoadProcess([
      "--source",
      `dynamodb://${tableName}`,
      "--then-relay",
      ...common(table),
    ]);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toEqual([
      expect.stringMatching(
        /has no DynamoDB stream.*update-table --table-name .*StreamEnabled=true/,
      ),
    ]);
    expect(await jobProgress(`dynamodb://${tableName} -> ${table.name}`).catch(() => [])).toEqual(
      [],
    );
  });

  it("a truncated gzip file: the files before it may be applied, the load is not marked done", async () => {
    const tableName = newTableName();
    await createFilledTable(client, tableName, compositeKey, 300);
    const items = await scanItems(client, tableName);
    const { folder } = writeExport(join(scratch, tableName), items, {
      tableName,
      exportTime: new Date(),
      files: 2,
      truncate: 40,
    });
    const table = target.table("truncated");
    const run = await runLoadProcess(["--source", folder, "--key", "id:S,sk:N", ...common(table)]);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toEqual([
      expect.stringMatching(
        /data\/\S+file0\.json\.gz of the export at .* is not a complete gzip file/,
      ),
    ]);
    expect(run.stdout).not.toMatch(/loaded/);
    const progress = await jobProgress(`file://${folder} -> ${table.name}`);
    expect(progress.find((r) => r.part === "")?.finished).toBe(false);
    expect(progress.find((r) => r.part.includes("file0"))?.finished ?? false).toBe(false);
  });

  it("a manifest that names a missing file: nothing is loaded", async () => {
    const tableName = newTableName();
    await createFilledTable(client, tableName, compositeKey, 20);
    const { folder } = writeExport(join(scratch, tableName), await scanItems(client, tableName), {
      tableName,
      exportTime: new Date(),
      missingFiles: ["gone.json.gz"],
    });
    const table = target.table("missing");
    const run = await runLoadProcess(["--source", folder, "--key", "id:S,sk:N", ...common(table)]);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toEqual([
      expect.stringMatching(/manifest-files\.json names data\/gone\.json\.gz, which is missing/),
    ]);
    const rows = await target.sink
      .query({ sql: `SELECT count(*)::int AS n FROM "${table.name}__state"`, params: [] })
      .catch(() => [{ n: 0 }]);
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("an unreachable sink", async () => {
    const tableName = newTableName();
    await createFilledTable(client, tableName, compositeKey, 10);
    const table = target.table("unreachable");
    const args = common(table);
    args[1] = "postgresql://postgres:pw@127.0.0.1:9/nowhere";
    const run = await runLoadProcess(["--source", `dynamodb://${tableName}`, ...args]);
    expect(run.code).not.toBe(0);
    expect(oneLine(run.stderr)).toHaveLength(1);
    expect(run.stderr).toMatch(/dynacrate load: .*(ECONNREFUSED|connect)/);
    expect(run.stderr).not.toMatch(/pw@/);
    expect(run.stdout).not.toMatch(/loaded/);
  });
});
