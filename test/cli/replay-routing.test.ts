// Several source tables in one capture: each record goes to its table's
// target, a record no setting places is refused (dead-lettered with a reason
// naming its table and the option), never written into another table's
// target; the key schema is learnt per target.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kinesisDynamoRecord, streamsRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type CliResult, dynacrate } from "./cli-run.ts";

let target: PgTarget;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-routing-"));
});
afterAll(async () => {
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

const replay = (args: string[]): Promise<CliResult> =>
  dynacrate(["replay", ...args], { TARGET_URL: target.url });

let micros = 1_720_000_000_000_000;
/** orders are keyed by `id`, customers by `cid` and `region`: a key schema learnt from one breaks the other. */
const order = (id: string, extra: Record<string, unknown> = {}) =>
  kinesisDynamoRecord({
    keys: { id: { S: id } },
    newImage: { id: { S: id }, SK: { S: `ORDER#${id}` }, ...extra },
    micros: ++micros,
    tableName: "orders",
  });
const customer = (cid: string) =>
  kinesisDynamoRecord({
    keys: { cid: { S: cid }, region: { S: "eu" } },
    newImage: { cid: { S: cid }, region: { S: "eu" } },
    micros: ++micros,
    tableName: "customers",
  });

function capture(records: unknown[]): string {
  const file = join(dir, `c-${++micros}.ndjson`);
  writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return file;
}

function deadLetters(path: string): Array<{ ref: string; field: string; reason: string }> {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

async function keysOf(table: ReturnType<PgTarget["table"]>, key = "id"): Promise<string[]> {
  const rows = await target.sink.query<{ k: string }>({
    sql: `SELECT pk->>'${key}' AS k FROM ${target.sink.dialect.quoteTable(table)} ORDER BY 1`,
    params: [],
  });
  return rows.map((r) => r.k);
}

describe("several source tables in one capture", () => {
  it("--table takes the first record's table; the others are refused naming both tables and --table-map", async () => {
    const orders = target.table("orders");
    const dlq = join(dir, "plain.ndjson");
    const file = capture([order("o1"), customer("c1"), order("o2")]);
    const r = await replay([file, "--table", orders.name, "--dlq", dlq]);
    expect(r.code).toBe(1);
    expect(await keysOf(orders)).toEqual(["o1", "o2"]);
    const [dead] = deadLetters(dlq);
    expect(dead?.field).toBe("tableName");
    expect(dead?.reason).toMatch(
      `comes from table customers, but --table ${orders.name} takes the records of table orders (the table the first record names); to replicate both, use --table-map orders=${orders.name},customers=<target table>`,
    );
  });

  it("a stray record first: --source-table keeps it out and the key schema is learnt from the right table", async () => {
    const orders = target.table("orders_src");
    const dlq = join(dir, "stray.ndjson");
    const file = capture([customer("c1"), order("o1"), order("o2")]);
    const r = await replay([
      file,
      "--table",
      orders.name,
      "--source-table",
      "orders",
      "--dlq",
      dlq,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/applied\s+2\n/);
    expect(await keysOf(orders)).toEqual(["o1", "o2"]);
    expect(deadLetters(dlq).map((d) => d.reason)).toEqual([
      expect.stringMatching(
        /comes from table customers, but --table .* takes the records of table orders \(set by --source-table\)/,
      ),
    ]);
  });

  it("a --table-map that places none of the records: the summary says so first, exit 2", async () => {
    const orders = target.table("typo_orders");
    const dlq = join(dir, "typo.ndjson");
    const file = capture([order("t1"), order("t2"), customer("t3")]);
    const r = await replay([file, "--table-map", `ordres=${orders.name}`, "--dlq", dlq]);
    expect(r.code).toBe(2);
    expect(r.stdout.split("\n")[0]).toBe(
      `no record was replayed: ${file} holds tables orders, customers, and --table-map ordres=${orders.name} places none of them: ` +
        `--table-map does not map orders; did you mean orders=${orders.name} (it says ordres)?; --table-map does not map customers. ` +
        `All 3 records failed (appended to ${dlq}); correct the routes and replay again.`,
    );
    expect(r.stdout.split("\n")[1]).toMatch(/^replayed /);
    expect(deadLetters(dlq)).toHaveLength(3);
  });

  it("--table-map sends each table to its target; an unmapped table is refused naming the option", async () => {
    const orders = target.table("m_orders");
    const customers = target.table("m_customers");
    const dlq = join(dir, "map.ndjson");
    const stray = kinesisDynamoRecord({
      keys: { id: { S: "x" } },
      micros: ++micros,
      tableName: "audit",
    });
    const file = capture([customer("c1"), order("o1"), stray, customer("c2"), order("o2")]);
    const r = await replay([
      file,
      "--table-map",
      `orders=${orders.name},customers=${customers.name}`,
      "--dlq",
      dlq,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/applied\s+4\n/);
    expect(await keysOf(orders)).toEqual(["o1", "o2"]);
    expect(await keysOf(customers, "cid")).toEqual(["c1", "c2"]);
    expect(deadLetters(dlq)).toEqual([
      expect.objectContaining({
        field: "tableName",
        reason: expect.stringMatching(
          "comes from table audit, which --table-map does not map \\(it maps orders, customers\\); add audit=<target table> to --table-map",
        ),
      }),
    ]);
  });

  it("a {table} template names a target per source table; DynamoDB Streams records name theirs in eventSourceARN", async () => {
    const prefix = target.table("tpl").name;
    // A table is fed from one kind of stream (G2): the DynamoDB Streams records come from a table of their own.
    const streams = streamsRecord({ keys: { id: { S: "s1" } }, tableName: "audit" });
    const file = capture([order("o1"), customer("c1"), streams]);
    const r = await replay([file, "--table", `${prefix}_{table}`]);
    expect(r.code).toBe(0);
    expect(await keysOf({ schema: undefined, name: `${prefix}_orders` })).toEqual(["o1"]);
    expect(await keysOf({ schema: undefined, name: `${prefix}_customers` }, "cid")).toEqual(["c1"]);
    expect(await keysOf({ schema: undefined, name: `${prefix}_audit` })).toEqual(["s1"]);
  });

  it("--route fans one single-table design out by key prefix or attribute value", async () => {
    const orders = target.table("r_orders");
    const carts = target.table("r_carts");
    const dlq = join(dir, "route.ndjson");
    const item = (sk: string, type: string) =>
      kinesisDynamoRecord({
        keys: { PK: { S: "u1" }, SK: { S: sk } },
        newImage: { PK: { S: "u1" }, SK: { S: sk }, type: { S: type } },
        micros: ++micros,
        tableName: "app",
      });
    const file = capture([
      item("ORDER#1", "order"),
      item("CART#1", "cart"),
      item("PROFILE", "profile"),
      item("ORDER#2", "order"),
    ]);
    const r = await replay([
      file,
      "--route",
      `SK^ORDER#=${orders.name}`,
      "--route",
      `type:cart=${carts.name}`,
      "--dlq",
      dlq,
    ]);
    expect(r.code).toBe(1);
    expect(await keysOf(orders, "SK")).toEqual(["ORDER#1", "ORDER#2"]);
    expect(await keysOf(carts, "SK")).toEqual(["CART#1"]);
    expect(deadLetters(dlq).map((d) => d.reason)).toEqual([
      expect.stringMatching(
        /matches no --route \(SK\^ORDER#=.*, type:cart=.*\); add a route for it, or --table for the rest/,
      ),
    ]);
  });

  it("says what is wrong with routing options before reading", async () => {
    const file = capture([order("o1")]);
    const both = await replay([file, "--table", "a", "--table-map", "orders=b"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--table and --table-map both say where records go/);
    const bad = await replay([file, "--table-map", "orders"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--table-map: "orders" is not source=target/);
    const none = await replay([file]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /--table is required \(or --table-map for several source tables, or --route\)/,
    );
  });
});
