// `dynacrate replay`: applies a capture of change records (NDJSON: one record,
// Kinesis record, Lambda event or dead-letter entry per line) to a sink, in
// file order, in batches, each record to its target table (routing/). A line
// that can not be applied goes to the dead-letter file with its reason. An
// outage is never bad data: a batch the sink can not take is retried with
// backoff, visibly, and when the sink stays away the replay stops with the
// line to resume from; nothing is skipped and nothing is dead-lettered for it.

import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { NumberFormat } from "../codec/decimal.ts";
import { decodeMongoRecord, MONGODB_KEY_SCHEMA } from "../codec/mongodb-event.ts";
import { type SourceRecord, sourceRecords } from "../codec/source-record.ts";
import { TextRecord } from "../codec/text-record.ts";
import { type DeadLetterFile, isDeadLetterEntry } from "../dead-letter/file.ts";
import { DynacrateError, RecordError } from "../errors.ts";
import { addCounts, type BatchResult, type Counts, zeroCounts } from "../pipeline/batch-result.ts";
import { HorizonError } from "../pipeline/horizon.ts";
import { type RoutedBatch, Router } from "../routing/router.ts";
import { namedTargets, type TableRoutes } from "../routing/table-routes.ts";
import { redactSecrets } from "../sink/redact-url.ts";
import { backoffMs } from "../sink/retry.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import { checkTargetAtStart } from "../sink/target-check.ts";
import type { KeySchema } from "../sql/key-schema.ts";
import { Progress } from "./progress.ts";

/**
 * Records per batch. Larger than a Lambda batch: a capture is bulk work, and a
 * larger batch coalesces more changes of one item and costs fewer round trips.
 */
export const DEFAULT_REPLAY_BATCH = 5000;

/** How long a replay waits for a sink that went away before it stops. */
export const DEFAULT_OUTAGE_WAIT_MS = 300_000;

export interface ReplayOptions {
  file: string;
  /** What each line holds: DynamoDB change records (default) or MongoDB change events. */
  format?: "dynamodb" | "mongodb" | undefined;
  sink: Sink;
  routes: TableRoutes;
  keySchema?: KeySchema | undefined;
  numbers?: NumberFormat | undefined;
  /** Where failed records go, one JSON object per line with the reason (appended). */
  deadLetterFile?: DeadLetterFile | undefined;
  batchSize?: number;
  /** Lines before this one (1-based) are applied already and skipped. */
  resumeLine?: number | undefined;
  /** How long to wait through an outage before stopping. */
  outageWaitMs?: number | undefined;
  /** Told when the sink failed and the batch waits to be tried again. */
  onWait?: ((reason: string, delayMs: number, line: number) => void) | undefined;
  /** Where progress goes (a TTY gets a live line); defaults to none. */
  progress?: NodeJS.WriteStream | undefined;
}

export interface ReplaySummary extends Counts {
  /** The sink can not tell stale rows from written ones (CrateDB): `applied` counts both. */
  staleUnknown: boolean;
  /** Failed records older than a purged tombstone of the table (see HorizonError). */
  beyondHorizon: number;
  failed: number;
  roundedNumbers: number;
  routedToAux: number;
  seconds: number;
}

/**
 * The sink failed (an outage that outlasted the wait, or a failure no wait
 * heals: credentials, permissions); lines before `resumeLine` are applied.
 */
export class ReplayStopped extends DynacrateError {
  override name = "ReplayStopped";
  constructor(
    readonly resumeLine: number,
    readonly reason: string,
    readonly summary: ReplaySummary,
    options?: ErrorOptions,
  ) {
    super(`stopped at line ${resumeLine}: ${reason}`, options);
  }
}

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  // Before the first record: never write over a relation dynacrate did not create.
  for (const table of namedTargets(options.routes)) await checkTargetAtStart(options.sink, table);
  const mongodb = options.format === "mongodb";
  const router = new Router(options.sink, {
    routes: options.routes,
    keySchema: mongodb ? MONGODB_KEY_SCHEMA : options.keySchema,
    ...(mongodb ? { decoder: decodeMongoRecord } : {}),
    numbers: options.numbers,
  });
  const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH;
  const outageWaitMs = options.outageWaitMs ?? DEFAULT_OUTAGE_WAIT_MS;
  const resumeLine = options.resumeLine ?? 1;
  const total = statSync(options.file).size;
  const progress = options.progress ? new Progress(options.progress, "replay") : undefined;
  const summary: ReplaySummary = {
    ...zeroCounts(),
    staleUnknown: false,
    failed: 0,
    beyondHorizon: 0,
    roundedNumbers: 0,
    routedToAux: 0,
    seconds: 0,
  };
  const input = createReadStream(options.file);
  const deadLetters = options.deadLetterFile;

  const account = async (result: BatchResult) => {
    addCounts(summary, result);
    summary.staleUnknown ||= result.staleUnknown;
    summary.roundedNumbers += result.roundedNumbers;
    summary.routedToAux += result.routedToAux;
    summary.failed += result.failed.length;
    summary.beyondHorizon += result.failed.filter((f) => f.error instanceof HorizonError).length;
    if (result.failed.length > 0) await deadLetters?.write(result.failed);
    progress?.update(summary.records, input.bytesRead / Math.max(1, total));
  };

  /**
   * Commits a batch until the sink takes it: records the sink failed are
   * never dead-lettered; the batch waits with backoff and is written again
   * (the version guard makes that exact), or the replay stops.
   */
  const commit = async (batch: RoutedBatch, firstLine: number): Promise<BatchResult> => {
    const waitingSince = Date.now();
    for (let attempt = 1; ; attempt++) {
      const result = await router.commit(batch);
      const outage = result.failed.find((f) => !f.permanent);
      if (!outage) return result;
      const reason = redactSecrets(outage.error.message);
      const heals = !(outage.error instanceof SinkError) || outage.error.kind === "transient";
      const delay = backoffMs(attempt, 250, 30_000);
      if (!heals || Date.now() - waitingSince + delay > outageWaitMs) {
        summary.seconds = (performance.now() - started) / 1000;
        throw new ReplayStopped(firstLine, reason, summary, { cause: outage.error });
      }
      options.onWait?.(reason, delay, firstLine);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };

  // One batch is written while the next is read and decoded: the database and
  // this process work at the same time. Batches still commit one after the
  // other, in file order.
  let writing: Promise<BatchResult> | undefined;
  const flush = async (batch: SourceRecord[], firstLine: number) => {
    if (batch.length === 0) return;
    const prepared = router.prepare(batch);
    if (writing) await account(await writing);
    writing = commit(prepared, firstLine);
    // A stop is reported when awaited (above or at the end), not before.
    writing.catch(() => {});
  };

  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: SourceRecord[] = [];
  let batchLine = resumeLine;
  let lineNo = 0;
  try {
    for await (const raw of lines) {
      lineNo++;
      if (lineNo < resumeLine) continue;
      // A UTF-8 byte-order mark (editors on Windows write one) is not part of the JSON.
      const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (line.trim() === "") continue;
      if (batch.length === 0) batchLine = lineNo;
      // A MongoDB capture holds one change event per line, in Extended JSON.
      batch.push(
        ...(mongodb
          ? decodeLine(line, `line ${lineNo}`, (event, ref) => [{ payload: event, ref }])
          : recordsOfLine(line, lineNo)),
      );
      if (batch.length >= batchSize) {
        await flush(batch, batchLine);
        batch = [];
      }
    }
    await flush(batch, batchLine);
    if (writing) await account(await writing);
  } finally {
    input.destroy();
    await deadLetters?.close();
    progress?.done(summary.records);
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

function recordsOfLine(line: string, lineNo: number): SourceRecord[] {
  const ref = `line ${lineNo}`;
  // The usual line is one bare change record: it goes to the codec as text,
  // to be transcoded in one pass; it is parsed (by decodeLine, on demand) only
  // if the transcoder bails or the record becomes a dead letter. A line that
  // may be a Lambda event, a Kinesis record or a dead-letter entry is
  // unwrapped now. The test is on the text: such a line names `Records`,
  // `kinesis` or `failedAt`, unless escapes spell the name, so a line with
  // `\u` escapes is unwrapped now too.
  if (
    !line.includes('"Records"') &&
    !line.includes('"kinesis"') &&
    !line.includes('"failedAt"') &&
    !line.includes("\\u")
  ) {
    return [
      new TextRecord(
        line,
        { ref, order: String(lineNo) },
        // A bare record's position is its SequenceNumber (see sourceRecords).
        {
          decode: () => inLine(decodeLine(line, ref), lineNo)[0] as SourceRecord,
          positionInText: true,
        },
      ),
    ];
  }
  return inLine(decodeLine(line, ref), lineNo);
}

/**
 * The line orders a record that carries no sequence number against a change
 * of its item in the same tick (see Envelope.order), whatever the batches.
 */
function inLine(records: SourceRecord[], lineNo: number): SourceRecord[] {
  for (const record of records) record.order = String(lineNo);
  return records;
}

/**
 * The records of a line, parsed: a bare change record, a Lambda event, a
 * Kinesis record, or a dead-letter entry (its `record` is replayed as it was
 * delivered, at the position it was delivered at).
 */
function decodeLine(
  line: string,
  ref: string,
  unwrap: (parsed: unknown, ref: string) => SourceRecord[] = sourceRecords,
): SourceRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return [notJson(line, ref, error as Error)];
  }
  if (!isDeadLetterEntry(parsed)) return unwrap(parsed, ref);
  const { record, position } = parsed;
  // A line that was not JSON is kept as its text.
  if (typeof record === "string") {
    try {
      return unwrap(JSON.parse(record), ref);
    } catch (error) {
      return [notJson(record, ref, error as Error)];
    }
  }
  return unwrap(record, ref).map((r) =>
    r.position === undefined && !(r instanceof TextRecord) && typeof position === "string"
      ? { ...r, position }
      : r,
  );
}

function notJson(text: string, ref: string, error: Error): SourceRecord {
  return {
    payload: text,
    ref,
    error: new RecordError(ref, undefined, `not JSON (${error.message})`),
  };
}
