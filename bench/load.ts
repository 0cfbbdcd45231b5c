// bench:load — `dynacrate load` into a fresh PostgreSQL, each run its own
// process (as users run it) with its peak memory (VmHWM) read from /proc:
//   (a) from DynamoDB Local by parallel Scan, for two table sizes (default
//       100,000 and 300,000 items of about 1 KB): items/s and peak RSS, and the
//       ratio of the two peaks (goal < 1.3: memory must not grow with the table);
//   (b) from a DynamoDB export folder (DYNAMODB_JSON, default 300,000 items);
//   (c) the floor of the sink path: `dynacrate replay` of as many INSERT
//       records of the same items, so the reading side's cost shows as
//       load/replay.
// Sizes: npm run bench:load -- --sizes 100000,300000 --export 300000

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { localDynamoDbClient } from "../src/local/services/aws-clients.ts";
import { startDynamoDbLocal } from "../src/local/services/dynamodb-local.ts";
import { writeExport } from "../src/local/services/export-files.ts";
import { startPostgres } from "../src/local/services/postgres.ts";
import { createStreamingTable } from "../src/local/services/provision.ts";
import { LOCAL_REGION } from "../src/local/services/stack.ts";
import { runCli } from "./support/cli-process.ts";
import { BENCH_KEY, benchItem, fillTable } from "./support/dynamodb-fill.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "100000,300000" },
    export: { type: "string", default: "300000" },
    segments: { type: "string", default: "4" },
  },
});
const SIZES = (values.sizes as string).split(",").map(Number);
const EXPORT_SIZE = Number(values.export);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "dynacrate-bench-load-"));
  const [dynamo, pg] = await Promise.all([startDynamoDbLocal(), startPostgres()]);
  const client = localDynamoDbClient(dynamo.endpoint);
  const target = ["--target", pg.url];
  const results: Array<{ name: string; items: number; rate: number; peakMb: number }> = [];
  try {
    for (const size of SIZES) {
      const table = `bench_scan_${size}`;
      await createStreamingTable(client, table, BENCH_KEY, { stream: false });
      await fillTable(client, table, 0, size);
      const run = await runCli([
        "load",
        "--source",
        `dynamodb://${table}`,
        "--segments",
        String(values.segments),
        "--endpoint",
        dynamo.endpoint,
        "--region",
        LOCAL_REGION,
        ...target,
        "--table",
        table,
      ]);
      results.push({
        name: `(a) scan ${size}`,
        items: size,
        rate: rate(run.stdout),
        peakMb: run.peakMb,
      });
    }

    const items = Array.from({ length: EXPORT_SIZE }, (_, i) => benchItem(i));
    const { folder } = writeExport(join(dir, "export"), items, {
      tableName: "bench_export",
      exportTime: new Date(),
      files: 8,
    });
    const exported = await runCli([
      "load",
      "--source",
      folder,
      "--key",
      "pk:S,sk:N",
      ...target,
      "--table",
      "bench_export",
    ]);
    results.push({
      name: `(b) export ${EXPORT_SIZE}`,
      items: EXPORT_SIZE,
      rate: rate(exported.stdout),
      peakMb: exported.peakMb,
    });

    // (c) replay of as many INSERT records of the same items (DynamoDB Streams shape).
    const replaySize = SIZES.at(-1) as number;
    const capture = join(dir, "inserts.ndjson");
    writeFileSync(
      capture,
      Array.from({ length: replaySize }, (_, i) => {
        const image = benchItem(i);
        return JSON.stringify({
          eventID: `e${i}`,
          eventName: "INSERT",
          eventSource: "aws:dynamodb",
          dynamodb: {
            ApproximateCreationDateTime: 1_700_000_000,
            Keys: { pk: image.pk, sk: image.sk },
            NewImage: image,
            SequenceNumber: String(1e20 + i),
            StreamViewType: "NEW_AND_OLD_IMAGES",
          },
        });
      }).join("\n"),
    );
    const replayed = await runCli([
      "replay",
      capture,
      "--key",
      "pk:S,sk:N",
      ...target,
      "--table",
      "bench_replay",
    ]);
    const replayRate = Number(/([\d.]+) records\/s/.exec(replayed.stdout)?.[1] ?? Number.NaN);
    results.push({
      name: `(c) replay ${replaySize}`,
      items: replaySize,
      rate: replayRate,
      peakMb: replayed.peakMb,
    });

    for (const r of results) {
      process.stdout.write(
        `${r.name.padEnd(22)} ${Math.round(r.rate).toLocaleString("en-US").padStart(9)} items/s   peak RSS ${r.peakMb.toFixed(0).padStart(5)} MB\n`,
      );
    }
    const scans = results.filter((r) => r.name.startsWith("(a)"));
    if (scans.length >= 2) {
      const ratio = (scans.at(-1)?.peakMb as number) / (scans[0]?.peakMb as number);
      process.stdout.write(
        `peak RSS ${scans.at(-1)?.name} / ${scans[0]?.name} = ${ratio.toFixed(2)}  (goal < 1.3)\n`,
      );
    }
    const lastScan = scans.at(-1);
    if (lastScan)
      process.stdout.write(`scan load / replay = ${(lastScan.rate / replayRate).toFixed(2)}\n`);
    process.stdout.write(
      `export load / replay = ${(rate(exported.stdout) / replayRate).toFixed(2)}\n`,
    );
  } finally {
    client.destroy();
    await Promise.all([dynamo.stop(), pg.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The items/s of a load's summary. */
function rate(stdout: string): number {
  return Number(/([\d.]+) items\/s/.exec(stdout)?.[1] ?? Number.NaN);
}

await main();
