// Test data for full loads: items holding every DynamoDB attribute type and
// 38-digit numbers, a table filled with them, and DynamoDB exports written in
// the documented DYNAMODB_JSON layout (manifest-summary.json,
// manifest-files.json, data/<name>.json.gz) from a table's items.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { AttributeMap } from "../../src/codec/types.ts";
import { prng } from "../../src/local/prng.ts";
import { createStreamingTable } from "../../src/local/provision.ts";
import type { KeySchema } from "../../src/sql/key-schema.ts";

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

export interface ExportOptions {
  exportId?: string;
  tableName: string;
  exportTime: Date;
  /** Data files to spread the items over. */
  files?: number;
  /** Extra manifest lines naming files that are not written. */
  missingFiles?: string[];
  /** Cuts data file 0 short by this many bytes (a truncated download). */
  truncate?: number;
}

/**
 * Writes a DYNAMODB_JSON export of `items` (wire form) under `root`, as
 * DynamoDB lays it out in S3: <root>/AWSDynamoDB/<export-id>/... Returns the
 * export folder and the S3 keys of its files, relative to `root`.
 */
export function writeExport(
  root: string,
  items: AttributeMap[],
  options: ExportOptions,
): { folder: string; keys: string[] } {
  const id = options.exportId ?? `${Date.now()}-${Math.floor(Math.random() * 1e8).toString(16)}`;
  const base = `AWSDynamoDB/${id}`;
  const folder = join(root, base);
  mkdirSync(join(folder, "data"), { recursive: true });
  const files = options.files ?? 3;
  const manifest: string[] = [];
  const keys: string[] = [];
  for (let f = 0; f < files; f++) {
    const lines = items.filter((_, i) => i % files === f).map((Item) => JSON.stringify({ Item }));
    let gz = gzipSync(lines.length > 0 ? `${lines.join("\n")}\n` : "");
    if (f === 0 && options.truncate) gz = gz.subarray(0, gz.length - options.truncate);
    const name = `data/${id.slice(0, 8)}file${f}.json.gz`;
    writeFileSync(join(folder, name), gz);
    keys.push(`${base}/${name}`);
    manifest.push(
      JSON.stringify({
        itemCount: lines.length,
        md5Checksum: createHash("md5").update(gz).digest("base64"),
        etag: createHash("md5").update(gz).digest("hex"),
        dataFileS3Key: `${base}/${name}`,
      }),
    );
  }
  for (const missing of options.missingFiles ?? [])
    manifest.push(JSON.stringify({ itemCount: 1, dataFileS3Key: `${base}/data/${missing}` }));
  writeFileSync(join(folder, "manifest-files.json"), `${manifest.join("\n")}\n`);
  const summary = {
    version: "2020-06-30",
    exportArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${options.tableName}/export/${id}`,
    startTime: options.exportTime.toISOString(),
    endTime: new Date(options.exportTime.getTime() + 60_000).toISOString(),
    tableArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${options.tableName}`,
    tableId: "00000000-0000-0000-0000-000000000000",
    exportTime: options.exportTime.toISOString(),
    s3Bucket: "exports",
    s3Prefix: null,
    s3SseAlgorithm: "AES256",
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${base}/manifest-files.json`,
    billedSizeBytes: 0,
    itemCount: items.length,
    outputFormat: "DYNAMODB_JSON",
    exportType: "FULL_EXPORT",
  };
  writeFileSync(join(folder, "manifest-summary.json"), JSON.stringify(summary, null, 2));
  keys.push(`${base}/manifest-files.json`, `${base}/manifest-summary.json`);
  return { folder, keys };
}
