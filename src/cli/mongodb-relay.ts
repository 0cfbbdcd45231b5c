// `dynacrate relay --source mongodb://host/db.collection`: the relay over a
// MongoDB change stream. One collection goes to --table; `db.*` relays every
// collection of the database, each to its own table (named after it, in the
// schema of `--table schema.*` if given), each with its own checkpoint.

import { decodeMongoRecord, MONGODB_KEY_SCHEMA } from "../codec/mongodb-event.ts";
import { DeadLetterFile } from "../dead-letter/file.ts";
import { ConfigError, SourceError } from "../errors.ts";
import { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import { type RelayStats, runRelay } from "../relay/relay.ts";
import { openSink, redactUrl } from "../sink/open-sink.ts";
import {
  connectMongo,
  listCollections,
  MongoChangeStreamSource,
  parseMongoSource,
} from "../source/mongodb-change-stream.ts";
import type { StartPosition } from "../source/stream-source.ts";
import { formatTableName, parseTableName, type TableName } from "../sql/table-name.ts";
import { sayStopping, stopOnSignals } from "../stop-signals.ts";
import { numbersOption, sinkOptions, tableOption, targetUrl, wholeOption } from "./args.ts";
import { historyOption } from "./history-option.ts";
import { refuseMetricsForMongo } from "./metrics-option.ts";
import { RelayDisplay } from "./relay-display.ts";

/** The target table of each collection. */
export function targets(
  values: Record<string, unknown>,
  collections: string[],
  all: boolean,
): Map<string, TableName> {
  if (!all) return new Map([[collections[0] as string, tableOption(values)]]);
  const table = values.table as string | undefined;
  let schema: string | undefined;
  if (table !== undefined) {
    if (!table.endsWith(".*"))
      throw new ConfigError(
        `with --source .../<database>.* each collection goes to a table of its name: give --table <schema>.* or no --table, got ${table}`,
      );
    schema = parseTableName(`${table.slice(0, -2)}.x`).schema;
  }
  return new Map(collections.map((c) => [c, { schema, name: c }]));
}

export async function runMongoRelay(
  values: Record<string, string | boolean | undefined>,
  from: StartPosition,
): Promise<number> {
  const url = targetUrl(values);
  refuseMetricsForMongo(values);
  if (values.standby !== undefined)
    throw new ConfigError(
      "--standby shares a Kinesis or DynamoDB Streams relay; a MongoDB relay has no lease yet: leave it out",
    );
  const source = parseMongoSource(values.source as string);
  const all = source.collection === "*";
  const batchSize = wholeOption(values, "batch-size", 1000);
  const idleExit =
    values["idle-exit"] === undefined ? undefined : wholeOption(values, "idle-exit", 1) * 1000;
  const client = await connectMongo(source);
  try {
    const collections = all ? await listCollections(client, source.database) : [source.collection];
    if (collections.length === 0)
      throw new SourceError(
        `database ${source.database} on ${source.name} has no collections to relay`,
      );
    const tables = targets(values, collections, all);
    const sink = await openSink(url, sinkOptions(values));
    const deadLetters = new DeadLetterFile(
      (values.dlq as string | undefined) ?? "dynacrate-dead-letters.ndjson",
    );
    const stop = stopOnSignals(
      sayStopping("finishing the batches in flight and writing checkpoints"),
    );
    const display = new RelayDisplay(process.stdout);
    const sources: MongoChangeStreamSource[] = [];
    try {
      const runs = [...tables].map(([collection, table]) => {
        process.stderr.write(
          `relaying ${source.database}.${collection} from ${source.name.replace(/\/[^/]*$/, "")} into ${redactUrl(url)} table ${formatTableName(table)}\n`,
        );
        const stream = new MongoChangeStreamSource(client, source, collection, { batchSize });
        sources.push(stream);
        return runRelay({
          source: stream,
          pipeline: new ApplyPipeline(sink, {
            table,
            keySchema: MONGODB_KEY_SCHEMA,
            numbers: numbersOption(values),
            history: historyOption(values),
            decoder: decodeMongoRecord,
          }),
          from,
          batchSize,
          ...(idleExit === undefined ? {} : { idleExitMs: idleExit }),
          deadLetter: (failures) => deadLetters.write(failures),
          onBatch: (event) => display.batch(event),
          onRetry: (shard, error, delayMs) => display.retry(shard, error, delayMs),
          signal: stop.signal,
        }).catch((error) => {
          // One collection's end stops them all, each after its batches in flight.
          stop.abort();
          throw error;
        });
      });
      const settled = await Promise.allSettled(runs);
      display.done();
      const failure = settled.find((s) => s.status === "rejected");
      if (failure) throw (failure as PromiseRejectedResult).reason;
      const stats = settled.map((s) => (s as PromiseFulfilledResult<RelayStats>).value);
      const sum = (f: (s: RelayStats) => number) => stats.reduce((n, s) => n + f(s), 0);
      const dead = sum((s) => s.deadLettered);
      process.stderr.write(
        `relay stopped: ${sum((s) => s.records)} records, ${sum((s) => s.applied)} applied, ${sum((s) => s.skipped)} skipped, ` +
          `${dead} dead-lettered${dead ? ` (in ${deadLetters.path})` : ""}\n`,
      );
      return 0;
    } finally {
      await Promise.allSettled(sources.map((s) => s.close()));
      await deadLetters.close();
      await sink.close();
    }
  } finally {
    await client.close().catch(() => {});
  }
}
