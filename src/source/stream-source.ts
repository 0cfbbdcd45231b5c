// What the relay reads from: a stream of shards, each an ordered sequence of
// change records. Kinesis and DynamoDB Streams both fit.

import type { SourceRecord } from "../codec/source-record.ts";

export interface ShardInfo {
  id: string;
  /** The shard this one was split or merged from; read only after it is finished. */
  parentIds: string[];
}

export type StartPosition =
  | { type: "trim-horizon" }
  | { type: "latest" }
  | { type: "at-timestamp"; timestamp: Date }
  | { type: "after"; sequence: string };

export interface ReadResult {
  records: SourceRecord[];
  /** The iterator for the next read; undefined when the shard is closed and read to its end. */
  next: string | undefined;
  /** How far behind the newest record of the shard this read is, when the stream says. */
  behindMs: number | undefined;
}

/** DynamoDB Streams keeps records 24 hours, a fixed limit (Kinesis: 24 h to 365 days, as set). */
export const DYNAMODB_STREAMS_RETENTION_HOURS = 24;

export interface StreamSource {
  /** Names the stream in checkpoints, e.g. `kinesis://orders-cdc`. */
  readonly id: string;
  listShards(): Promise<ShardInfo[]>;
  iterator(shardId: string, start: StartPosition): Promise<string | undefined>;
  read(iterator: string, limit: number): Promise<ReadResult>;
  /**
   * How long the stream keeps records, in hours: the longest a change can
   * still arrive late. Tombstones must be kept at least this long. Absent
   * where the source sets no time limit (a MongoDB oplog is bounded by size).
   */
  retentionHours?(): Promise<number>;
  /**
   * The source tables whose changes the stream carries, where they are known
   * before the first read (a DynamoDB stream belongs to one table); absent
   * where only the records tell (a Kinesis stream may carry several tables).
   */
  sourceTables?(): Promise<string[]>;
}

/** Thrown by `read` when the iterator expired (after 5 minutes unused); open a new one. */
export class ExpiredIteratorError extends Error {
  override name = "ExpiredIteratorError";
}

/**
 * Thrown by `read` when the iterator points before the oldest record the shard
 * still keeps (TrimmedDataAccessException): the same iterator fails forever,
 * a new one from the reader's last position may not. DynamoDB Local also
 * throws it for an iterator of an empty shard once another table with a
 * stream is created.
 */
export class TrimmedPositionError extends Error {
  override name = "TrimmedPositionError";
}
