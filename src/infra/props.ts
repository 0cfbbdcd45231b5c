// The options of the DynamoDbToCrateDb construct, each with a safe default.
// Plain data only (no CDK types), so that the YAML configuration of
// `dynacrate synth|deploy|destroy` maps onto them one to one and a program can
// build them without importing aws-cdk-lib.

import type { KeyAttribute } from "../codec/key-schema.ts";

export type { KeyAttribute };

/** A table this stack creates. */
export interface NewTableOptions {
  /** Physical name; default: CloudFormation generates one. */
  name?: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
  /** `on-demand` (default) or provisioned capacity. */
  billing?: "on-demand" | { read: number; write: number };
  /** Attribute holding each item's expiry time (DynamoDB TTL). */
  ttlAttribute?: string;
}

/** A table that exists already, by name or ARN (same account and Region). */
export interface ExistingTableOptions {
  existing: string;
  /**
   * Its key, when known: the function then checks every record against it
   * (KEY_SCHEMA) instead of taking the key from the first record.
   */
  partitionKey?: KeyAttribute;
  sortKey?: KeyAttribute;
  /**
   * DynamoDB Streams source: the ARN of the table's stream (it must have the
   * NEW_AND_OLD_IMAGES view). Required with `source: "dynamodb-streams"`.
   */
  streamArn?: string;
  /**
   * Kinesis source: the table already streams to the stream, with
   * MICROSECOND precision, so the stack must not enable it. Default false:
   * the stack enables the streaming destination itself.
   */
  streamingEnabled?: boolean;
}

export type TableOptions = NewTableOptions | ExistingTableOptions;

/** A Kinesis data stream this stack creates; encrypted with KMS (the aws/kinesis key). */
export interface NewStreamOptions {
  name?: string;
  /** `on-demand` (default) or a number of shards. */
  shards?: "on-demand" | number;
  /** How long the stream keeps records, 24 (default) to 8760 hours. */
  retentionHours?: number;
}

export interface ExistingStreamOptions {
  /** ARN of a Kinesis data stream in the same account and Region. */
  existingArn: string;
}

export type StreamOptions = NewStreamOptions | ExistingStreamOptions;

export interface FunctionOptions {
  /**
   * `zip` (default): the esbuild bundle as a Node.js function.
   * `container`: the image built from lambda/Dockerfile, pushed to ECR by the
   * deployment (needs a Docker engine to deploy, not to synthesize).
   */
  package?: "zip" | "container";
  /** The bundle file (default: dist/lambda/index.mjs of this package, made by `npm run build:lambda`). */
  bundleFile?: string;
  /** Default 1024. */
  memoryMb?: number;
  /** Default 300; at least the sink's worst-case retry time plus a margin. */
  timeoutSeconds?: number;
  /** Default: unreserved. */
  reservedConcurrency?: number;
  /** `arm64` (default) or `x86_64`. */
  architecture?: "arm64" | "x86_64";
  /** Days the function's logs are kept; default 30. */
  logRetentionDays?: number;
  /** LOG_LEVEL of the function; default info. */
  logLevel?: "debug" | "info" | "warn" | "error";
}

export interface TargetOptions {
  /** The table to replicate into, e.g. `transactions` or `analytics.transactions`. */
  table: string;
  /**
   * ARN of an existing Secrets Manager secret holding the sink URL (or the
   * database JSON). Default: the stack creates an empty secret for you to fill
   * (its ARN is a stack output).
   */
  secretArn?: string;
  /** NUMBER_FORMAT of the function: `exact`, `double`, `double-strict` or `string`. */
  numbers?: "exact" | "double" | "double-strict" | "string";
  /** SINK_TIMEOUT_MS: limit for connecting and for each statement; default 10000. */
  sinkTimeoutMs?: number;
  /** SINK_RETRY_ATTEMPTS: attempts per write; default 6. */
  sinkRetryAttempts?: number;
  /**
   * SINK_REFRESH_INTERVAL_MS: the refresh_interval of the tables the function
   * creates, in ms (CrateDB's default 1000): rows show in queries sooner, at a
   * cost in write throughput. 1 to 3,600,000.
   */
  refreshIntervalMs?: number;
  /**
   * HISTORY: keep every change, once, in `<table>__history` beside the state
   * table (README, "The change history"). Default false.
   */
  history?: boolean;
  /** HISTORY_PARTITION: CrateDB partitions the history table by `month` (default) or `day`. */
  historyPartition?: "month" | "day";
}

export type StartingPosition = "trim-horizon" | "latest" | { timestamp: string };

export interface MappingOptions {
  /** Default 1000 (Kinesis up to 10,000; DynamoDB Streams up to 1,000). */
  batchSize?: number;
  /** Seconds to gather a batch, 0-300; default 1. */
  batchingWindowSeconds?: number;
  /** Concurrent batches per shard, 1-10; default 1. Each key's changes stay in order. */
  parallelizationFactor?: number;
  /** Retries of a failing batch, 0-10000; default 10 (never -1: one poison record would block the shard). */
  retryAttempts?: number;
  /** Records older than this are sent to the on-failure queue; 60-604800 s, default 86400. */
  maxRecordAgeSeconds?: number;
  /** Split a failing batch in two; default true. */
  bisectOnError?: boolean;
  /** Default trim-horizon: start from the oldest retained record. */
  startingPosition?: StartingPosition;
}

export interface DeadLetterOptions {
  /** Days the dead-letter and on-failure queues keep messages, 1-14; default 14. */
  retentionDays?: number;
}

export interface AlarmOptions {
  /** ARN of an SNS topic every alarm notifies; default: alarms without actions. */
  topicArn?: string;
  /** Alarm when the oldest unprocessed record is older than this; default 600 s. */
  iteratorAgeSeconds?: number;
}

export interface DynamoDbToCrateDbProps {
  /** `kinesis` (default): Kinesis Data Streams for DynamoDB. `dynamodb-streams`: the table's own stream. */
  source?: "kinesis" | "dynamodb-streams";
  table: TableOptions;
  /** Kinesis only; default a new on-demand stream. */
  stream?: StreamOptions;
  function?: FunctionOptions;
  target: TargetOptions;
  mapping?: MappingOptions;
  deadLetters?: DeadLetterOptions;
  alarms?: AlarmOptions;
  /**
   * What `destroy` does with what holds data (the table, stream, queues,
   * secret, logs): `retain` (default) keeps them, `destroy` deletes them.
   */
  dataRemoval?: "retain" | "destroy";
}

export function isExistingTable(table: TableOptions): table is ExistingTableOptions {
  return "existing" in table && typeof table.existing === "string";
}

export function isExistingStream(stream: StreamOptions): stream is ExistingStreamOptions {
  return "existingArn" in stream && typeof stream.existingArn === "string";
}
