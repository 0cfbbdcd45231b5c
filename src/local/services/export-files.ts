// Writes DynamoDB exports in the documented DYNAMODB_JSON layout
// (manifest-summary.json, manifest-files.json, data/<name>.json.gz), as
// DynamoDB lays them out in S3, from items in their wire form: the export
// path's tests and bench:load read them like a real export.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { AttributeMap } from "../../codec/types.ts";

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
