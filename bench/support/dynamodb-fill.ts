// The benchmarks' DynamoDB table: items of about 1 KB with nested maps, lists,
// sets and numbers (the same item for the same index in every benchmark), and
// the fill of a DynamoDB Local table with them, with a progress line (a fill of
// 100,000 items takes minutes).

import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteItemCommand } from "@aws-sdk/client-dynamodb";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { prng } from "../../src/local/prng.ts";

export const BENCH_KEY: KeySchema = [
  { name: "pk", type: "S" },
  { name: "sk", type: "N" },
];

/** Item `i`, about 1 KB in DynamoDB JSON: a few typed attributes and some text. */
export function benchItem(i: number): AttributeMap {
  const r = prng(i + 1);
  const words = Array.from({ length: 80 }, () => Math.floor(r() * 1e6).toString(36)).join(" ");
  return {
    pk: { S: `customer-${String(i % 10_000).padStart(5, "0")}` },
    sk: { N: String(i) },
    status: { S: ["NEW", "PAID", "SHIPPED"][i % 3] as string },
    total: { N: (r() * 1e4).toFixed(2) },
    exact: { N: "12345678901234567890.123456789012345678" },
    paid: { BOOL: r() < 0.5 },
    tags: { SS: ["a", "b", `t${i % 17}`] },
    address: { M: { city: { S: "Zürich" }, zip: { S: String(8000 + (i % 100)) } } },
    lines: { L: [{ M: { sku: { S: `sku-${i % 97}` }, qty: { N: String(1 + (i % 5)) } } }] },
    note: { S: words.slice(0, 600) },
  };
}

/** How many BatchWriteItem calls (25 items each) are in flight at once. */
const IN_FLIGHT = 8;
/** A progress line at most this often. */
const PROGRESS_MS = 5_000;

/**
 * Puts items `from` (inclusive) to `to` (exclusive) into `table`, writing the
 * unprocessed items again, and prints a progress line every few seconds.
 */
export async function fillTable(
  client: DynamoDBClient,
  table: string,
  from: number,
  to: number,
  out: NodeJS.WritableStream = process.stdout,
): Promise<void> {
  const started = performance.now();
  let shown = started;
  const line = (done: number) => {
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round((done - from) / Math.max(seconds, 0.001)).toLocaleString("en-US");
    out.write(
      `filling ${table}: ${done.toLocaleString("en-US")} / ${to.toLocaleString("en-US")} items` +
        `${done > from ? ` (${rate} items/s)` : ""}\n`,
    );
  };
  line(from);
  for (let i = from; i < to; i += 25 * IN_FLIGHT) {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, c) => {
        const first = i + c * 25;
        let requests = Array.from({ length: Math.max(0, Math.min(25, to - first)) }, (_, j) => ({
          PutRequest: { Item: benchItem(first + j) as Record<string, AttributeValue> },
        }));
        while (requests.length > 0) {
          const answer = await client.send(
            new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
          );
          requests = (answer.UnprocessedItems?.[table] ?? []) as typeof requests;
        }
      }),
    );
    if (performance.now() - shown >= PROGRESS_MS) {
      shown = performance.now();
      line(Math.min(to, i + 25 * IN_FLIGHT));
    }
  }
  line(to);
}
