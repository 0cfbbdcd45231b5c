// Reads a DynamoDB export to S3 in the DYNAMODB_JSON format: manifest-summary.json
// (exportTime, itemCount, outputFormat), manifest-files.json (one JSON object
// per line naming a data file by its `dataFileS3Key`), and the gzip'd data
// files, one `{"Item": {...}}` per line. One part per data file, resumable
// after any line. An export carries no key schema.

import { createGunzip } from "node:zlib";
import { errorMessage } from "../error-text.ts";
import { RecordError, SourceError } from "../errors.ts";
import type { ExportStore } from "./export-store.ts";
import {
  type SnapshotInfo,
  type SnapshotPage,
  type SnapshotSource,
  UnreadableItem,
} from "./snapshot-source.ts";

/** Lines per page handed to the load (a page is also the unit of resumption). */
export const EXPORT_PAGE_LINES = 1000;

interface Summary {
  exportTime?: unknown;
  itemCount?: unknown;
  outputFormat?: unknown;
  exportType?: unknown;
  tableArn?: unknown;
}

export class DynamoDbExportSource implements SnapshotSource {
  readonly id: string;
  private summary: Summary | undefined;
  private files: string[] | undefined;

  constructor(
    private readonly store: ExportStore,
    id: string,
    private readonly pageLines = EXPORT_PAGE_LINES,
  ) {
    this.id = id;
  }

  private async readSummary(): Promise<Summary> {
    if (!this.summary) {
      const text = await this.store.readText("manifest-summary.json");
      let summary: Summary;
      try {
        summary = JSON.parse(text) as Summary;
      } catch (error) {
        throw new SourceError(
          `manifest-summary.json of ${this.store.where} is not JSON (${errorMessage(error)})`,
        );
      }
      if (summary.outputFormat !== undefined && summary.outputFormat !== "DYNAMODB_JSON") {
        throw new SourceError(
          `the export at ${this.store.where} is in ${String(summary.outputFormat)}; dynacrate reads DYNAMODB_JSON exports (export again with --export-format DYNAMODB_JSON)`,
        );
      }
      if (summary.exportType !== undefined && summary.exportType !== "FULL_EXPORT") {
        throw new SourceError(
          `the export at ${this.store.where} is an ${String(summary.exportType)}; a full load needs a FULL_EXPORT`,
        );
      }
      this.summary = summary;
    }
    return this.summary;
  }

  async describe(): Promise<SnapshotInfo> {
    const summary = await this.readSummary();
    const time =
      typeof summary.exportTime === "string" ? Date.parse(summary.exportTime) : Number.NaN;
    if (Number.isNaN(time)) {
      throw new SourceError(
        `manifest-summary.json of ${this.store.where} has no exportTime: without it, the hand-off to the change stream can not be placed`,
      );
    }
    const arn = typeof summary.tableArn === "string" ? summary.tableArn : undefined;
    return {
      tableName: arn ? arn.slice(arn.lastIndexOf("/") + 1) : undefined,
      keySchema: undefined,
      itemCount: typeof summary.itemCount === "number" ? summary.itemCount : undefined,
      snapshotTimeMs: time,
    };
  }

  /** The data files the manifest names; every one must exist before anything is loaded. */
  async parts(): Promise<string[]> {
    if (this.files) return this.files;
    await this.readSummary();
    const text = await this.store.readText("manifest-files.json");
    const files: string[] = [];
    text.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      let key: unknown;
      try {
        key = (JSON.parse(line) as { dataFileS3Key?: unknown }).dataFileS3Key;
      } catch {
        key = undefined;
      }
      if (typeof key !== "string" || !key.includes("data/")) {
        throw new SourceError(
          `manifest-files.json of ${this.store.where}, line ${i + 1}: expected {"dataFileS3Key": ".../data/<name>.json.gz", ...}`,
        );
      }
      // The key is relative to the bucket (with or without the export prefix);
      // the file is the export folder's data/<name>.
      files.push(key.slice(key.lastIndexOf("data/")));
    });
    for (const file of files) {
      if (!(await this.store.exists(file))) {
        throw new SourceError(
          `manifest-files.json names ${file}, which is missing from the export at ${this.store.where}`,
        );
      }
    }
    this.files = files;
    return files;
  }

  async *read(part: string, from: string | undefined, signal: AbortSignal) {
    const skip = from === undefined ? 0 : Number(from);
    const input = await this.store.open(part);
    const gunzip = createGunzip();
    input.on("error", (error) => gunzip.destroy(error));
    const lines = input.pipe(gunzip);
    lines.setEncoding("utf8");
    let lineNo = 0;
    let rest = "";
    let items: unknown[] = [];
    let firstLine = 0;
    const page = (next: string | undefined): SnapshotPage => {
      const start = firstLine;
      const batch = items;
      items = [];
      return { items: batch, ref: (index) => `${part} line ${start + index}`, next };
    };
    const take = (line: string) => {
      lineNo++;
      if (lineNo <= skip || line.trim() === "") return;
      if (items.length === 0) firstLine = lineNo;
      items.push(exportItem(line, `${part} line ${lineNo}`));
    };
    try {
      for await (const chunk of lines) {
        if (signal.aborted) return;
        rest += chunk as string;
        let at = rest.indexOf("\n");
        while (at >= 0) {
          take(rest.slice(0, at));
          rest = rest.slice(at + 1);
          at = rest.indexOf("\n");
        }
        // An empty line keeps the numbering, so positions stay line numbers.
        if (items.length >= this.pageLines) yield page(String(lineNo));
      }
      if (rest !== "") take(rest);
    } catch (error) {
      throw fileError(part, this.store.where, error);
    } finally {
      input.destroy();
    }
    yield page(undefined);
  }
}

/** The item of one data line, or an UnreadableItem the load dead-letters. */
function exportItem(line: string, ref: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return new UnreadableItem(
      new RecordError(ref, undefined, `not JSON (${errorMessage(error)})`),
      line,
    );
  }
  const item = (parsed as { Item?: unknown } | null)?.Item;
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    return new UnreadableItem(
      new RecordError(ref, "Item", 'a DYNAMODB_JSON export line is {"Item": {...}}'),
      line,
    );
  }
  return item;
}

/** A corrupt or truncated gzip file can not heal: a SourceError naming the file. */
function fileError(part: string, where: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("Z_")) {
    return new SourceError(
      `${part} of the export at ${where} is not a complete gzip file (${errorMessage(error)}); download or export it again`,
      { cause: error },
    );
  }
  return error;
}
