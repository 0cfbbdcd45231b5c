// The bridge plays "Kinesis Data Streams for DynamoDB" for DynamoDB Local,
// which can not stream into Kinesis (docs/FACTS section 6): it reads every
// shard of the table's DynamoDB stream (a child shard only once its parent is
// read to the end) and puts each change on a Kinesis stream in the record
// format DynamoDB itself would use there, partitioned by the item's key.
// It can also do what the real service does to such records: deliver some
// twice and some out of order (bridge-faults.ts).

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import {
  type KinesisClient,
  PutRecordsCommand,
  type PutRecordsRequestEntry,
} from "@aws-sdk/client-kinesis";
import { Backoff, pause, type RetryPolicy } from "../../sink/retry.ts";
import { DynamoDbStreamsSource } from "../../source/dynamodb-streams.ts";
import {
  ExpiredIteratorError,
  type StartPosition,
  TrimmedPositionError,
} from "../../source/stream-source.ts";
import { prng } from "../prng.ts";
import { type BridgeFaults, FaultInjector, type FaultStats } from "./bridge-faults.ts";
import { partitionKeyOf, toKinesisChange } from "./kinesis-record.ts";

export interface BridgeOptions {
  dynamodb: DynamoDBClient;
  streams: DynamoDBStreamsClient;
  kinesis: KinesisClient;
  /** The table whose DynamoDB stream is read; NEW_AND_OLD_IMAGES gives what Kinesis streaming sends. */
  table: string;
  /** The Kinesis stream (name) the changes are put on. */
  stream: string;
  /** Duplicates and reordering, as the real service may deliver them. */
  faults?: BridgeFaults | undefined;
  /**
   * DynamoDB Local never expires items. A REMOVE of an item whose attribute of
   * this name holds a time (epoch seconds) in the past is marked as a TTL
   * delete, as DynamoDB marks the deletes its TTL makes.
   */
  ttlAttribute?: string | undefined;
  /** The records' `awsRegion` (DynamoDB Local writes "ddblocal"). Default "us-east-1". */
  region?: string;
  /** Where the stream is read from. Default: its oldest record. */
  from?: "trim-horizon" | "latest";
  /** Pause after an empty read, in ms. Default 50. */
  pollMs?: number;
  /** Told about errors the bridge survives by retrying. */
  onError?: (error: unknown) => void;
  /**
   * Told, with the DynamoDB stream records read, once their changes are on
   * Kinesis (bench:latency times the bridge's share with it). With faults,
   * some of them may still be held back.
   */
  onPut?: (records: unknown[]) => void;
}

export interface BridgeStats extends FaultStats {
  /** Changes read from the DynamoDB stream. */
  read: number;
  /** Records put on Kinesis, duplicates included. */
  put: number;
  /** REMOVEs marked as deletes by TTL. */
  ttlDeletes: number;
  /** Changes over Kinesis's 1 MB record limit, skipped as DynamoDB skips them. */
  tooLarge: number;
  /** PutRecords entries Kinesis refused (throttling) and the bridge put again. */
  retried: number;
}

export interface Bridge {
  /** Counts so far; updated live. */
  readonly stats: BridgeStats;
  /**
   * Resolves once every change written to the table before the call is on
   * Kinesis (records held back by faults included). Rejects after `timeoutMs`
   * (default 60 s) or when the bridge stops first.
   */
  drained(timeoutMs?: number): Promise<void>;
  /** Stops reading; resolves once the puts in flight are done. */
  stop(): Promise<BridgeStats>;
}

/** Kinesis PutRecords limits: 500 entries and 5 MB per call, 1 MB per record. */
const MAX_ENTRIES = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;
/** How often the stream's shards are listed, to find new ones. */
const LIST_EVERY_MS = 250;
/** Records Kinesis refused, or a PutRecords that failed: put again, up to 2 s apart. */
const PUT_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 100,
  maxDelayMs: 2000,
};
/** A shard's read failing again and again waits longer each time, up to 5 s. */
const READ_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  baseDelayMs: 100,
  maxDelayMs: 5000,
};

export function startBridge(options: BridgeOptions): Bridge {
  const source = new DynamoDbStreamsSource(options.streams, options.dynamodb, options.table);
  const pollMs = options.pollMs ?? 50;
  const from: StartPosition = { type: options.from ?? "trim-horizon" };
  const faults = options.faults
    ? new FaultInjector<PutRecordsRequestEntry>(options.faults)
    : undefined;
  // Event ids from the seed too, so that a run with faults repeats byte for byte.
  const idRandom = options.faults ? prng(options.faults.seed ^ 0x5eed) : undefined;
  const encoder = new TextEncoder();
  const stats: BridgeStats = {
    read: 0,
    put: 0,
    ttlDeletes: 0,
    tooLarge: 0,
    retried: 0,
    duplicated: 0,
    swapped: 0,
    delayed: 0,
  };
  const syncFaultStats = () => {
    if (faults) Object.assign(stats, faults.stats);
  };

  let stopping = false;
  // Ends every wait at once when the bridge stops.
  const halt = new AbortController();
  const sleep = (ms: number) => pause(ms, halt.signal);

  // DynamoDB Streams stamps changes in whole seconds, while the Kinesis
  // records of the real service carry microseconds, and the relay orders the
  // changes of an item by that timestamp (then by the Kinesis sequence number,
  // which duplicates and reordering make useless). So each change gets "now"
  // in microseconds, but never less than the previous change plus one: the
  // bridge stamps changes in the order it reads them, which for each item is
  // the order of its stream SequenceNumbers (one shard at a time, a child
  // after its parent), so the stamps of an item's changes strictly increase
  // in the item's change order, however Kinesis later shuffles the records.
  let lastMicros = 0;
  const nextMicros = () => {
    lastMicros = Math.max(Date.now() * 1000, lastMicros + 1);
    return lastMicros;
  };

  const expired = (record: Record<string, unknown>): boolean => {
    if (!options.ttlAttribute || record.eventName !== "REMOVE") return false;
    const old = (record.dynamodb as { OldImage?: Record<string, { N?: unknown }> } | undefined)
      ?.OldImage;
    const at = Number(old?.[options.ttlAttribute]?.N);
    return Number.isFinite(at) && at * 1000 <= Date.now();
  };

  const toEntry = (payload: unknown): PutRecordsRequestEntry => {
    const record = payload as Record<string, unknown>;
    const ttlDelete = expired(record);
    if (ttlDelete) stats.ttlDeletes++;
    const change = toKinesisChange(record, {
      micros: nextMicros(),
      tableName: options.table,
      region: options.region ?? "us-east-1",
      ttlDelete,
      ...(idRandom ? { eventId: seededUuid(idRandom) } : {}),
    });
    return {
      Data: encoder.encode(JSON.stringify(change)),
      PartitionKey: partitionKeyOf((record.dynamodb as { Keys?: unknown } | undefined)?.Keys),
    };
  };

  let putting = 0;
  /** Puts entries in PutRecords calls, retrying what Kinesis refuses until it is taken. */
  async function put(entries: PutRecordsRequestEntry[]): Promise<void> {
    putting++;
    try {
      let chunk: PutRecordsRequestEntry[] = [];
      let bytes = 0;
      for (const entry of entries) {
        const size = (entry.Data?.length ?? 0) + Buffer.byteLength(entry.PartitionKey ?? "");
        if (size > MAX_RECORD_BYTES) {
          stats.tooLarge++;
          continue;
        }
        if (chunk.length === MAX_ENTRIES || bytes + size > MAX_REQUEST_BYTES) {
          await putChunk(chunk);
          chunk = [];
          bytes = 0;
        }
        chunk.push(entry);
        bytes += size;
      }
      if (chunk.length > 0) await putChunk(chunk);
    } finally {
      putting--;
    }
  }

  async function putChunk(entries: PutRecordsRequestEntry[]): Promise<void> {
    let pending = entries;
    // Not ended by a stop: what was read is put before the bridge stops.
    const waits = new Backoff(PUT_RETRY);
    while (pending.length > 0) {
      try {
        const out = await options.kinesis.send(
          new PutRecordsCommand({ StreamName: options.stream, Records: pending }),
        );
        const refused = pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
        stats.put += pending.length - refused.length;
        stats.retried += refused.length;
        pending = refused;
      } catch (error) {
        // The call may have succeeded anyway: putting it again makes duplicates, as a real producer would.
        options.onError?.(error);
        if (stopping && waits.failed >= 3) throw error;
      }
      if (pending.length > 0) await waits.retry(undefined);
    }
  }

  const finished = new Set<string>();
  const readers = new Map<string, Promise<void>>();
  /** When the latest empty read of each open shard was sent (performance.now()). */
  const caughtUpAt = new Map<string, number>();
  /** Shards of the latest listing that were not read to their end, and when that listing was sent. */
  let open: string[] = [];
  let listedAt = Number.NEGATIVE_INFINITY;

  /** The last change forwarded from each shard: where a new iterator starts. */
  const positions = new Map<string, string>();

  /**
   * An iterator from the oldest record of the shard not yet forwarded. When
   * even that position is trimmed (older than what the stream keeps), the
   * oldest record the shard still has is the oldest one not forwarded.
   */
  async function openIterator(shardId: string): Promise<string | undefined> {
    const position = positions.get(shardId);
    if (!position) return source.iterator(shardId, from);
    try {
      return await source.iterator(shardId, { type: "after", sequence: position });
    } catch (error) {
      if ((error as { name?: unknown })?.name !== "TrimmedDataAccessException") throw error;
      options.onError?.(
        new Error(
          `the stream of ${options.table} no longer holds the records after ${position} in ${shardId}: forwarding from its oldest record`,
          { cause: error },
        ),
      );
      return source.iterator(shardId, { type: "trim-horizon" });
    }
  }

  async function readShard(shardId: string): Promise<void> {
    let iterator: string | undefined;
    // Errors in a row: each waits longer (up to 5 s) before the next try, so
    // that an error that does not pass is never retried in a tight loop.
    let waits = new Backoff(READ_RETRY, undefined, halt.signal);
    let renewed = false;
    const failed = async (error: unknown) => {
      if (!stopping) options.onError?.(error);
      await waits.retry(error);
    };
    while (!stopping) {
      if (!iterator) {
        try {
          iterator = await openIterator(shardId);
        } catch (error) {
          await failed(error);
          continue;
        }
        if (!iterator) break;
      }
      const sentAt = performance.now();
      let read: Awaited<ReturnType<DynamoDbStreamsSource["read"]>>;
      try {
        read = await source.read(iterator, 1000);
      } catch (error) {
        // An iterator that expired or points at trimmed records fails again
        // as it is: a new one starts from the oldest record not yet forwarded.
        if (error instanceof ExpiredIteratorError || error instanceof TrimmedPositionError)
          iterator = undefined;
        // An expired iterator is normal after an idle spell; anything else is told.
        if (error instanceof ExpiredIteratorError && !renewed) renewed = true;
        else await failed(error);
        continue;
      }
      waits = new Backoff(READ_RETRY, undefined, halt.signal);
      renewed = false;
      if (read.records.length > 0) {
        caughtUpAt.delete(shardId);
        stats.read += read.records.length;
        const entries = read.records.map((r) => toEntry(r.payload));
        await put(faults ? faults.apply(entries) : entries);
        syncFaultStats();
        options.onPut?.(read.records.map((r) => r.payload));
        const last = read.records.at(-1)?.position;
        if (last) positions.set(shardId, last);
      } else {
        // Nothing new: what the faults held back goes out now.
        if (faults && faults.pending > 0) await put(faults.flush());
        caughtUpAt.set(shardId, sentAt);
      }
      iterator = read.next;
      if (!iterator) break;
      if (read.records.length === 0) await sleep(pollMs);
    }
    if (!stopping) {
      finished.add(shardId);
      caughtUpAt.delete(shardId);
    }
  }

  const running = (async () => {
    while (!stopping) {
      const sentAt = performance.now();
      try {
        const shards = await source.listShards();
        const listed = new Set(shards.map((s) => s.id));
        for (const shard of shards) {
          if (readers.has(shard.id) || finished.has(shard.id)) continue;
          // A parent gone from the listing (trimmed) counts as read.
          if (shard.parentIds.some((p) => listed.has(p) && !finished.has(p))) continue;
          const reader = readShard(shard.id)
            .catch((error) => {
              if (!stopping) options.onError?.(error);
            })
            .finally(() => readers.delete(shard.id));
          readers.set(shard.id, reader);
        }
        open = shards.filter((s) => !finished.has(s.id)).map((s) => s.id);
        listedAt = sentAt;
      } catch (error) {
        if (!stopping) options.onError?.(error);
      }
      await sleep(LIST_EVERY_MS);
    }
    await Promise.allSettled(readers.values());
  })();

  return {
    stats,
    drained(timeoutMs = 60_000) {
      const since = performance.now();
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (stopping) return reject(new Error("the bridge stopped before it drained"));
          const behind = open.filter(
            (id) => !finished.has(id) && (caughtUpAt.get(id) ?? Number.NEGATIVE_INFINITY) < since,
          );
          if (listedAt >= since && behind.length === 0 && putting === 0 && !faults?.pending)
            return resolve();
          if (performance.now() - since > timeoutMs) {
            return reject(
              new Error(
                `the bridge did not drain within ${timeoutMs} ms: shards behind ${behind.join(", ") || "none"}, ` +
                  `${putting} puts in flight, ${faults?.pending ?? 0} records held back, stats ${JSON.stringify(stats)}`,
              ),
            );
          }
          setTimeout(check, 20);
        };
        check();
      });
    },
    async stop() {
      stopping = true;
      halt.abort();
      await running;
      syncFaultStats();
      return stats;
    },
  };
}

/** A version 4 UUID from a seeded PRNG. */
function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
