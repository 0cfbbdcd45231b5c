// Keys of every size DynamoDB accepts on PostgreSQL: a 2,048-byte partition key
// with a 1,024-byte sort key exceeds a b-tree's row limit (error 54000), so the
// state table's primary key is a hash of the key. A table of the earlier
// layout (pk jsonb PRIMARY KEY) keeps working as it is; a key too large for it
// fails alone, as the row's failure, never stalling the batch.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalKey } from "../../src/codec/row.ts";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { PostgresSink } from "../../src/sink/postgres.ts";
import { keyHash } from "../../src/sql/postgresql.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const KEYS = [
  { name: "id", type: "S" as const },
  { name: "sort", type: "S" as const },
];

function record(id: string, sort: string, n: number) {
  return {
    eventID: `e-${n}`,
    eventName: "INSERT",
    eventSource: "aws:dynamodb",
    tableName: "items",
    dynamodb: {
      ApproximateCreationDateTime: 1_720_000_000_000_000 + n,
      ApproximateCreationDateTimePrecision: "MICROSECOND",
      Keys: { id: { S: id }, sort: { S: sort } },
      NewImage: { id: { S: id }, sort: { S: sort }, n: { N: String(n) } },
    },
  };
}

// Random text compresses badly, so jsonb's TOAST compression can not shrink it under the limit.
function randomText(bytes: number, seed: number): string {
  let x = seed;
  let out = "";
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[x % 62];
  }
  return out;
}

const bigId = randomText(2048, 1);
const bigSort = randomText(1024, 2);

async function stateRows(table: TableName) {
  return target.sink.query<{ n: string }>({
    sql: `SELECT data->>'n' AS n FROM ${target.sink.dialect.quoteTable(stateTable(table))} ORDER BY 1`,
    params: [],
  });
}

describe("PostgreSQL key column", () => {
  it("holds a 2,048-byte partition key with a 1,024-byte sort key (DynamoDB's limits)", async () => {
    const table = target.table("bigkey");
    const pipeline = new ApplyPipeline(target.sink, { table, keySchema: KEYS });
    const result = await pipeline.apply(
      [record("small", "a", 1), record(bigId, bigSort, 2)].flatMap((r) => sourceRecords(r)),
    );
    expect(result.failed.map((f) => f.error.message)).toEqual([]);
    expect(result.applied).toBe(2);
    expect(await stateRows(table)).toEqual([{ n: "1" }, { n: "2" }]);
    // The same key again is recognised as the same item.
    const again = await pipeline.apply(sourceRecords(record(bigId, bigSort, 2)));
    expect(again).toMatchObject({ applied: 0, failed: [] });
  });

  it("key_hash is the SHA-256 of the canonical key, as the key lookups (verify, repair) compute it", async () => {
    const table = target.table("keyhash");
    const pipeline = new ApplyPipeline(target.sink, { table, keySchema: KEYS });
    // Non-ASCII, quotes, a backslash: the text PostgreSQL hashes is the key's exactly.
    const id = 'é ü "q" \\ 日本 🎉';
    const result = await pipeline.apply(sourceRecords(record(id, "s", 1)));
    expect(result.failed.map((f) => f.error.message)).toEqual([]);
    const stored = await target.sink.query<{ h: string }>({
      sql: `SELECT encode(key_hash, 'hex') AS h FROM ${target.sink.dialect.quoteTable(stateTable(table))}`,
      params: [],
    });
    expect(stored).toEqual([{ h: keyHash(canonicalKey({ id: { S: id }, sort: { S: "s" } })) }]);
  });

  it("a table of the earlier layout keeps its layout; a key too large for it fails alone as the row's", async () => {
    const table = target.table("oldlayout");
    const state = target.sink.dialect.quoteTable(stateTable(table));
    // The layout dynacrate created before key_hash.
    await target.sink.query({
      sql:
        `CREATE TABLE ${state} (pk jsonb PRIMARY KEY, data jsonb, aux jsonb, version text COLLATE "C" NOT NULL, ` +
        "deleted boolean NOT NULL DEFAULT false, updated_at timestamptz NOT NULL DEFAULT now())",
      params: [],
    });
    const sink = new PostgresSink({ url: target.url });
    try {
      const pipeline = new ApplyPipeline(sink, { table, keySchema: KEYS });
      const result = await pipeline.apply(
        [record("small", "a", 1), record(bigId, bigSort, 2), record("other", "b", 3)].flatMap((r) =>
          sourceRecords(r),
        ),
      );
      expect(result.applied).toBe(2);
      expect(result.failed.map((f) => [f.index, f.permanent, f.error.message])).toEqual([
        [1, true, expect.stringMatching(/index row size/)],
      ]);
      expect(await stateRows(table)).toEqual([{ n: "1" }, { n: "3" }]);
      const columns = await target.sink.query<{ column_name: string }>({
        sql: "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY 1",
        params: [stateTable(table).name],
      });
      expect(columns.map((c) => c.column_name)).not.toContain("key_hash");
    } finally {
      await sink.close();
    }
  });
});
