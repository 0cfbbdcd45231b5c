// The demo (`npm start`): the whole pipeline on this machine. It starts the
// local stack, writes a few dozen changes to a DynamoDB table, relays them
// from Kinesis into the database with the same relay as `dynacrate relay`,
// then shows DynamoDB's items beside the database's rows and says whether
// they match, value for value.

import type { KeySchema } from "../../codec/key-schema.ts";
import { ApplyPipeline } from "../../pipeline/apply-pipeline.ts";
import type { FailedRecord } from "../../pipeline/batch-result.ts";
import { runRelay } from "../../relay/relay.ts";
import { openSink, redactUrl, sinkOfUrl } from "../../sink/open-sink.ts";
import type { Sink } from "../../sink/sink.ts";
import { KinesisSource } from "../../source/kinesis.ts";
import { CHECKPOINT_TABLE, createCheckpointTable } from "../../sql/checkpoints.ts";
import { stateTable } from "../../sql/table-name.ts";
import { compareTable } from "../../verify/item-compare.ts";
import { readLiveRows } from "../../verify/live-rows.ts";
import { type LocalStack, type StackProgress, startLocalStack } from "../services/stack.ts";
import { scanItems } from "../verification/scan-items.ts";
import { renderSideBySide } from "./demo-table.ts";
import { DEMO_TTL_ATTRIBUTE, writeDemoChanges } from "./demo-writes.ts";

export interface DemoOptions {
  /** Where the demo's lines go. */
  out: (line: string) => void;
  /** Replicate into this database (e.g. CRATEDB_URL) instead of a PostgreSQL started here. */
  targetUrl?: string | undefined;
  /** Characters per line of the side-by-side table. Default 140. */
  width?: number;
  /** Stop on SIGINT/SIGTERM and exit (the CLI); tests turn it off. Default true. */
  stopOnSignals?: boolean;
}

export interface DemoResult {
  match: boolean;
  items: number;
  rows: number;
  changes: number;
  ttlDeletes: number;
  durationMs: number;
}

const TABLE = "demo_orders";
const KEY_SCHEMA: KeySchema = [
  { name: "id", type: "S" },
  { name: "seq", type: "N" },
];

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { out } = options;
  const began = performance.now();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const sinkName =
    options.targetUrl === undefined || sinkOfUrl(options.targetUrl) === "postgresql"
      ? "PostgreSQL"
      : "CrateDB";

  out(
    `dynacrate demo: DynamoDB Local -> DynamoDB stream -> bridge -> Kinesis emulator (2 shards) -> relay -> ${sinkName}`,
  );
  out("");
  const onProgress = (event: StackProgress) => {
    if (event.state === "starting") out(`starting ${event.service}...`);
    else out(`  ${event.service} ready in ${seconds(event.ms ?? 0)} at ${event.endpoint}`);
  };
  const stack = await startLocalStack({
    tables: [{ name: TABLE, keySchema: KEY_SCHEMA }],
    shards: 2,
    targetUrl: options.targetUrl,
    ttlAttribute: DEMO_TTL_ATTRIBUTE,
    onProgress,
    stopOnSignals: options.stopOnSignals ?? true,
  });
  try {
    if (!stack.targetStarted) out(`  replicating into ${redactUrl(stack.targetUrl)} (CRATEDB_URL)`);
    out(
      `created DynamoDB table ${TABLE} (stream NEW_AND_OLD_IMAGES) and Kinesis stream ${stack.streamName} (2 shards); the bridge forwards between them`,
    );

    let started = performance.now();
    const counts = await writeDemoChanges(stack.clients.dynamodb, TABLE);
    out(
      `wrote to DynamoDB: ${counts.inserts} inserts, ${counts.updates} updates, ${counts.overwrites} overwrite, ` +
        `${counts.deletes} deletes, ${counts.ttlDeletes} TTL-style delete (${seconds(performance.now() - started)})`,
    );
    await stack.bridge.drained();
    const { stats } = stack.bridge;
    out(
      `the bridge put ${stats.put} changes on Kinesis, in the Kinesis Data Streams for DynamoDB format, timestamps in microseconds`,
    );
    out(
      `  DynamoDB Local does not expire items itself: the bridge marked ${stats.ttlDeletes} REMOVE of an item whose ` +
        `${DEMO_TTL_ATTRIBUTE} had passed with userIdentity {type: "Service", principalId: "dynamodb.amazonaws.com"}, as DynamoDB marks TTL deletes`,
    );

    started = performance.now();
    const sink = await openSink(stack.targetUrl);
    const table = { schema: undefined, name: TABLE };
    // On CrateDB, numbers as exact text: the default (double) would round the 38-digit ones.
    const numbers = stack.target === "cratedb" ? "string" : undefined;
    try {
      const source = new KinesisSource(stack.clients.kinesis, stack.streamName);
      // The user's database outlives the emulators: checkpoints of an earlier
      // demo name positions in a Kinesis stream that is gone.
      if (!stack.targetStarted) await forgetCheckpoints(sink, source.id);
      const pipeline = new ApplyPipeline(sink, { table, keySchema: KEY_SCHEMA, numbers });
      // A record that can never be applied is shown, not retried forever.
      const failed: FailedRecord[] = [];
      const relayed = await runRelay({
        source,
        pipeline,
        from: { type: "trim-horizon" },
        idleExitMs: 750,
        pollMs: 100,
        deadLetter: async (failures) => {
          failed.push(...failures);
        },
      });
      out(
        `relayed Kinesis -> ${sinkName}: ${relayed.records} records from ${relayed.shards} shards, ${relayed.applied} applied, ` +
          `${relayed.skipped} skipped as superseded in their batch or older than the row (${seconds(performance.now() - started)})`,
      );
      if (numbers) out("  numbers written as exact text (--numbers string), so no digit is lost");
      for (const failure of failed) out(`  FAILED ${failure.ref}: ${failure.error.message}`);

      const items = await scanItems(stack.clients.dynamodb, TABLE);
      const rows = await readLiveRows(sink, table);
      const keyNames = KEY_SCHEMA.map((k) => k.name);
      const comparison = compareTable(items, rows, {
        keyNames,
        numbersAsStrings: numbers === "string",
      });
      out("");
      for (const line of renderSideBySide(items, rows, comparison, {
        keyNames,
        sinkTitle: `${sinkName} (view ${TABLE})`,
        width: options.width ?? 140,
        leading: ["status", "total", "quantity", "tags"],
      }))
        out(line);
      out("");
      const counted = `${comparison.items} items in DynamoDB, ${comparison.rows} rows in ${sinkName}`;
      if (comparison.match) {
        out(
          `MATCH: ${counted} (every attribute compared exactly: numbers digit for digit, sets as sets)`,
        );
      } else {
        out(`MISMATCH: ${counted}`);
        for (const key of comparison.missing) out(`  ${key}: in DynamoDB, not in ${sinkName}`);
        for (const key of comparison.extra) out(`  ${key}: in ${sinkName}, not in DynamoDB`);
        for (const { key, differences } of comparison.different)
          for (const difference of differences) out(`  ${key} ${difference}`);
      }
      // The user's own database keeps what the demo wrote: say what, and how to remove it.
      if (!stack.targetStarted) {
        const { dialect } = sink;
        out(
          `left in ${sinkName}: the view ${TABLE} and its table ${TABLE}__state, kept for your queries; ` +
            `remove them with DROP VIEW ${dialect.quoteTable(table)}; DROP TABLE ${dialect.quoteTable(stateTable(table))};`,
        );
      }
      return {
        match: comparison.match,
        items: comparison.items,
        rows: comparison.rows,
        changes: stats.put,
        ttlDeletes: stats.ttlDeletes,
        durationMs: performance.now() - began,
      };
    } finally {
      await sink.close();
    }
  } finally {
    await stopStack(stack, out, seconds);
  }
}

async function stopStack(
  stack: LocalStack,
  out: (line: string) => void,
  seconds: (ms: number) => string,
) {
  const started = performance.now();
  await stack.stop();
  out(
    `stopped DynamoDB Local${stack.targetStarted ? ", the Kinesis emulator and PostgreSQL" : " and the Kinesis emulator"} (${seconds(performance.now() - started)})`,
  );
}

async function forgetCheckpoints(sink: Sink, stream: string): Promise<void> {
  const { dialect } = sink;
  await sink.query(createCheckpointTable(dialect));
  await sink.query({
    sql: `DELETE FROM ${dialect.quoteTable(CHECKPOINT_TABLE)} WHERE ${dialect.quoteIdentifier("stream")} = ${dialect.placeholder(1)}`,
    params: [stream],
  });
}
