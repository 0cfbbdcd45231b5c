// The standalone relay: reads every shard of a change stream, in order within
// each shard, applies each batch through the same pipeline as the Lambda
// function, and checkpoints after each applied batch. Children of a split or
// merged shard start only once their parents are read to the end.

import { ConfigError, RoutingRefusal, type SourceError } from "../errors.ts";
import type { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import type { BatchResult, FailedRecord } from "../pipeline/batch-result.ts";
import type { TableRoutes } from "../routing/table-routes.ts";
import { nonePlacedMessage } from "../routing/unplaced.ts";
import { Backoff, isTransientSinkError, pause, SINK_BATCH_RETRY } from "../sink/retry.ts";
import { permanentSourceError } from "../source/source-fault.ts";
import {
  ExpiredIteratorError,
  type ReadResult,
  type ShardInfo,
  type StartPosition,
  type StreamSource,
  TrimmedPositionError,
} from "../source/stream-source.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";
import { type Checkpoint, CheckpointStore } from "./checkpoint-store.ts";
import { type Lease, LeaseLostError } from "./lease.ts";
import { type RelayStats, RelayTally } from "./relay-tally.ts";
import { keepTombstonesForStream } from "./stream-retention.ts";

/** Five reads per shard per second: the limit Kinesis and DynamoDB Streams set. */
export const DEFAULT_POLL_MS = 200;

export interface RelayOptions {
  source: StreamSource;
  /** Applies batches: a pipeline, or a router over one pipeline per target table. */
  pipeline: Pick<
    ApplyPipeline,
    "sink" | "table" | "apply" | "purgeTombstones" | "tombstoneRetentionMs" | "atLeast"
  > & {
    /** A router's other named targets: the checkpoints stand for their rows too. */
    targets?: TableName[];
    /** A router's routes: a run they place no record of stops before any checkpoint moves. */
    routes?: TableRoutes;
  };
  /** Where a shard without a checkpoint starts. */
  from: StartPosition;
  /** Records per GetRecords call and per applied batch. */
  batchSize?: number;
  /**
   * At the stream's tip, a shard is read at most once per this many
   * milliseconds, counted from the start of one read to the start of the
   * next. Default 200: Kinesis allows 5 GetRecords per shard per second, and
   * DynamoDB Streams as many. A read that returned a full batch is followed
   * at once: the shard is behind, and waiting would only add to its lag.
   */
  pollMs?: number;
  /** Stop once every shard has had nothing new for this long (demo, tests, benchmarks). */
  idleExitMs?: number;
  /** Receives records that can never be applied; when it throws, the batch is retried. */
  deadLetter?: (failures: FailedRecord[]) => Promise<void>;
  /** Told about each applied batch (progress, logs). */
  onBatch?: (event: BatchEvent) => void;
  /** Told about errors that the relay survives by retrying (logs). */
  onRetry?: (shard: string, error: unknown, delayMs: number) => void;
  /** Forget this target's checkpoints of the stream and start from `from`. */
  resetCheckpoints?: boolean;
  /** Told about what the relay did on its own (checkpoints carried over, reset). */
  onNotice?: (message: string) => void;
  /** Aborting stops the relay after the batches in flight are applied and checkpointed. */
  signal?: AbortSignal;
  /** Where the relay counts what it does (read by metrics and health checks); a new one if not given. */
  tally?: RelayTally;
  /**
   * A lease this relay holds (see standby.ts): its checkpoints are written
   * only under it, and once it is lost the relay stops with LeaseLostError.
   */
  lease?: Lease;
}

export interface BatchEvent {
  shard: string;
  result: BatchResult;
  deadLettered: number;
  /**
   * How far the read was behind the newest record of the shard, as the
   * stream says: Kinesis MillisBehindLatest. DynamoDB Streams has no such
   * field; its source gives the age of the newest record read instead.
   */
  behindMs: number | undefined;
  /**
   * The shard's lag: the age of the newest change of the batch (now minus
   * its ApproximateCreationDateTime) once the batch is applied. Undefined
   * when no record of the batch could be decoded.
   */
  lagMs: number | undefined;
  durationMs: number;
}

export type { RelayStats } from "./relay-tally.ts";

export async function runRelay(options: RelayOptions): Promise<RelayStats> {
  const { source, pipeline } = options;
  const tally = options.tally ?? new RelayTally();
  const stats: RelayStats = tally.totals;
  const tableName = formatTableName(pipeline.table);
  const batchSize = options.batchSize ?? 1000;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const { routes } = pipeline;
  // A DynamoDB stream names its table up front: routes that place none of it stop the relay now.
  if (routes && source.sourceTables) {
    const unplaced = nonePlacedMessage(
      routes,
      await source.sourceTables(),
      `${source.id} carries`,
      "Nothing was read; correct the routes and run again.",
    );
    if (unplaced) throw new ConfigError(unplaced);
  }
  const retention = await keepTombstonesForStream(source, pipeline);
  // A stream that can not be described stops the relay as listing its shards would.
  if (retention.permanent) throw retention.permanent;
  if (retention.notice) options.onNotice?.(retention.notice);
  const store = new CheckpointStore(
    pipeline.sink,
    source.id,
    pipeline.table,
    pipeline.targets,
    options.lease,
  );
  const checkpoints = await store.load({
    reset: options.resetCheckpoints ?? false,
    ...(options.onNotice ? { notice: options.onNotice } : {}),
  });
  tally.sinkAnswered();
  // Until a record is placed, a first run stops on a batch the routes place none of.
  let placedAny = checkpoints.size > 0;
  const running = new Map<string, Promise<void>>();
  const idleSince = new Map<string, number>();
  let lastActivity = Date.now();
  // One stop for both causes: the caller's signal, and the idle exit.
  const stop = new AbortController();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener("abort", () => stop.abort(), { once: true });
  const stopped = () => stop.signal.aborted;

  const sleep = (ms: number) => pause(ms, stop.signal);

  /**
   * The waits of a shard's write tried again (a batch, a checkpoint), each
   * told to onRetry; a retry says false once the relay is stopped, before or
   * during its wait.
   */
  const sinkBackoff = (shard: string) =>
    new Backoff(
      SINK_BATCH_RETRY,
      (error, _attempt, delayMs) => {
        tally.retry("sink");
        options.onRetry?.(shard, error, delayMs);
      },
      stop.signal,
    );
  async function backOff(waits: Backoff, shard: string, error: unknown): Promise<boolean> {
    const again = await waits.retry(error);
    tally.moved(shard);
    return again;
  }

  /** Applies a batch until it is applied or dead-lettered; transient failures are retried, never skipped. */
  async function applyBatch(
    shard: string,
    records: Awaited<ReturnType<StreamSource["read"]>>["records"],
    behindMs: number | undefined,
  ): Promise<boolean> {
    const waits = sinkBackoff(shard);
    for (;;) {
      const started = performance.now();
      const result = await pipeline.apply(records);
      if (!placedAny) placedAny = checkPlaced(shard, result);
      tally.moved(shard);
      const permanent = result.failed.filter((f) => f.permanent);
      const transient = result.failed.filter((f) => !f.permanent);
      let deadLettered = 0;
      let deadLetterError: unknown;
      if (transient.length === 0 && permanent.length > 0) {
        try {
          if (!options.deadLetter)
            throw new ConfigError("records failed and no dead-letter destination is set");
          await options.deadLetter(permanent);
          deadLettered = permanent.length;
        } catch (error) {
          deadLetterError = error;
        }
      }
      if (transient.length > 0) {
        tally.sinkFailed();
        tally.attemptFailed(result, tableName);
      } else tally.sinkAnswered();
      if (transient.length === 0 && deadLetterError === undefined) {
        tally.batch(result, deadLettered, tableName);
        const lagMs =
          result.newestMicros > 0
            ? Math.max(0, Date.now() - result.newestMicros / 1000)
            : undefined;
        const state = tally.shard(shard);
        if (lagMs !== undefined) state.lagMs = lagMs;
        if (behindMs !== undefined) state.behindMs = behindMs;
        options.onBatch?.({
          shard,
          result,
          deadLettered,
          behindMs,
          lagMs,
          durationMs: performance.now() - started,
        });
        // Old tombstones go at most once per purge interval; a failed purge
        // is tried again later and never holds up the stream.
        await pipeline.purgeTombstones().catch((error) => options.onRetry?.(shard, error, 0));
        return true;
      }
      if (!(await backOff(waits, shard, deadLetterError ?? transient[0]?.error))) return false;
    }
  }

  /**
   * Whether the routes placed a record of the batch. Throws when they refused
   * every one and say why (a --table-map naming no table the batch holds):
   * dead-lettering them would move the checkpoints past every record.
   */
  function checkPlaced(shard: string, result: BatchResult): boolean {
    const refused = result.failed.filter((f) => f.error instanceof RoutingRefusal);
    if (!routes || refused.length < result.records) return true;
    const tables = new Set<string>();
    for (const f of refused) {
      const table = (f.error as RoutingRefusal).sourceTable;
      if (table !== undefined) tables.add(table);
    }
    const unplaced = nonePlacedMessage(
      routes,
      [...tables],
      `the first batch of ${source.id} (shard ${shard}, ${result.records} records) holds`,
      "Nothing was written and no checkpoint moved; correct the routes and run again.",
    );
    if (unplaced) throw new ConfigError(unplaced);
    return false;
  }

  /**
   * Writes a shard's checkpoint, waiting out an outage of the sink in place:
   * the batch before it is applied and its dead letters are written, so
   * reading it again would write them twice. False when the relay stopped
   * first: a restart reads the batch again (at least once, G7).
   */
  async function saveCheckpoint(shard: string, checkpoint: Checkpoint): Promise<boolean> {
    const waits = sinkBackoff(shard);
    for (;;) {
      try {
        await store.save(shard, checkpoint);
        checkpoints.set(shard, checkpoint);
        tally.sinkAnswered();
        tally.checkpointed(shard);
        return true;
      } catch (error) {
        if (error instanceof LeaseLostError) {
          // Another relay reads the stream now: stop, writing nothing more.
          leaseLost ??= error;
          stop.abort();
          return false;
        }
        if (!isTransientSinkError(error)) throw error;
        tally.sinkFailed();
        if (!(await backOff(waits, shard, error))) return false;
      }
    }
  }

  async function readShard(shard: ShardInfo): Promise<void> {
    const saved = checkpoints.get(shard.id);
    let position = saved?.position;
    const startAt = (): StartPosition =>
      position ? { type: "after", sequence: position } : options.from;
    let iterator = await source.iterator(shard.id, startAt());
    // The next read is under way while a batch is applied, so the stream and
    // the database work at the same time. Records are still applied in order.
    let ahead: { iterator: string; result: Promise<ReadResult> } | undefined;
    // When the last read was sent, and whether the one after it may go at once.
    let lastReadAt = Number.NEGATIVE_INFINITY;
    let behind = false;
    const readFrom = (from: string) => {
      const result = (async (): Promise<ReadResult> => {
        // Paced by read starts, not by a pause after an empty read: a record
        // waits at most pollMs (plus a read) whether the reads before it
        // were empty or not, and the shard's read limit is kept either way.
        const wait = behind ? 0 : lastReadAt + pollMs - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopped()) return { records: [], next: from, behindMs: undefined };
        lastReadAt = performance.now();
        return source.read(from, batchSize);
      })();
      // Its error, if any, is handled when the read is awaited; not before.
      result.catch(() => {});
      return { iterator: from, result };
    };
    while (iterator && !stopped()) {
      const pending = ahead?.iterator === iterator ? ahead : readFrom(iterator);
      ahead = undefined;
      let read: ReadResult;
      try {
        read = await pending.result;
        tally.sourceAnswered();
      } catch (error) {
        tally.moved(shard.id);
        // The same iterator would fail again: a new one from the checkpoint. (A
        // checkpoint that is itself trimmed fails there, loudly: records were lost.)
        if (error instanceof ExpiredIteratorError || error instanceof TrimmedPositionError) {
          iterator = await source.iterator(shard.id, startAt());
          continue;
        }
        // Throttling or a passing network fault: wait and read again.
        tally.sourceFailed();
        tally.retry("source");
        options.onRetry?.(shard.id, error, 1000);
        await sleep(1000);
        continue;
      }
      tally.moved(shard.id);
      behind = read.records.length >= batchSize;
      if (read.records.length > 0 && read.next) ahead = readFrom(read.next);
      if (read.records.length > 0) {
        idleSince.delete(shard.id);
        lastActivity = Date.now();
        if (!(await applyBatch(shard.id, read.records, read.behindMs))) return;
        position = read.records.at(-1)?.position ?? position;
        if (!(await saveCheckpoint(shard.id, { position, finished: false }))) return;
      }
      iterator = read.next;
      if (!iterator) {
        // Closed and read to its end: its children may start.
        await saveCheckpoint(shard.id, { position, finished: true });
        return;
      }
      if (read.records.length === 0 && !idleSince.has(shard.id))
        idleSince.set(shard.id, Date.now());
    }
  }

  let shards: ShardInfo[] = [];
  let listedAt = 0;
  const started = new Set<string>();
  let fatal: SourceError | undefined;
  let leaseLost: LeaseLostError | undefined;
  while (!stopped()) {
    if (Date.now() - listedAt > 10_000 || running.size === 0) {
      try {
        shards = await source.listShards();
        listedAt = Date.now();
        tally.sourceAnswered();
      } catch (error) {
        fatal = permanentSourceError(error);
        if (fatal) break;
        tally.sourceFailed();
        tally.retry("source");
        options.onRetry?.("(listing shards)", error, 1000);
        await sleep(1000);
        continue;
      }
    }
    const known = new Set(shards.map((s) => s.id));
    for (const shard of shards) {
      if (running.has(shard.id) || checkpoints.get(shard.id)?.finished) continue;
      // A parent that is gone from the stream (past retention) counts as finished.
      const waiting = shard.parentIds.some((p) => known.has(p) && !checkpoints.get(p)?.finished);
      if (waiting) continue;
      started.add(shard.id);
      stats.shards = started.size;
      tally.moved(shard.id);
      const work = readShard(shard)
        .catch(async (error) => {
          fatal ??= permanentSourceError(error);
          if (fatal) {
            stop.abort();
            return;
          }
          // A passing fault: the shard is read again from its checkpoint on the next round.
          options.onRetry?.(shard.id, error, 1000);
          await sleep(1000);
        })
        .finally(() => {
          running.delete(shard.id);
          tally.stopped(shard.id);
        });
      running.set(shard.id, work);
    }
    if (options.idleExitMs !== undefined) {
      const allIdle = [...running.keys()].every((id) => idleSince.has(id));
      if (allIdle && Date.now() - lastActivity >= options.idleExitMs) break;
    }
    tally.moved();
    await Promise.race([sleep(pollMs), ...running.values()]);
  }
  stop.abort();
  await Promise.allSettled(running.values());
  tally.stopped("");
  if (fatal) throw fatal;
  if (leaseLost) throw leaseLost;
  return stats;
}
