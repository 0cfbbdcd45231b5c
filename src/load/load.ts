// A full load: reads a table snapshot (parallel Scan or DynamoDB export) with
// several readers, and writes it through the apply pipeline, in batches, by
// one writer. Between them a bounded queue keeps memory flat (backpressure).
//
// - Every row gets the snapshot's version (codec/snapshot.ts): older than any
//   change made after the snapshot's cut, so the stream's changes win.
// - A part's progress is saved only after its items are applied, so a resumed
//   load (`resume: true`) goes on after the last applied page, and reads only
//   what is left.
// - Reads that fail for a passing reason (throttling, network, S3 5xx) are
//   retried with backoff from where the part stopped; a write the database
//   fails is retried with backoff; an item the database refuses goes to the
//   dead-letter destination. A failure that persists throws: the load never
//   reports a partial copy as done.

import { checkGivenKeySchema, type KeySchema } from "../codec/key-schema.ts";
import { snapshotChange } from "../codec/snapshot.ts";
import type { SourceRecord } from "../codec/source-record.ts";
import type { AttributeMap } from "../codec/types.ts";
import { ConfigError, RecordError, SourceError } from "../errors.ts";
import type { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";
import { Backoff, type RetryPolicy, withRetry } from "../sink/retry.ts";
import { SinkError } from "../sink/sink-error.ts";
import {
  type SnapshotInfo,
  type SnapshotPage,
  type SnapshotSource,
  UnreadableItem,
} from "../source/snapshot-source.ts";
import { permanentSourceError } from "../source/source-fault.ts";
import { PageQueue } from "./page-queue.ts";
import { type JobRecord, LoadProgressStore, type PartProgress } from "./progress-store.ts";

/** Items per applied batch: bulk work, as replay's batches. */
export const DEFAULT_LOAD_BATCH = 5000;
/** Reads of a part: the AWS SDK retries each call 3 times already; these are on top. */
export const READ_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 20_000 };
/** Writes of a batch whose sink failed after the sink's own retries. */
export const WRITE_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 15_000 };

export interface LoadOptions {
  source: SnapshotSource;
  /** What `source.describe()` answered. */
  info: SnapshotInfo;
  pipeline: ApplyPipeline;
  keySchema: KeySchema;
  /** Names the job in the progress table. */
  job: string;
  /** Go on from the recorded progress of an interrupted load of the same job. */
  resume: boolean;
  /**
   * Subtracted from the snapshot's start (a scan's start, an export's
   * ExportTime) to get its cut: covers clock skew and an export's fuzzy cut.
   */
  marginMs: number;
  /** Parts read at once. */
  readers: number;
  batchSize?: number;
  /** Pages the queue holds at most. Default: two per reader. */
  queuePages?: number;
  /** Receives items that can never be applied; when it throws, the load stops. */
  deadLetter?: (failures: FailedRecord[]) => Promise<void>;
  onProgress?: (event: LoadProgressEvent) => void;
  onRetry?: (what: string, error: unknown, delayMs: number) => void;
  /** Aborting stops reading; the batch in flight is applied and its progress saved. */
  signal?: AbortSignal;
  readRetry?: RetryPolicy;
  writeRetry?: RetryPolicy;
  /** The clock (tests). */
  now?: () => number;
}

export interface LoadProgressEvent {
  /** Items applied over all runs of this job (what progress counts). */
  items: number;
  /** Items this run has read and applied. */
  itemsThisRun: number;
  total: number | undefined;
  partsDone: number;
  parts: number;
  /** Pages waiting in the queue (the backpressure's fill). */
  queued: number;
}

export interface LoadSummary {
  job: string;
  /** The snapshot's cut, epoch ms: the relay of a hand-off starts before it. */
  cutMs: number;
  resumed: boolean;
  /** The job had finished before this run (a resume after the load, during the hand-off). */
  wasComplete: boolean;
  /** Items applied by earlier runs of the job (with --resume). */
  earlier: number;
  /** Items this run read (dead-lettered included). */
  read: number;
  applied: number;
  /** Items the version guard left out: the target already held a newer version. */
  skipped: number;
  deadLettered: number;
  /** Every part read to its end and applied; false when stopped by the signal. */
  complete: boolean;
  parts: number;
  seconds: number;
}

interface Queued {
  part: string;
  page: SnapshotPage;
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const startedAt = now();
  const { source, pipeline } = options;
  const batchSize = options.batchSize ?? DEFAULT_LOAD_BATCH;
  const store = new LoadProgressStore(pipeline.sink, options.job);
  const parts = await source.parts();

  // The job: its cut and its parts, fresh or from the interrupted run.
  const saved = options.resume ? await store.load() : undefined;
  let job: JobRecord;
  const progress = new Map<string, PartProgress>();
  if (saved) {
    job = saved.job;
    if (job.parts.join("\n") !== parts.join("\n")) {
      throw new ConfigError(
        `the load to resume read ${job.parts.length} parts (${describeParts(job.parts)}), this one has ${parts.length} (${describeParts(parts)}): resume with the same --segments, or start afresh without --resume`,
      );
    }
    for (const [part, p] of saved.parts) progress.set(part, p);
  } else {
    job = { cutMs: (options.info.snapshotTimeMs ?? startedAt) - options.marginMs, parts };
    await store.start(job);
  }
  const earlier = [...progress.values()].reduce((n, p) => n + p.items, 0);
  const summary: LoadSummary = {
    job: options.job,
    cutMs: job.cutMs,
    resumed: saved !== undefined,
    wasComplete: saved?.finished === true,
    earlier,
    read: 0,
    applied: 0,
    skipped: 0,
    deadLettered: 0,
    complete: false,
    parts: parts.length,
    seconds: 0,
  };
  const snapshot = { keyNames: options.keySchema.map((k) => k.name), cutMs: job.cutMs };
  // A key schema the items do not have (a wrong --key for an export) stops the
  // load at its first item, before anything is written, not item by item.
  let keysChecked = false;
  const firstItem = (item: unknown, ref: string) => {
    if (keysChecked || typeof item !== "object" || item === null) return;
    checkGivenKeySchema(options.keySchema, item as AttributeMap, ref, true);
    keysChecked = true;
  };
  const todo = parts.filter((p) => !progress.get(p)?.finished);

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const queue = new PageQueue<Queued>(options.queuePages ?? Math.max(2, options.readers * 2));
  let fatal: unknown;
  const fail = (error: unknown) => {
    fatal ??= error;
    stop.abort();
    queue.discard();
  };

  // Readers: each takes the next unfinished part and reads it to its end.
  const passing = (error: unknown): error is Error =>
    !stop.signal.aborted && readErrorIsPassing(error);
  const readPart = async (part: string) => {
    let from = progress.get(part)?.position;
    await withRetry(
      async () => {
        for await (const page of source.read(part, from, stop.signal)) {
          if (!(await queue.put({ part, page }))) return;
          from = page.next;
        }
      },
      options.readRetry ?? READ_RETRY,
      (error, attempt, delayMs) =>
        options.onRetry?.(`${part} (read attempt ${attempt})`, error, delayMs),
      passing,
      stop.signal,
    );
  };
  const pending = [...todo];
  const readers = Array.from({ length: Math.min(options.readers, todo.length) }, async () => {
    for (
      let part = pending.shift();
      part !== undefined && !stop.signal.aborted;
      part = pending.shift()
    ) {
      try {
        await readPart(part);
      } catch (error) {
        if (!stop.signal.aborted) fail(readFailure(part, error));
        return;
      }
    }
  });
  const reading = Promise.all(readers).then(() => queue.close());

  // The writer: batches of whole pages; one batch is written while the next is prepared.
  let applying: Promise<void> | undefined;
  const partsDone = () => parts.filter((p) => progress.get(p)?.finished).length;
  const applyGroup = async (group: Queued[], records: SourceRecord[]) => {
    await writeRecords(records);
    // Saved in page order: each part's last page in the group says where it goes on.
    const touched = new Map<string, PartProgress>();
    for (const { part, page } of group) {
      const before = touched.get(part) ??
        progress.get(part) ?? { position: undefined, items: 0, finished: false };
      touched.set(part, {
        position: page.next ?? before.position,
        items: before.items + page.items.length,
        finished: page.next === undefined,
      });
    }
    for (const [part, p] of touched) {
      await store.save(part, p);
      progress.set(part, p);
    }
    const items = earlier + summary.read;
    options.onProgress?.({
      items,
      itemsThisRun: summary.read,
      total: options.info.itemCount,
      partsDone: partsDone(),
      parts: parts.length,
      queued: queue.size,
    });
  };

  /** Applies records until each is applied or dead-lettered; a sink failure is retried, then thrown. */
  const writeRecords = async (records: SourceRecord[]) => {
    let todoRecords = records;
    const backoff = new Backoff<Error | undefined>(
      options.writeRetry ?? WRITE_RETRY,
      (error, _attempt, delayMs) => options.onRetry?.("write", error, delayMs),
      stop.signal,
    );
    while (todoRecords.length > 0) {
      const result = await pipeline.apply(todoRecords);
      summary.applied += result.applied;
      summary.skipped += result.skipped;
      const permanent = result.failed.filter((f) => f.permanent);
      const transient = result.failed.filter((f) => !f.permanent);
      if (permanent.length > 0) {
        if (!options.deadLetter) throw permanent[0]?.error;
        await options.deadLetter(permanent);
        summary.deadLettered += permanent.length;
      }
      if (transient.length === 0) return;
      const error = transient[0]?.error;
      if (error instanceof SinkError && error.kind === "fatal") throw error;
      if (!(await backoff.retry(error))) {
        throw new SinkError(
          "transient",
          `the target database failed ${backoff.failed} times in a row: ${error?.message}`,
          error instanceof SinkError ? error.code : undefined,
          { cause: error },
        );
      }
      const again = new Set(transient.map((f) => f.index));
      todoRecords = todoRecords.filter((_, i) => again.has(i));
    }
  };

  try {
    for (;;) {
      const first = await queue.take();
      if (first === undefined) break;
      const group = [first];
      let items = first.page.items.length;
      for (let next = items < batchSize ? queue.poll() : undefined; next; ) {
        group.push(next);
        items += next.page.items.length;
        next = items < batchSize ? queue.poll() : undefined;
      }
      const records = toRecords(group, snapshot, firstItem);
      summary.read += records.length;
      if (applying) await applying;
      if (fatal !== undefined || options.signal?.aborted) break;
      applying = applyGroup(group, records).catch(fail);
    }
    if (applying) await applying;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    stop.abort();
    queue.discard();
    await reading;
  }
  if (fatal !== undefined) throw fatal;
  summary.complete = parts.every((p) => progress.get(p)?.finished);
  if (summary.complete) await store.finish(job, earlier + summary.read);
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** The pages' items as source records carrying their snapshot change (or why they have none). */
function toRecords(
  group: Queued[],
  snapshot: { keyNames: string[]; cutMs: number },
  firstItem: (item: unknown, ref: string) => void,
): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (const { page } of group) {
    page.items.forEach((item, i) => {
      const ref = page.ref(i);
      if (item instanceof UnreadableItem) {
        records.push({ payload: item.text, ref, error: item.error });
        return;
      }
      // The dead-letter form of an item is an export line's: {"Item": {...}}.
      const payload = { Item: item };
      firstItem(item, ref);
      try {
        records.push({ payload, ref, change: snapshotChange(item, snapshot, ref) });
      } catch (error) {
        if (!(error instanceof RecordError)) throw error;
        records.push({ payload, ref, error });
      }
    });
  }
  return records;
}

/** Throttling, network faults and server errors heal by waiting; a missing table or file does not. */
function readErrorIsPassing(error: unknown): boolean {
  if (error instanceof SourceError || error instanceof ConfigError) return false;
  if ((error as { name?: unknown })?.name === "AbortError") return false;
  return permanentSourceError(error) === undefined;
}

function readFailure(part: string, error: unknown): unknown {
  if (error instanceof SourceError || error instanceof ConfigError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new SourceError(`reading ${part} failed: ${message}`, { cause: error });
}

function describeParts(parts: string[]): string {
  return parts.length > 3 ? `${parts.slice(0, 3).join(", ")}, ...` : parts.join(", ");
}
