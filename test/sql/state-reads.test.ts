// The keyed read of `dynacrate verify` (stateRowsByKeys) on CrateDB: a Scan
// page of 1,000 keys is one statement of fixed size, the keys in array
// parameters. One OR term per key made CrateDB 6.4 plan for minutes at 1,000
// keys (test/verify/target-rows.test.ts reads such a page on a live CrateDB).

import { sqlparse } from "@cratedb/cratedb-sqlparse";
import { describe, expect, it } from "vitest";
import { parseKeySchema } from "../../src/codec/key-schema.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { cratedb } from "../../src/sql/index.ts";
import { stateRowsByKeys } from "../../src/sql/state-reads.ts";

const table = { schema: "doc", name: "orders" };
const keySchema = parseKeySchema("customer:S,order:N");
const keys = (n: number): AttributeMap[] =>
  Array.from({ length: n }, (_, i) => ({
    customer: { S: `c${i % 7}` },
    order: { N: i % 2 ? String(1000 - i) : `1234567890123456789${i}` },
  }));

describe("stateRowsByKeys on CrateDB", () => {
  it("is one statement whose text does not grow with the keys: each key attribute's distinct values in one array parameter", () => {
    const one = stateRowsByKeys(cratedb, table, keySchema, keys(1), "pk-key");
    const many = stateRowsByKeys(cratedb, table, keySchema, keys(1000), "pk-key");
    expect(many.sql).toBe(one.sql);
    expect(many.sql).toMatch(
      /WHERE "pk"\['customer'\] = ANY\(\?\) AND "pk"\['order'\] = ANY\(\?\)$/,
    );
    expect(many.params).toHaveLength(2);
    const [customers, orders] = many.params as string[][];
    expect(customers).toEqual(["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);
    expect(orders).toHaveLength(1000);
    // Numeric keys travel as text, so no digit of a 38-digit key is lost, in
    // ascending order (CrateDB refuses `= ANY` of numbers out of order).
    expect(orders?.slice(0, 2)).toEqual(["1", "3"]);
    expect(orders?.slice(-2)).toEqual(["1234567890123456789996", "1234567890123456789998"]);
    expect(() => sqlparse(many.sql, true), many.sql).not.toThrow();
  });

  it("with a partition key alone, one array parameter", () => {
    const statement = stateRowsByKeys(
      cratedb,
      table,
      parseKeySchema("id:S"),
      [{ id: { S: "a'b" } }, { id: { S: "c" } }, { id: { S: "a'b" } }],
      "pk-key",
    );
    expect(statement.sql).toMatch(/WHERE "pk"\['id'\] = ANY\(\?\)$/);
    expect(statement.params).toEqual([["a'b", "c"]]);
  });
});
