// `dynacrate verify` against DynamoDB Local and a live PostgreSQL, run as a
// process: equal tables match; each kind of difference injected into the
// target is found and reported with its key; --repair mends them all, and a
// second verify matches; a repair never overtakes a newer change (G16); bad
// input stops with one clear line and exit 2.

import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { canonicalKey } from "../../src/codec/row.ts";
import { localDynamoDbClient } from "../../src/local/services/aws-clients.ts";
import { type LocalDynamoDb, startDynamoDbLocal } from "../../src/local/services/dynamodb-local.ts";
import { LOCAL_REGION } from "../../src/local/services/stack.ts";
import { keyHash } from "../../src/sql/postgresql.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { spawnCommand } from "../e2e/relay-process.ts";
import { runLoadProcess } from "../load/load-process.ts";
import { createFilledTable } from "../load/snapshot-fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let dynamo: LocalDynamoDb;
let client: DynamoDBClient;
let target: PgTarget;
let tables = 0;

beforeAll(async () => {
  [dynamo, target] = await Promise.all([startDynamoDbLocal(), pgTarget()]);
  client = localDynamoDbClient(dynamo.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await target?.close();
  await dynamo?.stop();
});

const keySchema: KeySchema = [
  { name: "id", type: "S" },
  { name: "sk", type: "N" },
];

async function verify(args: string[], env: Record<string, string> = {}) {
  const child = spawnCommand("verify", args, env);
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** A DynamoDB table of `count` items of every type, loaded into a fresh target table. */
async function loaded(count: number): Promise<{ source: string; table: TableName }> {
  const source = `verify_${process.pid}_${++tables}`;
  await createFilledTable(client, source, keySchema, count, { stream: false });
  const table = target.table("verify");
  // A wide margin: the load's rows are clearly older than a repair's cut.
  const load = await runLoadProcess([
    "--source",
    `dynamodb://${source}`,
    ...common(table),
    "--margin",
    "600",
    "--dlq",
    join(tmpdir(), `${table.name}.dlq`),
  ]);
  expect(load.stderr).not.toMatch(/Error/);
  expect(load.code).toBe(0);
  return { source, table };
}

function common(table: TableName): string[] {
  return [
    "--target",
    target.url,
    "--table",
    table.name,
    "--endpoint",
    dynamo.endpoint,
    "--region",
    LOCAL_REGION,
  ];
}

function count(stdout: string, what: string): number {
  const match = new RegExp(`^\\s+${what}\\s+(\\d+)`, "m").exec(stdout);
  return match ? Number(match[1]) : Number.NaN;
}

async function sql(text: string, params: unknown[] = []) {
  return target.sink.query({ sql: text, params });
}

describe("dynacrate verify", () => {
  it("finds equal tables equal, then each kind of difference injected into the target; --repair mends them and a second verify matches", async () => {
    const { source, table } = await loaded(120);
    const args = [
      "--source",
      `dynamodb://${source}`,
      ...common(table),
      "--grace",
      "0s",
      "--segments",
      "3",
    ];
    const equal = await verify(args);
    expect(equal.stderr).not.toMatch(/Error/);
    expect(equal.code).toBe(0);
    expect(count(equal.stdout, "equal")).toBe(120);
    expect(count(equal.stdout, "compared")).toBe(120);

    const state = `"${table.name}__state"`;
    const key = (id: string, sk: number) =>
      `pk = jsonb_build_object('id', '${id}'::text, 'sk', ${sk})`;
    // missing: the row removed; a tombstone too (a lost re-insert)
    await sql(`DELETE FROM ${state} WHERE ${key("item-00001", 1.1)}`);
    await sql(`UPDATE ${state} SET deleted = true WHERE ${key("item-00002", 2.1)}`);
    // changed attribute, changed number, changed set
    await sql(
      `UPDATE ${state} SET data = jsonb_set(data, '{text}', '"changed"') WHERE ${key("item-00003", 3.1)}`,
    );
    await sql(
      `UPDATE ${state} SET data = jsonb_set(data, '{map,level}', '1.5') WHERE ${key("item-00004", 4.1)}`,
    );
    await sql(
      `UPDATE ${state} SET data = jsonb_set(data, '{strings}', '["a","ç","other"]') WHERE ${key("item-00005", 5.1)}`,
    );
    // extra: a row DynamoDB does not hold
    await sql(
      `INSERT INTO ${state} (key_hash, pk, data, aux, version, deleted) SELECT decode($1, 'hex'), '{"id":"ghost","sk":1}', '{}', '{}', version, false FROM ${state} LIMIT 1`,
      [keyHash(canonicalKey({ id: { S: "ghost" }, sk: { N: "1" } }))],
    );
    // Set order and number spelling are no difference.
    await sql(
      `UPDATE ${state} SET data = jsonb_set(data, '{strings}', '["ç","item-x","a"]'::jsonb - 1 || '["b6"]') WHERE ${key("item-00006", 6.1)}`,
    );

    const report = join(tmpdir(), `${table.name}.report.json`);
    const found = await verify([...args, "--report", report]);
    expect(found.stderr).not.toMatch(/Error/);
    expect(found.code).toBe(1);
    expect(count(found.stdout, "missing")).toBe(2);
    expect(count(found.stdout, "extra")).toBe(1);
    expect(count(found.stdout, "different")).toBe(3);
    expect(count(found.stdout, "equal")).toBe(120 - 5);
    expect(found.stdout).toMatch(/different id="item-00003", sk=3\.1\n\s+text: DynamoDB "Zürich/);
    expect(found.stdout).toMatch(/map\.level: DynamoDB -?[0-9.E-]+, sink 1\.5/);
    expect(found.stdout).toMatch(/extra id="ghost", sk=1/);
    const json = JSON.parse(readFileSync(report, "utf8"));
    expect(json).toMatchObject({ missing: 2, extra: 1, different: 3, match: false });
    expect(json.differences).toHaveLength(6);

    const repaired = await verify([...args, "--repair"]);
    expect(repaired.code).toBe(1);
    expect(count(repaired.stdout, "repaired")).toBe(6);
    const again = await verify(args);
    expect(again.stdout).toMatch(/^match/);
    expect(again.code).toBe(0);
    expect(count(again.stdout, "equal")).toBe(120);
  });

  it("G16: a repair never overtakes a change newer than its cut; --sample checks a fraction", async () => {
    const { source, table } = await loaded(40);
    const state = `"${table.name}__state"`;
    // The target holds a (wrong) change stamped in the future: the repair must leave it.
    await sql(
      `UPDATE ${state} SET data = jsonb_set(data, '{text}', '"newer"'), version = '99999999999999999.000' WHERE pk->>'id' = 'item-00007'`,
    );
    const args = ["--source", `dynamodb://${source}`, ...common(table), "--grace", "0s"];
    const repair = await verify([...args, "--repair"]);
    expect(count(repair.stdout, "different")).toBe(1);
    expect(count(repair.stdout, "repaired")).toBe(0);
    expect(count(repair.stdout, "left alone")).toBe(1);
    const rows = await sql(
      `SELECT data->>'text' AS text FROM ${state} WHERE pk->>'id' = 'item-00007'`,
    );
    expect(rows).toEqual([{ text: "newer" }]);

    const sampled = await verify([...args, "--sample", "0.5"]);
    const compared = count(sampled.stdout, "compared");
    expect(compared).toBeGreaterThan(5);
    expect(compared).toBeLessThan(35);
  });

  it("bad input: a missing source table, a missing target table, wrong credentials: one clear line, exit 2", async () => {
    const { source, table } = await loaded(3);
    const noSource = await verify(["--source", "dynamodb://no_such_table", ...common(table)]);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/table no_such_table does not exist/);
    const noTarget = await verify([
      "--source",
      `dynamodb://${source}`,
      ...common({ schema: undefined, name: "no_such_target" }),
    ]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/target table no_such_target does not exist/);
    const badUrl = new URL(target.url);
    badUrl.password = "wrong-password";
    const args = ["--source", `dynamodb://${source}`, ...common(table)];
    args[args.indexOf(target.url)] = badUrl.toString();
    const badPassword = await verify(args);
    expect(badPassword.code).toBe(2);
    expect(badPassword.stderr).toMatch(/^dynacrate verify: /m);
    expect(badPassword.stderr).not.toMatch(/wrong-password/);
    const badAws = await verify(["--source", `dynamodb://${source}`, ...common(table)], {
      AWS_ACCESS_KEY_ID: "not valid!",
      AWS_SECRET_ACCESS_KEY: "x",
    });
    expect(badAws.code).toBe(2);
    expect(badAws.stderr).toMatch(/^dynacrate verify: /m);
  });
});
