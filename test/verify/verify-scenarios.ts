// The scenarios of `dynacrate verify`, run as a process against DynamoDB Local
// and one target (PostgreSQL or a live CrateDB, verify.test.ts): equal tables
// match; each kind of difference injected into the target is found and
// reported with its key; --repair mends them all, and a second verify matches;
// a repair never overtakes a newer change (G16); bad input stops with one
// clear line and exit 2. Sort keys are 20-digit integers, which neither a
// double nor a JSON integer holds exactly.

import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { LOCAL_REGION } from "../../src/local/services/stack.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { spawnCommand } from "../e2e/relay-process.ts";
import { runLoadProcess } from "../load/load-process.ts";
import { allTypesItem, createFilledTable } from "../load/snapshot-fixtures.ts";

/** A key of the scenarios' tables: `id` (S) and `sk` (N, as DynamoDB's text). */
export interface Key {
  id: string;
  sk: string;
}

/**
 * One target of the scenarios, and how a test alters its state rows behind
 * dynacrate's back (SQL differs per database; what it does is the same).
 */
export interface VerifyTarget {
  url: string;
  /** The URL with credentials the target refuses. */
  wrongCredentials: string;
  table(prefix: string): TableName;
  /** Deletes the row. */
  remove(table: TableName, key: Key): Promise<void>;
  /** Turns the row into a tombstone. */
  bury(table: TableName, key: Key): Promise<void>;
  /** Sets the `data` member at `path` to a JSON value. */
  set(table: TableName, key: Key, path: string[], value: unknown): Promise<void>;
  /** Adds a live row of `key` at the version of another row. */
  addExtra(table: TableName, key: Key): Promise<void>;
  /** Sets `text` and a version newer than any repair's cut. */
  stampNewer(table: TableName, key: Key, text: string): Promise<void>;
  /** The row's `text` attribute. */
  text(table: TableName, key: Key): Promise<string | undefined>;
}

export interface VerifyEnv {
  client: DynamoDBClient;
  endpoint: string;
  target: VerifyTarget;
}

export const keySchema: KeySchema = [
  { name: "id", type: "S" },
  { name: "sk", type: "N" },
];

/** Item `i`'s key: its `sk` is a 20-digit integer. */
export function keyOf(i: number): Key {
  return {
    id: `item-${String(i).padStart(5, "0")}`,
    sk: String(98765432109876543210n + BigInt(i)),
  };
}

export async function verifyProcess(args: string[], env: Record<string, string> = {}) {
  const child = spawnCommand("verify", args, env);
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

/** A count of verify's summary (`  equal      120`). */
export function count(stdout: string, what: string): number {
  const match = new RegExp(`^\\s+${what}\\s+(\\d+)`, "m").exec(stdout);
  return match ? Number(match[1]) : Number.NaN;
}

/** A load's or a verify's arguments: the source, the target, and `more`. */
export function commandArgs(
  env: { endpoint: string; target: { url: string } },
  source: string,
  table: TableName,
  ...more: string[]
): string[] {
  return [
    "--source",
    `dynamodb://${source}`,
    "--target",
    env.target.url,
    "--table",
    table.name,
    "--endpoint",
    env.endpoint,
    "--region",
    LOCAL_REGION,
    ...more,
  ];
}

let tables = 0;

/** A DynamoDB table of `count` items of every type, loaded into a fresh target table. */
export async function loaded(
  env: VerifyEnv,
  count: number,
  numbers: string[] = [],
): Promise<{ source: string; table: TableName }> {
  const source = `verify_${process.pid}_${++tables}`;
  await createFilledTable(env.client, source, keySchema, count, {
    stream: false,
    item: (i) => ({ ...allTypesItem(keySchema, i), sk: { N: keyOf(i).sk } }),
  });
  const table = env.target.table("verify");
  // A wide margin: the load's rows are clearly older than a repair's cut.
  const load = await runLoadProcess(
    commandArgs(
      env,
      source,
      table,
      ...numbers,
      "--margin",
      "600",
      "--dlq",
      join(tmpdir(), `${table.name}.dlq`),
    ),
  );
  expect(load.stderr).not.toMatch(/Error/);
  expect(load.code).toBe(0);
  return { source, table };
}

/**
 * The scenarios as tests of the calling `describe`. `env` is read when a test
 * runs (after the suite's beforeAll). `numbers`: the number format the table
 * is loaded and verified with; `rounded`: whether verify counts numbers equal
 * only once rounded to a double (CrateDB's DOUBLE under `--numbers double`).
 */
export function verifyScenarios(
  env: () => VerifyEnv,
  options: { numbers?: string[]; rounded: boolean },
): void {
  const numbers = options.numbers ?? [];

  it("finds equal tables equal, then each kind of difference injected into the target; --repair mends them (exit 0) and a second verify matches", async () => {
    const e = env();
    const { source, table } = await loaded(e, 120, numbers);
    const args = commandArgs(e, source, table, ...numbers, "--grace", "0s", "--segments", "3");
    const equal = await verifyProcess(args);
    expect(equal.stderr).not.toMatch(/Error/);
    expect(equal.code).toBe(0);
    expect(count(equal.stdout, "equal")).toBe(120);
    expect(count(equal.stdout, "compared")).toBe(120);
    // Every item holds five 38-digit numbers (one in a number set): under DOUBLE
    // each is equal only once rounded, and counted so, not as a difference.
    if (options.rounded) expect(count(equal.stdout, "rounded")).toBe(120 * 5);
    else expect(equal.stdout).not.toMatch(/rounded/);

    const { target } = e;
    // missing: the row removed; a tombstone too (a lost re-insert)
    await target.remove(table, keyOf(1));
    await target.bury(table, keyOf(2));
    // changed attribute, changed number, changed set
    await target.set(table, keyOf(3), ["text"], "changed");
    await target.set(table, keyOf(4), ["map", "level"], 1.5);
    await target.set(table, keyOf(5), ["strings"], ["a", "ç", "other"]);
    // extra: a row DynamoDB does not hold
    await target.addExtra(table, { id: "ghost", sk: "1" });
    // Set order is no difference.
    await target.set(table, keyOf(6), ["strings"], ["ç", "a", "b6"]);

    const report = join(tmpdir(), `${table.name}.report.json`);
    const found = await verifyProcess([...args, "--report", report]);
    expect(found.stderr).not.toMatch(/Error/);
    expect(found.code).toBe(1);
    expect(count(found.stdout, "missing")).toBe(2);
    expect(count(found.stdout, "extra")).toBe(1);
    expect(count(found.stdout, "different")).toBe(3);
    expect(count(found.stdout, "equal")).toBe(120 - 5);
    expect(found.stdout).toMatch(
      new RegExp(`different id="item-00003", sk=${keyOf(3).sk}\\n\\s+text: DynamoDB "Zürich`),
    );
    expect(found.stdout).toMatch(`missing id="item-00001", sk=${keyOf(1).sk}`);
    expect(found.stdout).toMatch(/map\.level: DynamoDB -?[0-9.E-]+, sink 1\.5\n/);
    expect(found.stdout).toMatch(/strings: DynamoDB <"a","b5","ç">, sink \["a","ç","other"\]/);
    expect(found.stdout).toMatch(/extra id="ghost", sk=1\n/);
    const json = JSON.parse(readFileSync(report, "utf8"));
    expect(json).toMatchObject({ missing: 2, extra: 1, different: 3, match: false });
    expect(json.differences).toHaveLength(6);

    const repaired = await verifyProcess([...args, "--repair"]);
    expect(repaired.stderr).not.toMatch(/Error/);
    // Every difference was repaired and, read again, is gone: exit 0.
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/^differ/);
    expect(count(repaired.stdout, "repaired")).toBe(6);
    expect(count(repaired.stdout, "remaining")).toBe(0);
    const again = await verifyProcess(args);
    expect(again.stdout).toMatch(/^match/);
    expect(again.code).toBe(0);
    expect(count(again.stdout, "equal")).toBe(120);
  });

  it("G16: a repair never overtakes a change newer than its cut; --sample checks a fraction", async () => {
    const e = env();
    const { source, table } = await loaded(e, 40, numbers);
    // The target holds a (wrong) change stamped in the future: the repair must leave it.
    await e.target.stampNewer(table, keyOf(7), "newer");
    const args = commandArgs(e, source, table, ...numbers, "--grace", "0s");
    const repair = await verifyProcess([...args, "--repair"]);
    expect(repair.stderr).not.toMatch(/Error/);
    expect(count(repair.stdout, "different")).toBe(1);
    expect(count(repair.stdout, "repaired")).toBe(0);
    expect(count(repair.stdout, "left alone")).toBe(1);
    // A difference remains: exit 1.
    expect(repair.code).toBe(1);
    expect(await e.target.text(table, keyOf(7))).toBe("newer");

    const sampled = await verifyProcess([...args, "--sample", "0.5"]);
    const compared = count(sampled.stdout, "compared");
    expect(compared).toBeGreaterThan(5);
    expect(compared).toBeLessThan(35);
  });

  it("bad input: a missing source table, a missing target table, wrong credentials: one clear line, exit 2", async () => {
    const e = env();
    const { source, table } = await loaded(e, 3, numbers);
    const noSource = await verifyProcess(commandArgs(e, "no_such_table", table));
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/table no_such_table does not exist/);
    const noTarget = await verifyProcess(
      commandArgs(e, source, { schema: undefined, name: "no_such_target" }),
    );
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/target table no_such_target does not exist/);
    const args = commandArgs(e, source, table);
    args[args.indexOf(e.target.url)] = e.target.wrongCredentials;
    const badPassword = await verifyProcess(args);
    expect(badPassword.code).toBe(2);
    expect(badPassword.stderr).toMatch(/^dynacrate verify: /m);
    expect(badPassword.stderr).not.toMatch(/wrong-password/);
    const badAws = await verifyProcess(commandArgs(e, source, table), {
      AWS_ACCESS_KEY_ID: "not valid!",
      AWS_SECRET_ACCESS_KEY: "x",
    });
    expect(badAws.code).toBe(2);
    expect(badAws.stderr).toMatch(/^dynacrate verify: /m);
  });
}
