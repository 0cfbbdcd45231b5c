// `dynacrate load --source mongodb://host/db.collection`: the initial copy of
// one collection (or, with `db.*`, each collection of a database into a table
// of its name), with progress, and the relay command that continues it.

import { DeadLetterFile } from "../dead-letter/file.ts";
import { copyCollection } from "../load/mongodb-copy.ts";
import { openSink, redactUrl } from "../sink/open-sink.ts";
import {
  connectMongo,
  listCollections,
  parseMongoSource,
} from "../source/mongodb-change-stream.ts";
import { formatTableName } from "../sql/table-name.ts";
import { numbersOption, sinkOptions, targetUrl, wholeOption } from "./args.ts";
import { historyOption } from "./history-option.ts";
import { LoadDisplay } from "./load-display.ts";
import { targets } from "./mongodb-relay.ts";
import { Progress } from "./progress.ts";

export async function runMongoLoad(
  values: Record<string, string | boolean | undefined>,
): Promise<number> {
  const url = targetUrl(values);
  const source = parseMongoSource(values.source as string);
  const all = source.collection === "*";
  const client = await connectMongo(source);
  try {
    const collections = all ? await listCollections(client, source.database) : [source.collection];
    const tables = targets(values, collections, all);
    const sink = await openSink(url, sinkOptions(values));
    const deadLetters = new DeadLetterFile(
      (values.dlq as string | undefined) ?? "dynacrate-dead-letters.ndjson",
    );
    let failed = 0;
    try {
      for (const [collection, table] of tables) {
        process.stderr.write(
          `copying ${source.database}.${collection} into ${redactUrl(url)} table ${formatTableName(table)}\n`,
        );
        const progress = new Progress(process.stderr, `copy ${collection}`);
        const retries = new LoadDisplay(process.stderr);
        const result = await copyCollection({
          client,
          source,
          collection,
          sink,
          table,
          numbers: numbersOption(values),
          history: historyOption(values),
          batchSize: wholeOption(values, "batch-size", 1000),
          deadLetter: (failures) => deadLetters.write(failures),
          onRetry: (error, _attempt, delayMs) =>
            retries.retry(`${collection} (write)`, error, delayMs),
          onProgress: (copied, total) =>
            progress.update(copied, total > 0 ? Math.min(1, copied / total) : 1),
        });
        progress.done(result.documents);
        failed += result.deadLettered;
        const at = new Date(result.clusterTime.t * 1000).toISOString();
        process.stdout.write(
          `copied ${source.database}.${collection}: ${result.documents} documents, ${result.applied} applied, ` +
            `${result.skipped} skipped (newer in the table), ${result.deadLettered} dead-lettered` +
            `${result.deadLettered ? ` (in ${deadLetters.path})` : ""}\n` +
            (result.checkpointed
              ? `  the relay resumes the change stream at cluster time ${result.clusterTime.t}.${result.clusterTime.i} (${at}):\n`
              : `  the collection was empty; start the relay from the copy's start:\n`) +
            `  dynacrate relay --source ${redactUrl(values.source as string).replace(/\/[^/?]*(\?|$)/, `/${source.database}.${collection}$1`)} --table ${formatTableName(table)}` +
            `${result.checkpointed ? "" : ` --from ${at}`}\n`,
        );
      }
      return failed > 0 ? 1 : 0;
    } finally {
      await deadLetters.close();
      await sink.close();
    }
  } finally {
    await client.close().catch(() => {});
  }
}
