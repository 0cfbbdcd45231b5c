// The `verify` command line: compares a DynamoDB table with its target item
// by item (src/verify/verify.ts), prints the counts and the first
// differences, optionally repairs them. Exit 0: they match (with --repair:
// every difference found was repaired and, read again, is gone); 1: they
// differ (with --repair: a difference remains); 2: a usage or connection error.

import { writeFileSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { formatKeySchema } from "../../codec/key-schema.ts";
import { ConfigError } from "../../errors.ts";
import { ApplyPipeline } from "../../pipeline/apply-pipeline.ts";
import { targetCaseHint } from "../../sink/case-hint.ts";
import { checkConnection } from "../../sink/connection-check.ts";
import { openSink, redactUrl } from "../../sink/open-sink.ts";
import { DynamoDbScanSource } from "../../source/dynamodb-scan.ts";
import { formatTableName, stateTable } from "../../sql/table-name.ts";
import { TargetRows } from "../../verify/target-rows.ts";
import { runVerify, type VerifySummary } from "../../verify/verify.ts";
import {
  numbersOption,
  numberValue,
  parse,
  readValue,
  requiredRule,
  requireOption,
  SINK_OPTIONS,
  sinkOptions,
  tableOption,
  targetUrl,
  wholeOption,
  wholeValue,
} from "../args.ts";
import { asSourceError, awsClientConfig } from "../aws.ts";
import { Progress } from "../progress.ts";

export const usage = `dynacrate verify --source dynamodb://<table> --target URL --table NAME [options]

Compares a DynamoDB table with the target table item by item (attribute
order, set order and number spelling do not count) and prints what differs.
Exit status: 0 they match, 1 they differ, 2 usage or connection error.
With --repair: 0 when every difference found was repaired and, read again
after --grace, is gone; 1 when any remains (left alone, or still different).

  --source dynamodb://<table>  the DynamoDB table (read by parallel Scan)
  --target URL        postgresql://... or crate://... (or set TARGET_URL)
  --table NAME        the target table, table or schema.table
  --numbers FORMAT    the number format the target was written with (CrateDB's
                      default double: numbers equal once rounded are counted apart)
  --segments N        Scan segments read at once (default 4)
  --sample FRACTION   check only this fraction of the keys (default 1)
  --grace DURATION    a difference is read again after this long before it is
                      reported, so changes in flight are not reported (default 30s)
  --repair            write the source's current item for each missing or
                      different key, delete extras with a tombstone, all through
                      the version guard: a newer change from the stream is kept
  --margin SECS       the repair's cut is its read's time minus SECS (default 60)
  --report FILE       write the counts and the first differences as JSON
  --endpoint URL      AWS endpoint of DynamoDB (for DynamoDB Local)
  --region NAME       AWS region; credentials come from the standard AWS SDK chain
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...SINK_OPTIONS,
    source: {
      type: "string",
      value: readValue(tableOfSource),
      rule: requiredRule("source", "dynamodb://<table>"),
    },
    segments: { type: "string", value: wholeValue() },
    sample: { type: "string", value: numberValue((n) => n > 0 && n <= 1, "a fraction in (0, 1]") },
    grace: { type: "string", value: readValue((text) => duration(text, 0)) },
    repair: { type: "boolean" },
    margin: { type: "string", value: readValue((text) => duration(text, 0, "s")) },
    report: { type: "string" },
    endpoint: { type: "string" },
    region: { type: "string" },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const tableName = tableOfSource(requireOption(values, "source", "dynamodb://<table>"));
  const url = targetUrl(values);
  const table = tableOption(values);
  const segments = wholeOption(values, "segments", 4);
  const sample = values.sample === undefined ? 1 : Number(values.sample);
  const graceMs = duration(values.grace, 30_000);
  const marginMs = duration(values.margin, 60_000, "s");
  const endpoint = values.endpoint;
  const region = values.region;
  const dynamodb = new DynamoDBClient(awsClientConfig(region, endpoint));
  const source = new DynamoDbScanSource(dynamodb, tableName, { segments });
  // The same check, and the same words, as load, relay and replay before they read.
  await checkConnection(url);
  const sink = await openSink(url, sinkOptions(values));
  try {
    const info = await source.describe().catch((error) => {
      throw asSourceError(error);
    });
    const keySchema = info.keySchema ?? [];
    const relations = await sink.query<{ name: string }>(sink.dialect.lookupRelations(table));
    if (!relations.some((r) => r.name === stateTable(table).name)) {
      throw new ConfigError(
        `target table ${formatTableName(table)} does not exist in ${redactUrl(url)} (no ${stateTable(table).name})${await targetCaseHint(sink, table)}: check --table, or load it first with dynacrate load`,
      );
    }
    const numbers = numbersOption(values);
    const format = sink.dialect.rowFormat(numbers);
    const repair = values.repair
      ? new ApplyPipeline(sink, { table, keySchema, numbers })
      : undefined;
    process.stderr.write(
      `verifying ${source.id} against ${redactUrl(url)} table ${formatTableName(table)} (key ${formatKeySchema(keySchema)})\n`,
    );
    const bar = new Progress(process.stderr, "verify");
    const summary = await runVerify({
      source,
      dynamodb,
      tableName,
      keySchema,
      target: new TargetRows(sink, table, keySchema),
      compare: {
        numbersAsStrings: format.numbers === "string" || format.keyNumbers === "string",
      },
      doubles: format.numbers === "double",
      segments,
      graceMs,
      sample,
      ...(repair ? { repair } : {}),
      marginMs,
      total: info.itemCount,
      onProgress: (e) =>
        bar.update(e.compared, e.total ? Math.min(1, e.compared / e.total) : undefined),
    }).catch((error) => {
      throw asSourceError(error);
    });
    bar.done(summary.compared);
    const lines = [
      `${summary.match ? "match" : "differ"}: ${source.id} and ${formatTableName(table)}`,
      `  compared   ${summary.compared} items${sample < 1 ? ` (sample ${sample})` : ""}`,
      `  equal      ${summary.equal}`,
      `  missing    ${summary.missing} (in the source, not in the target)`,
      `  extra      ${summary.extra} (in the target, not in the source)`,
      `  different  ${summary.different}`,
      `  in flight  ${summary.resolved} (differed at first, matched when read again)`,
      ...(summary.rounded > 0
        ? [
            `  rounded    ${summary.rounded} numbers equal once rounded to a double (--numbers double)`,
          ]
        : []),
      ...(repair
        ? [
            `  repaired   ${summary.repaired}`,
            `  left alone ${summary.notRepaired} (the target holds a change newer than the repair's cut)`,
            `  remaining  ${summary.remaining} (repaired, still different when read again)`,
          ]
        : []),
      `  ${summary.seconds.toFixed(1)} s`,
    ];
    for (const d of summary.differences.slice(0, 20)) {
      lines.push(`  ${d.kind} ${d.key}`);
      for (const detail of d.details.slice(0, 5)) lines.push(`      ${detail}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
    if (typeof values.report === "string")
      writeFileSync(values.report, `${JSON.stringify(summary, null, 2)}\n`);
    return exitStatus(summary, repair !== undefined);
  } finally {
    await sink.close();
    dynamodb.destroy();
  }
}

/** 0 when the tables match, or when a repair left no difference behind; else 1. */
function exitStatus(summary: VerifySummary, repairing: boolean): number {
  if (summary.match) return 0;
  return repairing && summary.notRepaired === 0 && summary.remaining === 0 ? 0 : 1;
}

/** The table of `--source dynamodb://<table>`. */
function tableOfSource(text: string): string {
  if (!text.startsWith("dynamodb://") || text.length === "dynamodb://".length)
    throw new ConfigError(`--source must be dynamodb://<table>, got ${text}`);
  return text.slice("dynamodb://".length);
}

/** `30s`, `500ms`, `2m`, or a bare number in `unit`. */
function duration(value: unknown, fallback: number, unit: "ms" | "s" = "s"): number {
  if (value === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(value));
  if (!m) throw new ConfigError(`expected a duration such as 30s, 500ms or 2m, got ${value}`);
  const n = Number(m[1]);
  const u = m[2] ?? unit;
  return Math.round(u === "ms" ? n : u === "s" ? n * 1000 : n * 60_000);
}
