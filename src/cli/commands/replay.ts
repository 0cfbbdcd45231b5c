// The `replay` command line: options in, summary out. Exit status 0 when every
// record was applied (or skipped as stale), 1 when any record failed (see the
// dead-letter file), 2 for a mistake found before reading (options, files,
// the sink's address or credentials) and for routes that placed none of the
// records (a --table-map typo), 3 when the sink failed mid-way: the
// replay stopped and says the line to resume from.

import { DeadLetterFile } from "../../dead-letter/file.ts";
import { checkCaptureFile } from "../../replay/capture-file.ts";
import { DEFAULT_OUTAGE_WAIT_MS, DEFAULT_REPLAY_BATCH, replay } from "../../replay/replay.ts";
import { ReplayStopped, resumeArgs } from "../../replay/resume.ts";
import type { ReplaySummary } from "../../replay/summary.ts";
import { namedTargets } from "../../routing/table-routes.ts";
import { nonePlacedMessage } from "../../routing/unplaced.ts";
import { checkConnection } from "../../sink/connection-check.ts";
import { openSink, redactUrl } from "../../sink/open-sink.ts";
import { formatTableName } from "../../sql/table-name.ts";
import {
  keyOption,
  numbersOption,
  parse,
  routesOption,
  SINK_HELP,
  SINK_OPTIONS,
  sinkOptions,
  targetUrl,
  wholeOption,
  wholeValue,
  wordValue,
} from "../args.ts";
import { HISTORY_HELP, HISTORY_OPTIONS, historyOption } from "../history-option.ts";
import { Progress } from "../progress.ts";

export const usage = `dynacrate replay <file.ndjson> --target URL --table NAME [options]

Applies a capture of change records to a sink, in file order, in batches. Each
line is a DynamoDB Streams record, a Kinesis Data Streams for DynamoDB record,
a Lambda event holding many, or a line of a dead-letter file (so
\`dynacrate replay failed.ndjson\` re-applies what failed, once it is fixed).

${SINK_HELP}
${HISTORY_HELP}
  --format FORMAT     dynamodb (default) or mongodb: one MongoDB change event per line, in
                      canonical Extended JSON as watch() yields it with fullDocument
                      "updateLookup" (the table's key is the document's _id, as oid)
  --dlq FILE          append records that fail, with the reason, to FILE (NDJSON);
                      never the input, a folder or a device
  --batch-size N      records per batch (default 5000)
  --resume LINE       start at line LINE (what a stopped replay prints)
  --outage-wait SECS  how long to wait for a sink that went away before stopping
                      (default 300)

Exit status: 0 all applied, 1 some records failed (see --dlq), 2 a mistake found
before reading, 3 the sink failed mid-way (the message says where to resume).
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...SINK_OPTIONS,
    ...HISTORY_OPTIONS,
    dlq: { type: "string" },
    "batch-size": { type: "string", value: wholeValue(1, 1_000_000) },
    resume: { type: "string", value: wholeValue() },
    "outage-wait": { type: "string", value: wholeValue(1, 7 * 24 * 3600) },
    format: {
      type: "string",
      value: wordValue(["dynamodb", "mongodb"], { say: "dynamodb or mongodb", got: true }),
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    process.stderr.write(`give one capture file\n\n${usage}`);
    return 2;
  }
  const url = targetUrl(values);
  const routes = routesOption(values);
  const keySchema = keyOption(values);
  const numbers = numbersOption(values);
  const history = historyOption(values);
  const batchSize = wholeOption(values, "batch-size", DEFAULT_REPLAY_BATCH);
  const resumeLine = wholeOption(values, "resume", 1);
  const outageWaitMs = wholeOption(values, "outage-wait", DEFAULT_OUTAGE_WAIT_MS / 1000) * 1000;
  const format = (values.format as "dynamodb" | "mongodb" | undefined) ?? "dynamodb";
  checkCaptureFile(file);
  const dlqPath = values.dlq;
  const deadLetterFile = dlqPath === undefined ? undefined : new DeadLetterFile(dlqPath, [file]);
  await checkConnection(url);
  const sink = await openSink(url, sinkOptions(values));
  const targets = namedTargets(routes).map(formatTableName).join(", ") || "(per source table)";
  const head = `replayed ${file} into ${redactUrl(url)} table ${targets}`;
  try {
    const summary = await replay({
      file,
      format,
      sink,
      routes,
      keySchema,
      numbers,
      history,
      deadLetterFile,
      batchSize,
      resumeLine,
      outageWaitMs,
      onWait: (reason, delayMs, line) =>
        process.stderr.write(
          `sink failed at line ${line}: ${reason}; trying again in ${(delayMs / 1000).toFixed(1)} s (nothing is skipped)\n`,
        ),
      progress: new Progress(process.stderr, "replay"),
    });
    // Routes that placed none of the records (a --table-map typo): said first, exit 2.
    const unplaced =
      summary.records > 0 && summary.unrouted === summary.records
        ? nonePlacedMessage(
            routes,
            summary.unroutedTables,
            `no record was replayed: ${file} holds`,
            `All ${summary.records} records failed${dlqPath ? ` (appended to ${dlqPath})` : ""}; correct the routes and replay again.`,
          )
        : undefined;
    process.stdout.write(`${unplaced ? `${unplaced}\n` : ""}${report(head, summary, dlqPath)}`);
    if (unplaced) return 2;
    return summary.failed > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof ReplayStopped)) throw error;
    process.stdout.write(report(head, error.summary, dlqPath));
    const again = ["dynacrate", "replay", ...resumeArgs(argv, error.resumeLine)];
    process.stderr.write(
      `dynacrate replay: the sink failed: ${error.reason}\n` +
        `stopped at line ${error.resumeLine}: every line before it is applied (or in the dead-letter file); nothing from it on is.\n` +
        `fix the sink, then resume with:\n  ${again.join(" ")}\n` +
        "(running the whole file again is safe too: what is applied is skipped as a duplicate)\n",
    );
    return 3;
  } finally {
    await sink.close();
  }
}

function report(head: string, summary: ReplaySummary, dlq: string | undefined): string {
  const rate = Math.round(summary.records / Math.max(summary.seconds, 0.001));
  const out = [
    head,
    `  records  ${summary.records}`,
    `  applied  ${summary.applied}`,
    `  skipped  ${summary.skipped} (${summary.superseded} superseded in their batch, ` +
      (summary.staleUnknown
        ? "stale ones counted as applied: CrateDB can not tell them apart, "
        : `${summary.stale} stale, `) +
      `${summary.duplicates} duplicates)`,
    `  failed   ${summary.failed}${summary.failed && dlq ? ` (appended to ${dlq})` : ""}`,
    ...(summary.beyondHorizon
      ? [
          `  of them ${summary.beyondHorizon} older than a purged tombstone: refused, as they could bring deleted items back`,
        ]
      : []),
    ...(summary.roundedNumbers
      ? [`  rounded  ${summary.roundedNumbers} numbers to doubles (--numbers)`]
      : []),
    ...(summary.routedToAux
      ? [
          `  aux      ${summary.routedToAux} attributes stored in aux (their type differs from data's column)`,
        ]
      : []),
    `  ${summary.seconds.toFixed(1)} s, ${rate} records/s`,
  ];
  return `${out.join("\n")}\n`;
}
