// bench:verify — `dynacrate verify` over a DynamoDB Local table of N items of
// about 1 KB and its copy made by `dynacrate load` (parallel Scan) into a fresh
// PostgreSQL, and into a live CrateDB too when CRATEDB_URL (or --target) is
// set. Each verify runs in its own process with its peak memory read from /proc:
//   - verify of the whole table (--segments, default 4): wall time, items/s,
//     peak RSS; it must exit 0 and count N equal;
//   - the floor, measured in the same run: a bare parallel Scan of the same
//     table with the same segments (the AWS SDK alone: no decode, no compare,
//     no target reads), so the price of comparing shows as verify/floor;
//   - verify at a smaller size first (default N/3, the same items): the ratio
//     of the two peaks shows whether memory grows with the table (goal < 1.3);
//   - differences injected into the target alone (missing, extra, changed):
//     a second verify must report exactly them.
// Sizes: npm run bench:verify -- --items 100000 [--small 33333] [--segments 4] [--target crate://...]

import { parseArgs } from "node:util";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { snapshotChange, snapshotRemoval } from "../src/codec/snapshot.ts";
import type { AttributeMap } from "../src/codec/types.ts";
import { localDynamoDbClient } from "../src/local/services/aws-clients.ts";
import { startDynamoDbLocal } from "../src/local/services/dynamodb-local.ts";
import { startPostgres } from "../src/local/services/postgres.ts";
import { createStreamingTable } from "../src/local/services/provision.ts";
import { LOCAL_REGION } from "../src/local/services/stack.ts";
import { ApplyPipeline } from "../src/pipeline/apply-pipeline.ts";
import { openSink, redactUrl, sinkKind } from "../src/sink/open-sink.ts";
import type { TableName } from "../src/sql/table-name.ts";
import { dropTables } from "../test/support/drop-tables.ts";
import { type CliRun, runCli } from "./support/cli-process.ts";
import { BENCH_KEY, benchItem, fillTable } from "./support/dynamodb-fill.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "100000" },
    small: { type: "string" },
    segments: { type: "string", default: "4" },
    target: { type: "string" },
  },
});
const ITEMS = Number(values.items);
const SMALL = Number(values.small ?? Math.round(ITEMS / 3));
const SEGMENTS = Number(values.segments);
if (!(Number.isInteger(ITEMS) && ITEMS >= 10 && SMALL >= 1 && SMALL < ITEMS && SEGMENTS >= 1))
  throw new Error("bench:verify needs --items N >= 10, 0 < --small < N and --segments >= 1");
const EXTRA_URL = (values.target as string | undefined) ?? process.env.CRATEDB_URL;
const SOURCE = "bench_verify";

interface Measured {
  target: string;
  items: number;
  run: CliRun;
}

async function main(): Promise<void> {
  const [dynamo, pg] = await Promise.all([startDynamoDbLocal(), startPostgres()]);
  const client = localDynamoDbClient(dynamo.endpoint);
  const targets: Array<[string, string]> = [["postgresql", pg.url]];
  if (EXTRA_URL) targets.push([sinkKind(new URL(EXTRA_URL).protocol) ?? EXTRA_URL, EXTRA_URL]);
  else process.stdout.write("CrateDB not measured: set CRATEDB_URL or pass --target crate://...\n");
  // Each run its own target tables, so a shared CrateDB keeps nobody else's.
  const tableFor = (items: number): TableName => ({
    schema: undefined,
    name: `${SOURCE}_${process.pid}_${items}`,
  });
  const created: Array<[string, TableName]> = [];
  const measured: Measured[] = [];

  /** `dynacrate load` of the source table into each target, then `dynacrate verify` of it. */
  const loadAndVerify = async (items: number) => {
    for (const [name, url] of targets) {
      const table = tableFor(items);
      created.push([url, table]);
      process.stdout.write(`loading ${items.toLocaleString("en-US")} items into ${name}...\n`);
      await runCli(["load", ...common(url, table)]);
      process.stdout.write(`verifying ${items.toLocaleString("en-US")} items in ${name}...\n`);
      const run = await runCli(["verify", ...common(url, table)]);
      const equal = count(run.stdout, "equal");
      if (equal !== items || count(run.stdout, "compared") !== items)
        throw new Error(`verify of ${name} counted ${equal} equal, not ${items}:\n${run.stdout}`);
      measured.push({ target: name, items, run });
    }
  };
  const common = (url: string, table: TableName) => [
    "--source",
    `dynamodb://${SOURCE}`,
    "--target",
    url,
    "--table",
    table.name,
    "--segments",
    String(SEGMENTS),
    "--endpoint",
    dynamo.endpoint,
    "--region",
    LOCAL_REGION,
  ];

  try {
    await createStreamingTable(client, SOURCE, BENCH_KEY, { stream: false });
    // The small table is the first SMALL items of the large one: one fill of N in all.
    await fillTable(client, SOURCE, 0, SMALL);
    await loadAndVerify(SMALL);
    await fillTable(client, SOURCE, SMALL, ITEMS);
    await loadAndVerify(ITEMS);
    const floor = await bareScan(client);
    if (floor.items !== ITEMS) throw new Error(`the bare Scan read ${floor.items}, not ${ITEMS}`);

    const injected: string[] = [];
    for (const [name, url] of targets) {
      const table = tableFor(ITEMS);
      const expected = await injectDifferences(url, table);
      // No grace: nothing writes to the tables, so a difference is read again at once.
      const run = await runCli(["verify", ...common(url, table), "--grace", "0s"], {
        expect: [1],
      });
      const found = {
        missing: count(run.stdout, "missing"),
        extra: count(run.stdout, "extra"),
        different: count(run.stdout, "different"),
        equal: count(run.stdout, "equal"),
      };
      const exact =
        found.missing === expected.missing.length &&
        found.extra === expected.extra.length &&
        found.different === expected.different.length &&
        found.equal === ITEMS - expected.missing.length - expected.different.length &&
        Object.entries(expected).every(([kind, keys]) =>
          keys.every((key) => run.stdout.includes(`${kind} ${key}`)),
        );
      if (!exact) throw new Error(`verify of ${name} did not report exactly:\n${run.stdout}`);
      injected.push(
        `${name.padEnd(11)} injected missing ${expected.missing.length}, extra ${expected.extra.length}, different ${expected.different.length}` +
          ` -> verify exit ${run.code}: missing ${found.missing}, extra ${found.extra}, different ${found.different}, equal ${found.equal} (each key named)`,
      );
    }

    const floorRate = ITEMS / floor.seconds;
    process.stdout.write(
      `\nverify, ${SEGMENTS} segments, items of ~1 KB; floor: a bare parallel Scan (${SEGMENTS} segments, AWS SDK alone) ` +
        `${Math.round(floorRate).toLocaleString("en-US")} items/s (${floor.seconds.toFixed(1)} s)\n`,
    );
    process.stdout.write(
      `${"target".padEnd(11)} ${"items".padStart(8)} ${"wall s".padStart(7)} ${"own s".padStart(6)} ${"items/s".padStart(8)} ${"/floor".padStart(6)} ${"peak RSS".padStart(9)}\n`,
    );
    for (const m of measured) {
      const rate = m.items / m.run.seconds;
      const own = Number(/^\s+([\d.]+) s$/m.exec(m.run.stdout)?.[1] ?? Number.NaN);
      process.stdout.write(
        `${m.target.padEnd(11)} ${m.items.toLocaleString("en-US").padStart(8)} ${m.run.seconds.toFixed(1).padStart(7)} ` +
          `${own.toFixed(1).padStart(6)} ${Math.round(rate).toLocaleString("en-US").padStart(8)} ` +
          `${m.items === ITEMS ? (rate / floorRate).toFixed(2).padStart(6) : "".padStart(6)} ${m.run.peakMb.toFixed(0).padStart(6)} MB\n`,
      );
    }
    for (const [name] of targets) {
      const [small, large] = [SMALL, ITEMS].map(
        (n) => measured.find((m) => m.target === name && m.items === n)?.run.peakMb as number,
      );
      process.stdout.write(
        `${name}: peak RSS at ${ITEMS.toLocaleString("en-US")} / at ${SMALL.toLocaleString("en-US")} items = ${((large as number) / (small as number)).toFixed(2)}  (goal < 1.3)\n`,
      );
    }
    for (const line of injected) process.stdout.write(`${line}\n`);
  } finally {
    client.destroy();
    for (const [url, table] of created) {
      if (url === pg.url) continue;
      const sink = await openSink(url);
      await dropTables(sink, [table]).catch((error) =>
        process.stderr.write(`could not drop ${table.name} in ${redactUrl(url)}: ${error}\n`),
      );
      await sink.close();
    }
    await Promise.all([dynamo.stop(), pg.stop()]);
  }
}

/** The floor: every segment scanned in parallel by the SDK, the items only counted. */
async function bareScan(
  client: ReturnType<typeof localDynamoDbClient>,
): Promise<{ items: number; seconds: number }> {
  const started = performance.now();
  const counts = await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let items = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: SOURCE,
            Segment: segment,
            TotalSegments: SEGMENTS,
            ExclusiveStartKey: start as never,
          }),
        );
        items += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    }),
  );
  return {
    items: counts.reduce((a, b) => a + b, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Writes differences into the target alone, through the apply pipeline at a
 * version newer than the load's: two keys deleted (missing), two keys
 * DynamoDB lacks (extra), and a changed string, number and set (different).
 * Returns the keys of each kind as verify prints them.
 */
async function injectDifferences(url: string, table: TableName) {
  const cutMs = Date.now();
  const at = (i: number) => Math.floor((ITEMS - 1) * i);
  const changed = (i: number, change: AttributeMap) => ({ ...benchItem(i), ...change });
  const differences: Record<"missing" | "extra" | "different", AttributeMap[]> = {
    missing: [at(0.1), at(0.6)].map((i) => benchItem(i)),
    extra: [ITEMS + 1, ITEMS + 2].map((i) => ({ ...benchItem(i), pk: { S: "ghost" } })),
    different: [
      changed(at(0.3), { status: { S: "CHANGED" } }),
      changed(at(0.5), { total: { N: "-1.5" } }),
      changed(at(0.9), { tags: { SS: ["a", "z"] } }),
    ],
  };
  const keyNames = BENCH_KEY.map((k) => k.name);
  const records = Object.entries(differences).flatMap(([kind, items]) =>
    items.map((item, n) => {
      const keys = { pk: item.pk, sk: item.sk } as AttributeMap;
      const ref = `injected ${kind} ${n}`;
      const change =
        kind === "missing"
          ? snapshotRemoval(keys, cutMs, ref)
          : snapshotChange(item, { keyNames, cutMs }, ref);
      return { payload: { Keys: keys }, ref, change };
    }),
  );
  const sink = await openSink(url);
  try {
    const result = await new ApplyPipeline(sink, { table, keySchema: BENCH_KEY }).apply(records);
    if (result.failed[0]) throw result.failed[0].error;
  } finally {
    await sink.close();
  }
  const show = (item: AttributeMap) =>
    `pk=${JSON.stringify((item.pk as { S: string }).S)}, sk=${(item.sk as { N: string }).N}`;
  return {
    missing: differences.missing.map(show),
    extra: differences.extra.map(show),
    different: differences.different.map(show),
  };
}

/** A count from verify's summary (`  equal      100000`). */
function count(stdout: string, what: string): number {
  const match = new RegExp(`^\\s+${what}\\s+(\\d+)`, "m").exec(stdout);
  return match ? Number(match[1]) : Number.NaN;
}

await main();
