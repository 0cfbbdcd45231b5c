// The replay run: applies a capture of change records (NDJSON: one record,
// Kinesis record, Lambda event or dead-letter entry per line) to a sink, in
// file order, in batches, each record to its target table (routing/). A line
// that can not be applied goes to the dead-letter file with its reason. An
// outage is never bad data: a batch the sink can not take is retried with
// backoff, visibly, and when the sink stays away the replay stops with the
// line to resume from; nothing is skipped and nothing is dead-lettered for it.

import type { NumberFormat } from "../codec/decimal.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import { decodeMongoRecord, MONGODB_KEY_SCHEMA } from "../codec/mongodb-event.ts";
import type { SourceRecord } from "../codec/source-record.ts";
import type { DeadLetterFile } from "../dead-letter/file.ts";
import type { BatchResult } from "../pipeline/batch-result.ts";
import type { HistoryOptions } from "../pipeline/history-writer.ts";
import { redactSecrets } from "../redact-url.ts";
import { type RoutedBatch, Router } from "../routing/router.ts";
import { namedTargets, type TableRoutes } from "../routing/table-routes.ts";
import { Backoff, type RetryPolicy } from "../sink/retry.ts";
import { checkSetUp } from "../sink/set-up-check.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import { CaptureFile } from "./capture-file.ts";
import { mongoRecordsOfLine, notUtf8Line, recordsOfLine } from "./capture-records.ts";
import { ReplayStopped } from "./resume.ts";
import { addToSummary, emptySummary, type ReplaySummary } from "./summary.ts";

/**
 * Records per batch. Larger than a Lambda batch: a capture is bulk work, and a
 * larger batch coalesces more changes of one item and costs fewer round trips.
 */
export const DEFAULT_REPLAY_BATCH = 5000;

/** How long a replay waits for a sink that went away before it stops. */
export const DEFAULT_OUTAGE_WAIT_MS = 300_000;

/**
 * The waits of a batch through an outage, up to --outage-wait in all: no
 * jitter, as one replay is the only writer and each wait is told to the user.
 */
const OUTAGE_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 250,
  maxDelayMs: 30_000,
  jitter: false,
};

export interface ReplayOptions {
  file: string;
  /** What each line holds: DynamoDB change records (default) or MongoDB change events. */
  format?: "dynamodb" | "mongodb" | undefined;
  sink: Sink;
  routes: TableRoutes;
  keySchema?: KeySchema | undefined;
  numbers?: NumberFormat | undefined;
  /** Keep every change in `<table>__history` too (--history). */
  history?: HistoryOptions | undefined;
  /** Where failed records go, one JSON object per line with the reason (appended). */
  deadLetterFile?: DeadLetterFile | undefined;
  batchSize?: number;
  /** Lines before this one (1-based) are applied already and skipped. */
  resumeLine?: number | undefined;
  /** How long to wait through an outage before stopping. */
  outageWaitMs?: number | undefined;
  /** Told when the sink failed and the batch waits to be tried again. */
  onWait?: ((reason: string, delayMs: number, line: number) => void) | undefined;
  /** Told after each batch; `fraction` is how much of the file is read (0..1). */
  progress?: ReplayProgress | undefined;
}

/** Where a replay reports how far it is (the command line draws a bar on a terminal). */
export interface ReplayProgress {
  update(records: number, fraction: number): void;
  done(records: number): void;
}

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  // Before the first record: names, relations dynacrate did not create, privileges.
  await checkSetUp(options.sink, {
    targets: namedTargets(options.routes),
    history: options.history !== undefined,
  });
  const mongodb = options.format === "mongodb";
  const router = new Router(options.sink, {
    routes: options.routes,
    keySchema: mongodb ? MONGODB_KEY_SCHEMA : options.keySchema,
    ...(mongodb ? { decoder: decodeMongoRecord } : {}),
    numbers: options.numbers,
    history: options.history,
  });
  const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH;
  const outageWaitMs = options.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS;
  const resumeLine = options.resumeLine ?? 1;
  const progress = options.progress;
  const summary = emptySummary();
  const capture = new CaptureFile(options.file);
  const deadLetters = options.deadLetterFile;

  const account = async (result: BatchResult) => {
    addToSummary(summary, result);
    if (result.failed.length > 0) await deadLetters?.write(result.failed);
    progress?.update(summary.records, capture.fractionRead());
  };

  /**
   * Commits a batch until the sink takes it: records the sink failed are
   * never dead-lettered; the batch waits with backoff and is written again
   * (the version guard makes that exact), or the replay stops.
   */
  const commit = async (batch: RoutedBatch, firstLine: number): Promise<BatchResult> => {
    const waits = new Backoff<Error>(
      { ...OUTAGE_RETRY, budgetMs: outageWaitMs },
      (error, _attempt, delayMs) =>
        options.onWait?.(redactSecrets(error.message), delayMs, firstLine),
    );
    for (;;) {
      const result = await router.commit(batch);
      const outage = result.failed.find((f) => !f.permanent);
      if (!outage) return result;
      const heals = !(outage.error instanceof SinkError) || outage.error.kind === "transient";
      if (!heals || !(await waits.retry(outage.error))) {
        summary.seconds = (performance.now() - started) / 1000;
        throw new ReplayStopped(firstLine, redactSecrets(outage.error.message), summary, {
          cause: outage.error,
        });
      }
    }
  };

  // One batch is written while the next is read and decoded: the database and
  // this process work at the same time. Batches still commit one after the
  // other, in file order; with --history, the next batch's changes go into
  // the history while this one's rows are written.
  let writing: Promise<BatchResult> | undefined;
  const flush = async (batch: SourceRecord[], firstLine: number) => {
    if (batch.length === 0) return;
    const prepared = router.prepare(batch);
    const ahead = router.appendAhead(prepared);
    try {
      if (writing) await account(await writing);
    } catch (error) {
      // Stopping: nothing of the next batch is still being written once the replay returns.
      await ahead;
      throw error;
    }
    writing = commit(prepared, firstLine);
    // A stop is reported when awaited (above or at the end), not before.
    writing.catch(() => {});
  };

  const recordsOf = mongodb ? mongoRecordsOfLine : recordsOfLine;
  let batch: SourceRecord[] = [];
  let batchLine = resumeLine;
  try {
    for await (const { lineNo, text, bytes } of capture.lines(resumeLine)) {
      if (batch.length === 0) batchLine = lineNo;
      if (bytes) batch.push(notUtf8Line(bytes, lineNo));
      else batch.push(...recordsOf(text, lineNo));
      if (batch.length >= batchSize) {
        await flush(batch, batchLine);
        batch = [];
      }
    }
    await flush(batch, batchLine);
    if (writing) await account(await writing);
  } finally {
    capture.close();
    await deadLetters?.close();
    progress?.done(summary.records);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
