// The `replay` command line: options in, summary out, exit status 1 when any
// record failed.

import { existsSync } from "node:fs";
import { ConfigError } from "../../errors.ts";
import { openSink, redactUrl } from "../../sink/open-sink.ts";
import { formatTableName } from "../../sql/table-name.ts";
import {
  keyOption,
  numbersOption,
  parse,
  positiveInt,
  SINK_HELP,
  SINK_OPTIONS,
  tableOption,
  targetUrl,
} from "../args.ts";
import { DEFAULT_REPLAY_BATCH, replay } from "../replay.ts";

export const usage = `dynacrate replay <file.ndjson> --target URL --table NAME [options]

Applies a capture of change records to a sink, in file order, in batches. Each
line is a DynamoDB Streams record, a Kinesis Data Streams for DynamoDB record,
or a Lambda event holding many.

${SINK_HELP}
  --format FORMAT     dynamodb (default) or mongodb: one MongoDB change event per line, in
                      canonical Extended JSON as watch() yields it with fullDocument
                      "updateLookup" (the table's key is the document's _id, as oid)
  --dlq FILE          write records that fail, with the reason, to FILE (NDJSON)
  --batch-size N      records per batch (default 5000)
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...SINK_OPTIONS,
    dlq: { type: "string" },
    "batch-size": { type: "string" },
    format: { type: "string" },
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
  const table = tableOption(values);
  const keySchema = keyOption(values);
  const numbers = numbersOption(values);
  const batchSize = positiveInt(values, "batch-size", DEFAULT_REPLAY_BATCH);
  const format = (values.format as string | undefined) ?? "dynamodb";
  if (format !== "dynamodb" && format !== "mongodb")
    throw new ConfigError(`--format must be dynamodb or mongodb, got ${format}`);
  if (!existsSync(file)) throw new ConfigError(`capture file ${file} does not exist`);
  const sink = await openSink(url);
  try {
    const summary = await replay({
      file,
      format,
      sink,
      table,
      keySchema,
      numbers,
      deadLetterFile: values.dlq as string | undefined,
      batchSize,
      progress: process.stderr,
    });
    const rate = Math.round(summary.records / Math.max(summary.seconds, 0.001));
    const out = [
      `replayed ${file} into ${redactUrl(url)} table ${formatTableName(table)}`,
      `  records  ${summary.records}`,
      `  applied  ${summary.applied}`,
      `  skipped  ${summary.skipped} (${summary.superseded} superseded in their batch, ` +
        (summary.staleUnknown
          ? "stale ones counted as applied: CrateDB can not tell them apart, "
          : `${summary.stale} stale, `) +
        `${summary.duplicates} duplicates)`,
      `  failed   ${summary.failed}${summary.failed && values.dlq ? ` (written to ${values.dlq})` : ""}`,
      ...(summary.beyondHorizon
        ? [
            `  of them ${summary.beyondHorizon} older than a purged tombstone: refused, as they could bring deleted items back`,
          ]
        : []),
      ...(summary.routedToAux
        ? [
            `  aux      ${summary.routedToAux} attributes stored in aux (their type differs from data's column)`,
          ]
        : []),
      ...(summary.roundedNumbers
        ? [`  rounded  ${summary.roundedNumbers} numbers to doubles (--numbers)`]
        : []),
      `  ${summary.seconds.toFixed(1)} s, ${rate} records/s`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await sink.close();
  }
}
