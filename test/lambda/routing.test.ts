// The Lambda function with several source tables on one Kinesis stream:
// TARGET_TABLES routes each table to its target, SOURCE_TABLE keeps a plain
// TARGET_TABLE to one table, and a record no setting places is reported (and,
// with a dead-letter table, stored there) with a reason naming its table and
// the variable; never written into another table's target.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/lambda/config.ts";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { testLambda } from "./harness.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

let micros = 1_720_000_000_000_000;
const change = (tableName: string, id: string) =>
  kinesisDynamoRecord({ keys: { id: { S: id } }, micros: ++micros, tableName });

describe("the Lambda function with several source tables", () => {
  it("TARGET_TABLES sends each table to its target; an unmapped table's record is dead-lettered naming TARGET_TABLES", async () => {
    const orders = target.table("l_orders");
    const customers = target.table("l_customers");
    const dead = target.table("l_dead");
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLES: JSON.stringify({ orders: orders.name, customers: customers.name }),
      DEAD_LETTER_TABLE: dead.name,
    });
    try {
      const event = lambdaKinesisEvent([
        change("orders", "o1"),
        change("customers", "c1"),
        change("audit", "a1"),
        change("orders", "o2"),
      ]);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect([...(await target.live(orders)).keys()].sort()).toEqual(["o1", "o2"]);
      expect([...(await target.live(customers)).keys()]).toEqual(["c1"]);
      const rows = await target.sink.query<{ reason: string; field: string }>({
        sql: `SELECT reason, field FROM ${target.sink.dialect.quoteTable(dead)}`,
        params: [],
      });
      expect(rows).toEqual([
        {
          field: "tableName",
          reason: expect.stringMatching(
            /comes from table audit, which TARGET_TABLES does not map \(it maps orders, customers\); add audit=<target table> to TARGET_TABLES/,
          ),
        },
      ]);
    } finally {
      await lambda.close();
    }
  });

  it("SOURCE_TABLE keeps a plain TARGET_TABLE to one table; another table's record is reported, not written", async () => {
    const orders = target.table("l_single");
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: orders.name,
      SOURCE_TABLE: "orders",
    });
    try {
      const event = lambdaKinesisEvent([change("orders", "o1"), change("customers", "c1")]);
      const response = await lambda.handler(event);
      expect(response.batchItemFailures).toHaveLength(1);
      expect([...(await target.live(orders)).keys()]).toEqual(["o1"]);
    } finally {
      await lambda.close();
    }
  });

  it("names every routing mistake in the one configuration error", () => {
    expect(() =>
      readConfig({ TARGET_URL: "postgresql://u@h/db", TARGET_TABLES: "{not json" }),
    ).toThrow(/TARGET_TABLES is not JSON/);
    expect(() =>
      readConfig({
        TARGET_URL: "postgresql://u@h/db",
        TARGET_TABLE: "a",
        TARGET_TABLES: '{"x":"y"}',
      }),
    ).toThrow(/TARGET_TABLE and TARGET_TABLES both say where records go/);
    expect(() => readConfig({ TARGET_URL: "postgresql://u@h/db" })).toThrow(
      /no table: set TARGET_TABLE/,
    );
  });
});
