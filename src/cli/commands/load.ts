// The `load` command line: copies a whole DynamoDB table (parallel Scan, or a
// DynamoDB export in S3 or a local folder) into a sink, then, with
// --then-relay, relays the table's change stream from before the snapshot.
// A MongoDB source goes to its own copy (src/cli/mongodb-load.ts).

import { resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { S3Client } from "@aws-sdk/client-s3";
import { formatKeySchema, type KeySchema } from "../../codec/key-schema.ts";
import { DeadLetterFile } from "../../dead-letter/file.ts";
import { ConfigError } from "../../errors.ts";
import { checkRetention, checkStream, relayFrom, type StreamCheck } from "../../load/hand-off.ts";
import { runLoad } from "../../load/load.ts";
import { loadMetrics } from "../../metrics/load-metrics.ts";
import type { MetricsServer } from "../../metrics/server.ts";
import { ApplyPipeline } from "../../pipeline/apply-pipeline.ts";
import { targetOfTable } from "../../routing/table-routes.ts";
import { checkConnection } from "../../sink/connection-check.ts";
import { openSink, redactUrl } from "../../sink/open-sink.ts";
import { checkSetUp } from "../../sink/set-up-check.ts";
import { DynamoDbExportSource } from "../../source/dynamodb-export.ts";
import { DynamoDbScanSource, describeTable, tableKeySchema } from "../../source/dynamodb-scan.ts";
import { LocalExportStore, parseS3Url, S3ExportStore } from "../../source/export-store.ts";
import type { SnapshotInfo, SnapshotSource } from "../../source/snapshot-source.ts";
import { LOAD_PROGRESS_TABLE } from "../../sql/load-progress.ts";
import { formatTableName } from "../../sql/table-name.ts";
import { sayStopping, stopOnSignals } from "../../stop-signals.ts";
import {
  keyOption,
  numbersOption,
  parse,
  requiredRule,
  requireOption,
  routesOption,
  SINK_HELP,
  SINK_OPTIONS,
  sinkOptions,
  targetUrl,
  wholeOption,
  wholeValue,
} from "../args.ts";
import { asSourceError, awsClientConfig } from "../aws.ts";
import { HISTORY_HELP, HISTORY_OPTIONS, historyOption } from "../history-option.ts";
import { LoadDisplay } from "../load-display.ts";
import {
  METRICS_HELP,
  METRICS_OPTIONS,
  metricsPort,
  processRegistry,
  refuseMetricsForMongo,
  sinkPing,
  startEndpoints,
  stuckMs,
} from "../metrics-option.ts";
import { shellWord } from "../shell-word.ts";

export const usage = `dynacrate load --source SOURCE --target URL --table NAME [options]

Copies a whole DynamoDB table into a sink, through the same version-guarded
writes as the stream path, and optionally hands off to the change stream.

  --source SOURCE     dynamodb://<table>: a parallel Scan of the table;
                      s3://<bucket>/<prefix>/AWSDynamoDB/<export-id>/ or a local folder:
                      a DynamoDB export in DYNAMODB_JSON format;
                      mongodb://host/<db>.<collection> (or <db>.*): a MongoDB copy, after
                      which the relay's checkpoint is set where the change stream resumes
${SINK_HELP.replace("(default: from each target's first record's Keys)", "(default: DescribeTable; an export needs it\n                      unless its table can be described)")}
                      --table-map places the table loaded (the one scanned, or the one
                      the export's manifest names) as it places that table's changes: a
                      table not in the map stops the load (exit 2); --then-relay relays
                      the table's changes into that same target (the relay gets the map)
${HISTORY_HELP}
                      (each loaded item a 'snapshot' row; --then-relay's relay keeps it)
  --segments N        Scan segments read at once (default 4)
  --consistent-read   strongly consistent Scan reads (twice the read capacity)
  --page-size N       items per Scan call (default: pages of up to 1 MB) or per
                      export page
  --readers N         export data files read at once (default 4)
  --batch-size N      items per write (default 5000)
  --resume            go on from where an interrupted load of the same source and
                      table stopped (progress: table dynacrate_load_progress)
  --dlq FILE          items the database refuses go to FILE (NDJSON; default
                      dynacrate-dead-letters.ndjson)
  --margin SECS       the snapshot's cut is its start minus SECS (clock skew; an
                      export's time is fuzzy by about a minute) (default 60, export 300)
  --then-relay        check the change stream is on before reading, then relay it
                      from before the snapshot's cut (runs like dynacrate relay)
  --stream URL        the stream for --then-relay: dynamodb-streams://<table> (default)
                      or kinesis://<stream>
  --idle-exit SECS    with --then-relay: stop once no shard had anything new for SECS
  --endpoint URL      AWS endpoint of DynamoDB and its streams (for emulators)
  --stream-endpoint URL  endpoint of the Kinesis stream, when not --endpoint (emulators)
  --s3-endpoint URL   S3 endpoint (for S3-compatible servers; path-style requests)
  --region NAME       AWS region; credentials come from the standard AWS SDK chain
${METRICS_HELP}                      (with --then-relay, the relay serves them on the same port)
`;

const SOURCE_HINT =
  "dynamodb://<table>, s3://<bucket>/<prefix>/AWSDynamoDB/<export-id>/ or a folder";

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...SINK_OPTIONS,
    ...HISTORY_OPTIONS,
    source: { type: "string", rule: requiredRule("source", SOURCE_HINT) },
    segments: { type: "string", value: wholeValue() },
    "consistent-read": { type: "boolean" },
    "page-size": { type: "string", value: wholeValue() },
    readers: { type: "string", value: wholeValue() },
    "batch-size": { type: "string", value: wholeValue() },
    resume: { type: "boolean" },
    dlq: { type: "string" },
    margin: { type: "string", value: wholeValue(0) },
    "then-relay": { type: "boolean" },
    stream: { type: "string" },
    "idle-exit": { type: "string" },
    endpoint: { type: "string" },
    "s3-endpoint": { type: "string" },
    "stream-endpoint": { type: "string" },
    region: { type: "string" },
    ...METRICS_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (typeof values.source === "string" && /^mongodb(\+srv)?:\/\//.test(values.source)) {
    // Loaded on demand: the MongoDB driver is not needed for the other sources.
    refuseMetricsForMongo(values);
    const { runMongoLoad } = await import("../mongodb-load.ts");
    return runMongoLoad(values as Record<string, string | boolean | undefined>);
  }
  const url = targetUrl(values);
  const routes = routesOption(values);
  const sourceText = requireOption(values, "source", SOURCE_HINT);
  const endpoint = values.endpoint as string | undefined;
  const region = values.region as string | undefined;
  const awsConfig = (at: string | undefined) => awsClientConfig(region, at);
  const aws = awsConfig(endpoint);
  const streamEndpoint = (values["stream-endpoint"] as string | undefined) ?? endpoint;
  const dynamodb = new DynamoDBClient(aws);
  const isScan = sourceText.startsWith("dynamodb://");
  const pageSize =
    values["page-size"] === undefined ? undefined : wholeOption(values, "page-size", 1000);
  const segments = wholeOption(values, "segments", 4);
  const source = openSnapshot(sourceText, {
    dynamodb,
    s3: () => {
      const s3Endpoint = values["s3-endpoint"] as string | undefined;
      // S3-compatible servers take path-style requests only.
      return new S3Client({
        ...awsClientConfig(region, s3Endpoint),
        ...(s3Endpoint ? { forcePathStyle: true } : {}),
      });
    },
    segments,
    consistentRead: values["consistent-read"] === true,
    pageSize,
  });
  const marginMs = wholeOption(values, "margin", isScan ? 60 : 300) * 1000;
  const thenRelay = values["then-relay"] === true;
  const display = new LoadDisplay(process.stderr);

  let info: SnapshotInfo;
  try {
    info = await source.describe();
  } catch (error) {
    throw asSourceError(error);
  }
  const tableName = info.tableName;
  // The table loaded is known: --table-map (or a {table} template) places it as it would its changes.
  const table = targetOfTable(routes, tableName);
  const keySchema = await keySchemaFor(info, keyOption(values), dynamodb);

  // The stream must be on before the snapshot starts, or writes made meanwhile are lost.
  let check: StreamCheck | undefined;
  if (thenRelay) {
    if (!tableName)
      throw new ConfigError("--then-relay needs the table's name; the export's manifest has none");
    const stream = (values.stream as string | undefined) ?? `dynamodb-streams://${tableName}`;
    try {
      check = await checkStream(stream, tableName, {
        dynamodb,
        kinesis: () => new KinesisClient(awsConfig(streamEndpoint)),
      });
    } catch (error) {
      throw asSourceError(error);
    }
    if (check.note) process.stderr.write(`note: ${check.note}\n`);
    if (info.snapshotTimeMs !== undefined) checkRetention(check, info.snapshotTimeMs - marginMs);
  }

  // Before reading an item: the sink answers, and the target can be created and written.
  const port = metricsPort(values);
  const history = historyOption(values);
  await checkConnection(url);
  const sink = await openSink(url, sinkOptions(values));
  try {
    await checkSetUp(sink, {
      targets: [table],
      tables: [LOAD_PROGRESS_TABLE],
      history: history !== undefined,
    });
  } catch (error) {
    await sink.close();
    throw error;
  }
  const registry = port === undefined ? undefined : processRegistry();
  const metrics = registry && loadMetrics(registry, stuckMs(values));
  const probe = sinkPing(url);
  let endpoints: MetricsServer | undefined;
  if (registry && metrics && port !== undefined)
    endpoints = await startEndpoints(values, port, registry, {
      health: () => metrics.health(),
      ready: () =>
        probe.ping().then(
          () => ({ ok: true }) as const,
          () => ({ ok: false, reason: "the sink can not be reached" }) as const,
        ),
    });
  const deadLetters = new DeadLetterFile(
    (values.dlq as string | undefined) ?? "dynacrate-dead-letters.ndjson",
  );
  const stop = stopOnSignals(sayStopping("applying the batch in flight and saving progress"));
  const job = `${source.id} -> ${formatTableName(table)}`;
  try {
    const pipeline = new ApplyPipeline(sink, {
      table,
      keySchema,
      numbers: numbersOption(values),
      history,
    });
    process.stderr.write(
      `loading ${source.id} into ${redactUrl(url)} table ${formatTableName(table)} (key ${formatKeySchema(keySchema)})\n`,
    );
    let last: Parameters<LoadDisplay["progress"]>[0] | undefined;
    const summary = await runLoad({
      source,
      info,
      pipeline,
      keySchema,
      job,
      resume: values.resume === true,
      marginMs,
      readers: isScan ? segments : wholeOption(values, "readers", 4),
      batchSize: wholeOption(values, "batch-size", 5000),
      deadLetter: (failures) => deadLetters.write(failures),
      onProgress: (event) => {
        last = event;
        display.progress(event);
        metrics?.progress(event);
      },
      onRetry: (what, error, delayMs) => display.retry(what, error, delayMs),
      signal: stop.signal,
    }).catch((error) => {
      throw asSourceError(error);
    });
    if (last) display.progress(last, true);
    display.done();
    const rate = Math.round(summary.read / Math.max(summary.seconds, 0.001));
    const relayArgs = check
      ? [
          "--source",
          check.stream,
          // The relay places the table's changes as the load placed the table:
          // by the same map, without --key (each target learns its key schema
          // from its own records, so the other tables of a shared stream keep
          // theirs), or into the one target, with the table's key schema.
          ...(typeof values["table-map"] === "string"
            ? ["--table-map", values["table-map"]]
            : ["--table", formatTableName(table), "--key", formatKeySchema(keySchema)]),
          "--from",
          relayFrom(check.stream, summary.cutMs),
        ]
      : [];
    process.stdout.write(
      `${[
        `${summary.complete ? "loaded" : "stopped loading"} ${source.id} into ${redactUrl(url)} table ${formatTableName(table)}`,
        ...(summary.resumed ? [`  resumed  after ${summary.earlier} items applied earlier`] : []),
        `  read     ${summary.read} items`,
        `  applied  ${summary.applied}`,
        `  skipped  ${summary.skipped} (the target held a newer version)`,
        `  failed   ${summary.deadLettered}${summary.deadLettered ? ` (written to ${deadLetters.path})` : ""}`,
        `  cut      ${new Date(summary.cutMs).toISOString()} (snapshot rows are older than any change after it)`,
        `  ${summary.seconds.toFixed(1)} s, ${rate} items/s`,
        ...(check ? relayCommand(relayArgs, handOffOptions(values, check.stream), values) : []),
      ].join("\n")}\n`,
    );
    if (!summary.complete) {
      process.stderr.write(
        "the load was stopped before it finished: run the same command with --resume to go on\n",
      );
      return 130;
    }
    if (!check) return summary.deadLettered > 0 ? 1 : 0;
    checkRetention(check, summary.cutMs);
    await deadLetters.close();
    stop.dispose();
    // The relay serves the same port from here on.
    await endpoints?.close();
    const relay = await import("./relay.ts");
    const passOn = handOffOptions(values, check.stream);
    // The relay must start from before this load's cut, not from checkpoints
    // an earlier relay left; only when the load had finished before this run
    // (a resumed hand-off) are the checkpoints this load's own relay's.
    if (!summary.wasComplete) passOn.push("--reset-checkpoints");
    const code = await relay.run(["--target", url, ...relayArgs, ...passOn]);
    return code !== 0 ? code : summary.deadLettered > 0 ? 1 : 0;
  } finally {
    stop.dispose();
    await endpoints?.close();
    await probe.close();
    await deadLetters.close();
    await sink.close();
    dynamodb.destroy();
  }
}

/**
 * The load's options the relay after it takes too: numbers, region, dead
 * letters, metrics, and the endpoint of the stream (DynamoDB's, or
 * --stream-endpoint for a Kinesis stream).
 */
function handOffOptions(values: Record<string, unknown>, stream: string): string[] {
  const options = [
    ...(values.history === true ? ["--history"] : []),
    "numbers",
    "history-partition",
    "region",
    "dlq",
    "idle-exit",
    "metrics-port",
    "metrics-host",
    "stuck-after",
  ].flatMap((name) =>
    typeof values[name] === "string" ? [`--${name}`, values[name] as string] : [],
  );
  const endpoint = stream.startsWith("kinesis://")
    ? (values["stream-endpoint"] ?? values.endpoint)
    : values.endpoint;
  if (typeof endpoint === "string") options.push("--endpoint", endpoint);
  return options;
}

/**
 * The summary's lines with the relay command that carries on after the load,
 * as it can be pasted: with --target when it was given and holds no secret
 * (a password is never printed: then TARGET_URL is asked for).
 */
function relayCommand(
  relayArgs: string[],
  passOn: string[],
  values: Record<string, unknown>,
): string[] {
  const given = values.target as string | undefined;
  const secret = given !== undefined && redactUrl(given) !== given;
  const target = given !== undefined && !secret ? ["--target", given] : [];
  // --idle-exit belongs to this run only.
  const idle = passOn.indexOf("--idle-exit");
  const options = idle < 0 ? passOn : [...passOn.slice(0, idle), ...passOn.slice(idle + 2)];
  const words = [...target, ...relayArgs, ...options].map(shellWord);
  return [
    `  relay    dynacrate relay ${words.join(" ")}`,
    ...(secret
      ? [
          "           (with TARGET_URL set to the target URL: it holds a password, not printed here)",
        ]
      : []),
  ];
}

function openSnapshot(
  text: string,
  options: {
    dynamodb: DynamoDBClient;
    s3: () => S3Client;
    segments: number;
    consistentRead: boolean;
    pageSize: number | undefined;
  },
): SnapshotSource {
  if (text.startsWith("dynamodb://")) {
    const table = text.slice("dynamodb://".length);
    if (!table) throw new ConfigError("--source dynamodb://<table>: the table name is missing");
    return new DynamoDbScanSource(options.dynamodb, table, options);
  }
  if (text.startsWith("s3://")) {
    const { bucket, prefix } = parseS3Url(text);
    return new DynamoDbExportSource(
      new S3ExportStore(options.s3(), bucket, prefix),
      `s3://${bucket}/${prefix}`,
      options.pageSize,
    );
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !text.startsWith("file://")) {
    throw new ConfigError(
      `--source must be dynamodb://<table>, s3://<bucket>/<prefix>/AWSDynamoDB/<export-id>/ or a folder, got ${text}`,
    );
  }
  const folder = resolve(text.replace(/^file:\/\//, ""));
  return new DynamoDbExportSource(
    new LocalExportStore(folder),
    `file://${folder}`,
    options.pageSize,
  );
}

/** The key schema: the table's (DescribeTable), or --key, which must agree with it. */
async function keySchemaFor(
  info: SnapshotInfo,
  given: KeySchema | undefined,
  dynamodb: DynamoDBClient,
): Promise<KeySchema> {
  let found = info.keySchema;
  if (!found && !given && info.tableName) {
    // An export has no key schema; its table, if it can be reached, does.
    found = await describeTable(dynamodb, info.tableName).then(tableKeySchema, () => undefined);
  }
  if (found && given && formatKeySchema(found) !== formatKeySchema(given)) {
    throw new ConfigError(
      `--key ${formatKeySchema(given)} differs from the table's key schema ${formatKeySchema(found)}`,
    );
  }
  const schema = given ?? found;
  if (!schema) {
    throw new ConfigError(
      `the export does not carry its table's key schema and table ${info.tableName ?? "(unnamed)"} can not be described: give it with --key, e.g. --key id:S,ts:N`,
    );
  }
  return schema;
}
