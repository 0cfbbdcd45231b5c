// The relay routes a table's DynamoDB stream by its source table: GetRecords
// returns records that name no table (only a Lambda event carries
// `eventSourceARN`), so the source stamps each with its stream's ARN, and a
// --table-map or a {table} template places them as it places a Lambda
// function's records, instead of refusing every one (G14). A routed relay
// restarts from its checkpoints even when its first target never got a
// record. DynamoDB Local and PostgreSQL, the relay run in-process from the
// stream's trim horizon.

import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { localDynamoDbClient, localStreamsClient } from "../../src/local/services/aws-clients.ts";
import { type LocalDynamoDb, startDynamoDbLocal } from "../../src/local/services/dynamodb-local.ts";
import { createStreamingTable } from "../../src/local/services/provision.ts";
import type { FailedRecord } from "../../src/pipeline/batch-result.ts";
import { CheckpointStore } from "../../src/relay/checkpoint-store.ts";
import { runRelay } from "../../src/relay/relay.ts";
import { Router } from "../../src/routing/router.ts";
import { CLI_NAMES, type TableRoutes } from "../../src/routing/table-routes.ts";
import { DynamoDbStreamsSource } from "../../src/source/dynamodb-streams.ts";
import { stateTable } from "../../src/sql/table-name.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let dynamo: LocalDynamoDb;
let dynamodb: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let target: PgTarget;
let tables = 0;
const keySchema: KeySchema = [{ name: "id", type: "S" }];

beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynamoDbLocal(), pgTarget()]);
  dynamodb = localDynamoDbClient(dynamo.endpoint);
  streams = localStreamsClient(dynamo.endpoint);
});
afterAll(async () => {
  dynamodb?.destroy();
  streams?.destroy();
  await target?.close();
  await dynamo?.stop();
});

/** Resolves once `ready()` holds, checking every 20 ms. */
async function waitUntil(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A streaming table with three items written, one updated and one deleted. */
async function changedTable(): Promise<string> {
  const name = `routed_${process.pid}_${++tables}`;
  await createStreamingTable(dynamodb, name, keySchema);
  const put = (id: string, n: number) =>
    dynamodb.send(
      new PutItemCommand({ TableName: name, Item: { id: { S: id }, n: { N: String(n) } } }),
    );
  await put("a", 1);
  await put("b", 2);
  await put("c", 3);
  await put("a", 10);
  await dynamodb.send(new DeleteItemCommand({ TableName: name, Key: { id: { S: "b" } } }));
  return name;
}

async function relay(table: string, routes: Omit<TableRoutes, "names">) {
  const failed: FailedRecord[] = [];
  const stats = await runRelay({
    source: new DynamoDbStreamsSource(streams, dynamodb, table),
    pipeline: new Router(target.sink, { routes: { ...routes, names: CLI_NAMES } }),
    from: { type: "trim-horizon" },
    idleExitMs: 1500,
    pollMs: 100,
    deadLetter: async (failures) => {
      failed.push(...failures);
    },
  });
  return { stats, reasons: failed.map((f) => f.error.message) };
}

describe("G14: the relay routes a DynamoDB stream's records by their table", () => {
  it("--table-map: the table's changes go to its mapped target, none refused", async () => {
    const table = await changedTable();
    const mapped = target.table("streams_mapped");
    const elsewhere = target.table("streams_elsewhere");
    const { stats, reasons } = await relay(table, {
      map: new Map([
        [table, mapped],
        ["other_table", elsewhere],
      ]),
    });
    expect(reasons).toEqual([]);
    expect(stats.records).toBe(5);
    const live = await target.live(mapped);
    expect(Object.fromEntries(live)).toEqual({ a: { n: 10 }, c: { n: 3 } });
  }, 120_000);

  it("--table-map whose first target gets no record: a restart resumes from its checkpoints", async () => {
    const table = await changedTable();
    const mapped = target.table("streams_resumed");
    const routes = {
      map: new Map([
        ["other_table", target.table("streams_never")],
        [table, mapped],
      ]),
    };
    expect((await relay(table, routes)).reasons).toEqual([]);
    await dynamodb.send(
      new PutItemCommand({ TableName: table, Item: { id: { S: "d" }, n: { N: "4" } } }),
    );
    const again = await relay(table, routes);
    expect(again.reasons).toEqual([]);
    // Only the change made since: the checkpoints were taken up again.
    expect(again.stats.records).toBe(1);
    const live = await target.live(mapped);
    expect(Object.fromEntries(live)).toEqual({ a: { n: 10 }, c: { n: 3 }, d: { n: 4 } });
    // With no named target holding a row, the checkpoints stand for nothing: the relay stops.
    await target.sink.query({
      sql: `DROP TABLE ${target.sink.dialect.quoteTable(stateTable(mapped))} CASCADE`,
      params: [],
    });
    await expect(relay(table, routes)).rejects.toThrow(
      new RegExp(
        `none of the tables streams_never_\\d+_\\d+__state, ${mapped.name}__state holds a row`,
      ),
    );
  }, 120_000);

  it("a {table} template: the target is named after the stream's table", async () => {
    const table = await changedTable();
    const { reasons } = await relay(table, {
      table: { schema: undefined, name: "replica_{table}" },
    });
    expect(reasons).toEqual([]);
    const live = await target.live({ schema: undefined, name: `replica_${table}` });
    expect(Object.fromEntries(live)).toEqual({ a: { n: 10 }, c: { n: 3 } });
  }, 120_000);

  it("--table with --source-table of another table: stops before reading, naming both tables", async () => {
    const table = await changedTable();
    const other = target.table("streams_other");
    await expect(relay(table, { table: other, sourceTable: "other_table" })).rejects.toThrow(
      `dynamodb-streams://${table} carries table ${table}, and --table ${other.name} --source-table other_table places none of them: ` +
        `--table ${other.name} takes only table other_table (--source-table); did you mean --source-table ${table}? Nothing was read`,
    );
  }, 120_000);

  it("--table-map with a typo of the stream's table: stops before reading, suggests the fix, writes no checkpoint", async () => {
    const table = await changedTable();
    const typo = table.replace("routed", "rotued");
    const mapped = target.table("streams_typo");
    const routes = { map: new Map([[typo, mapped]]) };
    await expect(relay(table, routes)).rejects.toThrow(
      `--table-map does not map ${table}; did you mean ${table}=${mapped.name} (it says ${typo})?`,
    );
    const checkpoints = new CheckpointStore(target.sink, `dynamodb-streams://${table}`, mapped);
    expect((await checkpoints.load()).size).toBe(0);
    // The corrected map then replicates the table from the start.
    const fixed = await relay(table, { map: new Map([[table, mapped]]) });
    expect(fixed.reasons).toEqual([]);
    expect(Object.fromEntries(await target.live(mapped))).toEqual({ a: { n: 10 }, c: { n: 3 } });
  }, 120_000);
  it("a table name in the wrong case: the table that exists is named, with the region", async () => {
    const name = `Routed_Case_${process.pid}`;
    await createStreamingTable(dynamodb, name, keySchema);
    await expect(
      relay(name.toLowerCase(), { table: target.table("streams_case") }),
    ).rejects.toThrow(
      `table ${name.toLowerCase()} does not exist in region us-east-1; a table ${name} exists (table names are case-sensitive)`,
    );
  }, 120_000);
  it("an iterator DynamoDB Local reports as trimmed (another streaming table created while the shard was empty): a new one from the checkpoint, nothing missed", async () => {
    const name = `routed_trim_${process.pid}_${++tables}`;
    await createStreamingTable(dynamodb, name, keySchema);
    const source = new DynamoDbStreamsSource(streams, dynamodb, name);
    let reads = 0;
    const read = source.read.bind(source);
    source.read = (iterator, limit) => {
      reads++;
      return read(iterator, limit);
    };
    const table = target.table("streams_trimmed");
    const run = runRelay({
      source,
      pipeline: new Router(target.sink, { routes: { table, names: CLI_NAMES } }),
      from: { type: "trim-horizon" },
      idleExitMs: 5000,
      pollMs: 100,
    });
    await waitUntil(() => reads > 0);
    await createStreamingTable(dynamodb, `${name}_other`, keySchema);
    for (const id of ["a", "b"])
      await dynamodb.send(new PutItemCommand({ TableName: name, Item: { id: { S: id } } }));
    expect((await run).records).toBe(2);
    expect([...(await target.live(table)).keys()].sort()).toEqual(["a", "b"]);
  }, 120_000);
});
