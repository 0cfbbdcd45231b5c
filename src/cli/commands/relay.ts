// The `relay` command line: a stream source, a sink and the options in; the
// relay runs until SIGINT/SIGTERM (or --idle-exit), then finishes its batches,
// writes its checkpoints and stops.

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { DeadLetterFile } from "../../dead-letter/file.ts";
import { ConfigError } from "../../errors.ts";
import { relayChecks } from "../../metrics/relay-checks.ts";
import { relayMetrics } from "../../metrics/relay-metrics.ts";
import type { MetricsServer } from "../../metrics/server.ts";
import { holderName, Lease } from "../../relay/lease.ts";
import { DEFAULT_POLL_MS, type RelayOptions, runRelay } from "../../relay/relay.ts";
import { RelayTally } from "../../relay/relay-tally.ts";
import { runRelayWithLease } from "../../relay/standby.ts";
import { Router } from "../../routing/router.ts";
import { namedTargets } from "../../routing/table-routes.ts";
import { checkConnection } from "../../sink/connection-check.ts";
import { openSink, redactUrl } from "../../sink/open-sink.ts";
import { checkSetUp } from "../../sink/set-up-check.ts";
import { DynamoDbStreamsSource } from "../../source/dynamodb-streams.ts";
import { KinesisSource } from "../../source/kinesis.ts";
import type { StartPosition, StreamSource } from "../../source/stream-source.ts";
import { CHECKPOINT_TABLE } from "../../sql/checkpoints.ts";
import { LEASE_TABLE } from "../../sql/leases.ts";
import { PURGE_TABLE } from "../../sql/purges.ts";
import { formatTableName } from "../../sql/table-name.ts";
import { sayStopping, stopOnSignals } from "../../stop-signals.ts";
import {
  keyOption,
  numbersOption,
  parse,
  readValue,
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
import { awsClientConfig } from "../aws.ts";
import { HISTORY_HELP, HISTORY_OPTIONS, historyOption } from "../history-option.ts";
import {
  METRICS_HELP,
  METRICS_OPTIONS,
  metricsPort,
  processRegistry,
  sinkPing,
  startEndpoints,
  stuckMs,
} from "../metrics-option.ts";
import { RelayDisplay } from "../relay-display.ts";

export const usage = `dynacrate relay --source URL --target URL --table NAME [options]

Consumes every shard of a change stream, in order within each shard, and applies
it to a sink. Checkpoints (the last applied position per shard and target table)
are kept in the target database, table dynacrate_target_checkpoints; a restart
resumes from them.

  --source URL        kinesis://<stream name or ARN> (Kinesis Data Streams for DynamoDB),
                      dynamodb-streams://<table name or stream ARN>, or
                      mongodb://host/<db>.<collection> (or <db>.* : each collection to
                      a table of its name, in the schema of --table <schema>.*)
${SINK_HELP}
${HISTORY_HELP}
  --from WHERE        where a shard without a checkpoint starts:
                      trim-horizon (default), latest, or an ISO timestamp (Kinesis, MongoDB);
                      MongoDB: latest (default) or an ISO timestamp
  --dlq FILE          records that can never be applied go to FILE (NDJSON; default
                      dynacrate-dead-letters.ndjson)
  --batch-size N      records per read and per batch (default 1000)
  --poll-ms MS        at the stream's tip, read each shard at most once per MS
                      milliseconds (default 200: 5 reads per shard per second, the
                      limit Kinesis and DynamoDB Streams set, shared by every reader of
                      the shard); a shard behind its tip is read without pause
  --endpoint URL      AWS endpoint (for emulators); credentials and region come
                      from the standard AWS SDK chain (AWS_REGION, AWS_PROFILE, ...)
  --region NAME       AWS region
  --idle-exit SECS    stop once no shard had anything new for SECS seconds
  --tombstone-retention HOURS
                      keep deleted keys' tombstones this long (default 168; never less
                      than the stream's retention plus an hour, read from the stream)
  --reset-checkpoints forget this table's checkpoints of the stream and start over
                      from --from (after the table was dropped or emptied)
  --standby           share the stream and table with other relays started the same way:
                      one holds a lease (table dynacrate_leases in the target database)
                      and reads; the others stand by and take over once it stops or
                      dies; checkpoints are written only under the lease (Kinesis and
                      DynamoDB Streams; not for a MongoDB source yet)
  --lease-seconds N   with --standby: the lease's time to live, renewed every third of
                      it (default 30): a relay that dies is replaced within N seconds
${METRICS_HELP}`;

const SOURCE_HINT = "kinesis://<stream> or dynamodb-streams://<table>";

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...SINK_OPTIONS,
    ...HISTORY_OPTIONS,
    source: { type: "string", rule: requiredRule("source", SOURCE_HINT) },
    from: { type: "string", value: readValue(startPosition) },
    dlq: { type: "string" },
    "batch-size": { type: "string", value: wholeValue(1, 10_000) },
    "poll-ms": { type: "string", value: wholeValue(1, 60_000) },
    "reset-checkpoints": { type: "boolean" },
    "tombstone-retention": { type: "string", value: wholeValue() },
    endpoint: { type: "string" },
    region: { type: "string" },
    "idle-exit": { type: "string", value: wholeValue(1, 365 * 24 * 3600) },
    standby: { type: "boolean" },
    "lease-seconds": {
      type: "string",
      value: wholeValue(1, 3600),
      rule: {
        reads: ["lease-seconds"],
        problem: (values) =>
          values["lease-seconds"] !== undefined && values.standby !== true
            ? "--lease-seconds is the lease of --standby: add --standby, or leave it out"
            : undefined,
      },
    },
    ...METRICS_OPTIONS,
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (typeof values.source === "string" && /^mongodb(\+srv)?:\/\//.test(values.source)) {
    // Loaded on demand: the MongoDB driver is not needed for the other streams.
    const { runMongoRelay } = await import("../mongodb-relay.ts");
    // --route (a list) is no MongoDB option; the MongoDB relay reads the others.
    return runMongoRelay(
      values as Record<string, string | boolean | undefined>,
      startPosition(values.from ?? "latest"),
    );
  }
  const url = targetUrl(values);
  const routes = routesOption(values);
  const from = startPosition(values.from as string | undefined);
  const source = openSource(requireOption(values, "source", SOURCE_HINT), {
    endpoint: values.endpoint,
    region: values.region,
  });
  const idleExit =
    values["idle-exit"] === undefined ? undefined : wholeOption(values, "idle-exit", 1) * 1000;
  const deadLetters = new DeadLetterFile(values.dlq ?? "dynacrate-dead-letters.ndjson");
  // GetRecords returns at most 10,000 records (Kinesis) or 1,000 (DynamoDB Streams).
  const batchSize = wholeOption(values, "batch-size", 1000);
  const pollMs = wholeOption(values, "poll-ms", DEFAULT_POLL_MS);
  const keySchema = keyOption(values);
  const numbers = numbersOption(values);
  const history = historyOption(values);
  const port = metricsPort(values);
  const stuck = stuckMs(values);
  const standby = values.standby === true;
  const leaseMs = wholeOption(values, "lease-seconds", 30) * 1000;
  await checkConnection(url);
  const tally = new RelayTally();
  const registry = port === undefined ? undefined : processRegistry();
  const metrics = registry && relayMetrics(registry, tally);
  const opened = await openSink(url, sinkOptions(values));
  const sink = metrics ? metrics.timed(opened) : opened;
  const pipeline = new Router(sink, {
    routes,
    keySchema,
    numbers,
    history,
    ...(values["tombstone-retention"] === undefined
      ? {}
      : { tombstoneRetentionMs: wholeOption(values, "tombstone-retention", 168) * 3600 * 1000 }),
  });
  try {
    // Checkpoints belong to a named target table: a {table} template alone is refused here.
    pipeline.table;
    // Before the first record: names, relations dynacrate did not create, privileges
    // (its checkpoints and the tombstone purges' horizon live in the target database too).
    await checkSetUp(sink, {
      targets: namedTargets(routes),
      tables: [CHECKPOINT_TABLE, PURGE_TABLE, ...(standby ? [LEASE_TABLE] : [])],
      purges: true,
      history: history !== undefined,
    });
  } catch (error) {
    await sink.close();
    throw error;
  }

  const stop = stopOnSignals(
    sayStopping("finishing the batches in flight and writing checkpoints"),
  );
  let endpoints: MetricsServer | undefined;
  const probe = sinkPing(url);
  if (registry && port !== undefined) {
    const checks = relayChecks({ tally, stuckMs: stuck, pingSink: probe.ping });
    endpoints = await startEndpoints(values, port, registry, checks);
  }

  const display = new RelayDisplay(process.stdout);
  process.stderr.write(
    `relaying ${source.id} into ${redactUrl(url)} table ${namedTargets(routes).map(formatTableName).join(", ")}\n`,
  );
  try {
    const relayOptions: RelayOptions = {
      source,
      pipeline,
      from,
      batchSize,
      pollMs,
      ...(idleExit === undefined ? {} : { idleExitMs: idleExit }),
      deadLetter: (failures) => deadLetters.write(failures),
      onBatch: (event) => {
        display.batch(event);
        metrics?.batch(event);
      },
      onRetry: (shard, error, delayMs) => display.retry(shard, error, delayMs),
      resetCheckpoints: values["reset-checkpoints"] === true,
      onNotice: (message) => process.stderr.write(`${message}\n`),
      signal: stop.signal,
      tally,
    };
    const lease = new Lease(
      sink,
      source.id,
      formatTableName(pipeline.table),
      holderName(),
      leaseMs,
    );
    let shown: string | undefined;
    const stats = standby
      ? await runRelayWithLease({
          ...relayOptions,
          lease,
          onStandby: ({ holder, expiresInMs }) => {
            if (shown === holder) return;
            shown = holder;
            process.stderr.write(
              `standing by: ${holder} holds the lease (for ${Math.ceil(expiresInMs / 1000)} s unless renewed)\n`,
            );
          },
          onLeaseTaken: () => {
            shown = undefined;
            process.stderr.write(`holding the lease as ${lease.holder}: reading the stream\n`);
          },
          onLeaseLost: (error) => process.stderr.write(`${error.message}: standing by\n`),
        })
      : await runRelay(relayOptions);
    display.done();
    process.stderr.write(
      `relay stopped: ${stats.records} records, ${stats.applied} applied, ${stats.skipped} skipped ` +
        `(${stats.superseded} superseded in their batch, ${stats.stale} stale, ${stats.duplicates} duplicates), ` +
        `${stats.deadLettered} dead-lettered${stats.deadLettered ? ` (in ${deadLetters.path})` : ""}\n`,
    );
    return 0;
  } finally {
    await endpoints?.close();
    await probe.close();
    await deadLetters.close();
    await sink.close();
  }
}

function startPosition(from: string | undefined): StartPosition {
  if (from === undefined || from === "trim-horizon") return { type: "trim-horizon" };
  if (from === "latest") return { type: "latest" };
  const time = Date.parse(from);
  if (Number.isNaN(time))
    throw new ConfigError(`--from must be trim-horizon, latest or an ISO timestamp, got ${from}`);
  return { type: "at-timestamp", timestamp: new Date(time) };
}

function openSource(
  url: string,
  aws: { endpoint: string | undefined; region: string | undefined },
): StreamSource {
  const match = /^(kinesis|dynamodb-streams):\/\/(.+)$/.exec(url);
  if (!match)
    throw new ConfigError(
      `--source must be kinesis://<stream> or dynamodb-streams://<table>, got ${url}`,
    );
  const config = awsClientConfig(aws.region, aws.endpoint);
  const name = match[2] as string;
  return match[1] === "kinesis"
    ? new KinesisSource(new KinesisClient(config), name)
    : new DynamoDbStreamsSource(
        new DynamoDBStreamsClient(config),
        new DynamoDBClient(config),
        name,
      );
}
