// `dynacrate replay`: applies a capture of change records (NDJSON: one record,
// Kinesis record or Lambda event per line) to a sink, in file order, in batches.
// A line that can not be applied goes to the dead-letter file with its reason.

import { createReadStream, rmSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { NumberFormat } from "../codec/decimal.ts";
import { decodeMongoRecord, MONGODB_KEY_SCHEMA } from "../codec/mongodb-event.ts";
import { type SourceRecord, sourceRecords } from "../codec/source-record.ts";
import { TextRecord } from "../codec/text-record.ts";
import { DeadLetterFile } from "../dead-letter/dead-letter-file.ts";
import { RecordError } from "../errors.ts";
import { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import { addCounts, type BatchResult, type Counts, zeroCounts } from "../pipeline/batch-result.ts";
import { HorizonError } from "../pipeline/horizon.ts";
import type { Sink } from "../sink/sink.ts";
import { checkTargetAtStart } from "../sink/target-check.ts";
import type { KeySchema } from "../sql/key-schema.ts";
import type { TableName } from "../sql/table-name.ts";
import { Progress } from "./progress.ts";

/**
 * Records per batch. Larger than a Lambda batch: a capture is bulk work, and a
 * larger batch coalesces more changes of one item and costs fewer round trips.
 */
export const DEFAULT_REPLAY_BATCH = 5000;

export interface ReplayOptions {
  file: string;
  /** What each line holds: DynamoDB change records (default) or MongoDB change events. */
  format?: "dynamodb" | "mongodb" | undefined;
  sink: Sink;
  table: TableName;
  keySchema?: KeySchema | undefined;
  numbers?: NumberFormat | undefined;
  /** Where failed records go, one JSON object per line with the reason. */
  deadLetterFile?: string | undefined;
  batchSize?: number;
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

export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const started = performance.now();
  // Before the first record: never write over a relation dynacrate did not create.
  await checkTargetAtStart(options.sink, options.table);
  const mongodb = options.format === "mongodb";
  const pipeline = new ApplyPipeline(options.sink, {
    table: options.table,
    keySchema: mongodb ? MONGODB_KEY_SCHEMA : options.keySchema,
    ...(mongodb ? { decoder: decodeMongoRecord } : {}),
    numbers: options.numbers,
  });
  const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH;
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
  // The dead-letter file holds this run's failures only.
  if (options.deadLetterFile) rmSync(options.deadLetterFile, { force: true });
  const input = createReadStream(options.file);
  const deadLetters = options.deadLetterFile
    ? new DeadLetterFile(options.deadLetterFile)
    : undefined;

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

  // One batch is written while the next is read and decoded: the database and
  // this process work at the same time. Batches still commit one after the
  // other, in file order.
  let writing: Promise<BatchResult> | undefined;
  const flush = async (batch: SourceRecord[]) => {
    if (batch.length === 0) return;
    const prepared = pipeline.prepare(batch);
    if (writing) await account(await writing);
    writing = pipeline.commit(prepared);
  };

  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let batch: SourceRecord[] = [];
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      // A MongoDB capture holds one change event per line, in Extended JSON.
      batch.push(
        ...(mongodb
          ? decodeLine(line, `line ${lineNo}`, (event, ref) => [{ payload: event, ref }])
          : recordsOfLine(line, lineNo)),
      );
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
    if (writing) await account(await writing);
  } finally {
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
  // may be a Lambda event or Kinesis record is unwrapped now, as before. The
  // test is on the text: such a line names `Records` or `kinesis`, unless
  // escapes spell the name, so a line with `\u` escapes is unwrapped now too.
  if (!line.includes('"Records"') && !line.includes('"kinesis"') && !line.includes("\\u")) {
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

/** The records of a line, parsed: a bare change record, a Lambda event or a Kinesis record. */
function decodeLine(
  line: string,
  ref: string,
  unwrap: (parsed: unknown, ref: string) => SourceRecord[] = sourceRecords,
): SourceRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return [
      {
        payload: line,
        ref,
        error: new RecordError(ref, undefined, `not JSON (${(error as Error).message})`),
      },
    ];
  }
  return unwrap(parsed, ref);
}
