// Seeded DynamoDB workloads for the end-to-end tests: puts, updates and
// deletes over a fixed set of keys, on items with numbers of up to 38 digits,
// nested maps and lists, mixed-type lists, sets, binary, booleans and nulls.
// Several writers run at once, each owning its own keys, so the order of each
// item's changes (all that DynamoDB orders) is the same in every run.

import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { prng } from "../../src/local/prng.ts";

export interface WorkloadOptions {
  seed: number;
  changes: number;
  keys: number;
  /** Writers at once. Default 8. */
  writers?: number;
  /** Told after each change (for tests that act in the middle of a run). */
  onChange?: (done: number) => void;
}

export interface WorkloadCounts {
  puts: number;
  updates: number;
  deletes: number;
}

type Random = () => number;

/** A decimal of up to 38 significant digits, sometimes with an exponent, never a double's friend. */
function longNumber(r: Random): string {
  const digits = 1 + Math.floor(r() * 38);
  let text = String(1 + Math.floor(r() * 9));
  for (let i = 1; i < digits; i++) text += String(Math.floor(r() * 10));
  const sign = r() < 0.2 ? "-" : "";
  const shape = r();
  if (shape < 0.4 || digits === 1) return sign + text;
  if (shape < 0.8) {
    const point = 1 + Math.floor(r() * (digits - 1));
    return `${sign}${text.slice(0, point)}.${text.slice(point)}`;
  }
  return `${sign}${text[0]}.${text.slice(1)}E${r() < 0.5 ? "-" : "+"}${Math.floor(r() * 100)}`;
}

function pick<T>(r: Random, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

const WORDS = [
  "alpha",
  "bravo",
  "Zürich",
  "café",
  "naïve",
  "Łódź",
  'quote"d',
  "tab\there",
  "emoji 😀",
];

function item(r: Random, key: Record<string, AttributeValue>, version: number) {
  const out: Record<string, AttributeValue> = {
    ...key,
    version: { N: String(version) },
    amount: { N: longNumber(r) },
    label: { S: pick(r, WORDS) },
    active: { BOOL: r() < 0.5 },
    nested: {
      M: {
        level: { N: longNumber(r) },
        deeper: {
          M: { list: { L: [{ N: longNumber(r) }, { S: pick(r, WORDS) }, { NULL: true }] } },
        },
      },
    },
    tags: { SS: [...new Set([pick(r, WORDS), pick(r, WORDS), pick(r, WORDS)])] },
    scores: { NS: [...new Set([longNumber(r), longNumber(r)])] },
    blob: { B: Uint8Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256)) },
  };
  if (r() < 0.3) out.nothing = { NULL: true };
  // A top-level list of mixed types goes to the `aux` column.
  if (r() < 0.3) out.mixed = { L: [{ S: pick(r, WORDS) }, { N: longNumber(r) }, { BOOL: true }] };
  if (r() < 0.2)
    out.blobs = { BS: [new Uint8Array([1, Math.floor(r() * 256)]), new Uint8Array([2])] };
  return out;
}

/** The key of item number `i` under a key schema (string keys `k0007`, number keys 7 and 7.5). */
export function keyOf(schema: KeySchema, i: number): Record<string, AttributeValue> {
  const key: Record<string, AttributeValue> = {};
  schema.forEach((k, at) => {
    const text = at === 0 ? `k${String(i).padStart(4, "0")}` : String(i % 3 === 0 ? i + 0.5 : i);
    key[k.name] =
      k.type === "N"
        ? { N: at === 0 ? String(i) : text }
        : k.type === "B"
          ? { B: new TextEncoder().encode(text) }
          : { S: text };
  });
  return key;
}

/** Runs the workload; resolves when every change is written. */
export async function runWorkload(
  client: DynamoDBClient,
  tableName: string,
  keySchema: KeySchema,
  options: WorkloadOptions,
): Promise<WorkloadCounts> {
  const writers = options.writers ?? 8;
  const counts: WorkloadCounts = { puts: 0, updates: 0, deletes: 0 };
  let done = 0;
  const perWriter = Math.ceil(options.changes / writers);
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const r = prng(options.seed * 7919 + w);
      const keys = Array.from({ length: options.keys }, (_, i) => i).filter(
        (i) => i % writers === w,
      );
      if (keys.length === 0) return;
      const versions = new Map<number, number>();
      for (let c = 0; c < perWriter && w + c * writers < options.changes; c++) {
        const i = pick(r, keys);
        const key = keyOf(keySchema, i);
        const version = (versions.get(i) ?? 0) + 1;
        versions.set(i, version);
        const roll = r();
        if (roll < 0.5) {
          await client.send(
            new PutItemCommand({ TableName: tableName, Item: item(r, key, version) }),
          );
          counts.puts++;
        } else if (roll < 0.8) {
          // An update of a missing item creates it, as DynamoDB does.
          await client
            .send(
              new UpdateItemCommand({
                TableName: tableName,
                Key: key,
                UpdateExpression: "SET #v = :v, #a = :a, #n.#l = :l ADD #t :t REMOVE #x",
                ConditionExpression: "attribute_exists(#n)",
                ExpressionAttributeNames: {
                  "#v": "version",
                  "#a": "amount",
                  "#n": "nested",
                  "#l": "level",
                  "#t": "tags",
                  "#x": "nothing",
                },
                ExpressionAttributeValues: {
                  ":v": { N: String(version) },
                  ":a": { N: longNumber(r) },
                  ":l": { N: longNumber(r) },
                  ":t": { SS: [pick(r, WORDS)] },
                },
              }),
            )
            .catch(async (error: Error) => {
              if (error.name !== "ConditionalCheckFailedException") throw error;
              // No item (or one without `nested`): write a whole one instead.
              await client.send(
                new PutItemCommand({ TableName: tableName, Item: item(r, key, version) }),
              );
            });
          counts.updates++;
        } else {
          await client.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
          counts.deletes++;
        }
        options.onChange?.(++done);
      }
    }),
  );
  return counts;
}
