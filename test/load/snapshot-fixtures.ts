// Test data for full loads: items holding every DynamoDB attribute type and
// 38-digit numbers, and a table filled with them. Exports are written by
// src/local/services/export-files.ts.

import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { prng } from "../../src/local/prng.ts";
import { createStreamingTable } from "../../src/local/services/provision.ts";

/** A number of exactly 38 significant digits, sometimes negative, with a point or an exponent. */
function digits38(r: () => number): string {
  let text = String(1 + Math.floor(r() * 9));
  for (let i = 1; i < 38; i++) text += String(Math.floor(r() * 10));
  const sign = r() < 0.3 ? "-" : "";
  const shape = r();
  if (shape < 0.34) return sign + text;
  if (shape < 0.67) return `${sign}${text.slice(0, 19)}.${text.slice(19)}`;
  return `${sign}${text[0]}.${text.slice(1)}E-${Math.floor(r() * 90)}`;
}

/** Item `i`: every attribute type, nested, and numbers a double can not hold. */
export function allTypesItem(
  keySchema: KeySchema,
  i: number,
  seed = 1,
): Record<string, AttributeValue> {
  const r = prng(seed * 100_003 + i);
  const item: Record<string, AttributeValue> = {};
  for (const [at, k] of keySchema.entries()) {
    item[k.name] =
      k.type === "N"
        ? { N: at === 0 ? String(i) : `${i}.${at}` }
        : k.type === "B"
          ? { B: new TextEncoder().encode(`key-${i}`) }
          : { S: at === 0 ? `item-${String(i).padStart(5, "0")}` : `sort-${i % 7}` };
  }
  Object.assign(item, {
    text: { S: `Zürich "quoted" \t ${i} 😀` },
    big: { N: digits38(r) },
    small: { N: "0.000000000000000000000000000000000000000000000001" },
    flag: { BOOL: r() < 0.5 },
    nothing: { NULL: true },
    blob: { B: Uint8Array.from({ length: 1 + (i % 9) }, (_, j) => (i * 31 + j) % 256) },
    map: {
      M: {
        level: { N: digits38(r) },
        deeper: { M: { list: { L: [{ N: digits38(r) }, { S: "x" }, { NULL: true }] } } },
      },
    },
    numbers: { L: [{ N: "1" }, { N: digits38(r) }] },
    mixed: { L: [{ S: "a" }, { N: "2" }, { BOOL: false }, { M: { k: { S: "v" } } }] },
    strings: { SS: ["a", `b${i}`, "ç"] },
    numberSet: { NS: [digits38(r), "-1", "0.5"] },
    binarySet: { BS: [new Uint8Array([1, 2, i % 256]), new Uint8Array([255])] },
    empty: { S: "" },
  });
  return item;
}

/** Creates a table (streams on unless `stream: false`) and writes `count` items to it. */
export async function createFilledTable(
  client: DynamoDBClient,
  tableName: string,
  keySchema: KeySchema,
  count: number,
  options: { stream?: boolean; item?: (i: number) => Record<string, AttributeValue> } = {},
): Promise<void> {
  await createStreamingTable(client, tableName, keySchema, options);
  const make = options.item ?? ((i: number) => allTypesItem(keySchema, i));
  await putItems(
    client,
    tableName,
    Array.from({ length: count }, (_, i) => make(i)),
  );
}

export async function putItems(
  client: DynamoDBClient,
  tableName: string,
  items: Array<Record<string, AttributeValue>>,
): Promise<void> {
  const chunks: Array<Array<Record<string, AttributeValue>>> = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  const writeChunk = async (chunk: Array<Record<string, AttributeValue>>) => {
    let requests = chunk.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const out = await client.send(
        new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }),
      );
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  };
  // A few at a time: fast enough, and gentle on a busy machine.
  for (let i = 0; i < chunks.length; i += 4)
    await Promise.all(chunks.slice(i, i + 4).map(writeChunk));
}
