// Factories for change records and Lambda events in the shapes AWS documents,
// shared by the codec, Lambda handler and pipeline tests. Every default is
// deterministic (counters, fixed times), so a failing test prints the same
// records on every run.
//
// Shapes (see /work/shared/FACTS.md section 1):
// - Kinesis Data Streams for DynamoDB: one JSON record per Kinesis record, with
//   `tableName`, `recordFormat`, `userIdentity` and a `dynamodb` block stamped in
//   milliseconds or microseconds (`ApproximateCreationDateTimePrecision`).
// - DynamoDB Streams (Lambda shape): `eventSourceARN`, `eventVersion`, and a
//   `dynamodb` block stamped in whole epoch seconds, ordered by `SequenceNumber`.
// - Lambda Kinesis event: each record's JSON travels base64-encoded in
//   `kinesis.data`, with the Kinesis sequence number beside it.

import { createHash } from "node:crypto";
import type {
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
} from "aws-lambda";
import type { AttributeMap } from "../../src/codec/types.ts";

export type EventName = "INSERT" | "MODIFY" | "REMOVE";
export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";

/** 2024-07-12T00:03:53.012Z: the default change time, in milliseconds. */
export const BASE_MILLIS = 1_720_742_633_012;
export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";
export const TABLE = "foo";

/** What both record shapes have in common. */
export interface ChangeSpec {
  /** Default INSERT. */
  eventName?: EventName;
  /** The item's key attributes (`Keys`). Required: every change names its item. */
  keys: AttributeMap;
  /**
   * The item after the change. Default for INSERT and MODIFY: the keys alone
   * (the smallest valid image); for REMOVE: none. `null` leaves it out, as a
   * KEYS_ONLY or OLD_IMAGE stream does.
   */
  newImage?: AttributeMap | null;
  /** The item before the change; left out unless given. */
  oldImage?: AttributeMap | null;
  /** Default: a fresh, deterministic id. */
  eventID?: string;
  /** A delete by DynamoDB's Time to Live: `userIdentity` of the DynamoDB service. */
  ttl?: boolean;
  /** DynamoDB table name (Kinesis records carry it; it is also in the stream ARN). Default `foo`. */
  tableName?: string;
}

export interface KinesisDynamoSpec extends ChangeSpec {
  /** The change time in microseconds; sets precision MICROSECOND unless `precision` says otherwise. */
  micros?: number;
  /** The change time in milliseconds (the default, BASE_MILLIS); precision MILLISECOND. */
  millis?: number;
  /** The precision field; `null` leaves it out (readers then infer it from the digits). */
  precision?: "MILLISECOND" | "MICROSECOND" | null;
}

export interface StreamsSpec extends ChangeSpec {
  /** Default: the next of an increasing series of 28-digit sequence numbers. */
  sequenceNumber?: string;
  /** ApproximateCreationDateTime, whole epoch seconds. Default: BASE_MILLIS in seconds. */
  seconds?: number;
  /** Default NEW_AND_OLD_IMAGES. Only labels the record: images are what `newImage`/`oldImage` say. */
  streamViewType?: StreamViewType;
  /** Default: a stream ARN of `tableName`. */
  eventSourceARN?: string;
}

/** The Kinesis Data Streams for DynamoDB record (what `kinesis.data` decodes to). */
export interface KinesisDynamoRecord {
  awsRegion: string;
  eventID: string;
  eventName: EventName;
  userIdentity: { type: string; principalId: string } | null;
  recordFormat: "application/json";
  tableName: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SizeBytes: number;
    ApproximateCreationDateTimePrecision?: "MILLISECOND" | "MICROSECOND";
  };
  eventSource: "aws:dynamodb";
}

/** A DynamoDB Streams record as Lambda delivers it. */
export interface StreamsRecord {
  eventID: string;
  eventName: EventName;
  eventVersion: "1.1";
  eventSource: "aws:dynamodb";
  awsRegion: string;
  eventSourceARN: string;
  userIdentity?: { type: string; principalId: string };
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: StreamViewType;
  };
}

/** The identity DynamoDB puts on Time to Live deletes. */
export const TTL_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" } as const;

let eventCounter = 0;
let streamsSequence = 4_421_584_500_000_000_000_000_000_000n;

/** A fresh UUID-shaped event id (Kinesis for DynamoDB uses UUIDs). */
export function nextEventId(): string {
  eventCounter++;
  return `00000000-0000-4000-8000-${String(eventCounter).padStart(12, "0")}`;
}

function images(spec: ChangeSpec): { NewImage?: AttributeMap; OldImage?: AttributeMap } {
  const operation = spec.eventName ?? "INSERT";
  const out: { NewImage?: AttributeMap; OldImage?: AttributeMap } = {};
  const newImage =
    spec.newImage === undefined
      ? operation === "REMOVE"
        ? null
        : { ...spec.keys }
      : spec.newImage;
  if (newImage) out.NewImage = newImage;
  if (spec.oldImage) out.OldImage = spec.oldImage;
  return out;
}

// DynamoDB counts attribute names and values; the JSON length is a fair stand-in.
function sizeBytes(
  keys: AttributeMap,
  imgs: { NewImage?: AttributeMap; OldImage?: AttributeMap },
): number {
  return JSON.stringify(keys).length + JSON.stringify(imgs).length;
}

/** A Kinesis Data Streams for DynamoDB record. */
export function kinesisDynamoRecord(spec: KinesisDynamoSpec): KinesisDynamoRecord {
  let time: number;
  let precision: "MILLISECOND" | "MICROSECOND" | undefined;
  if (spec.micros !== undefined) {
    time = spec.micros;
    precision = "MICROSECOND";
  } else {
    time = spec.millis ?? BASE_MILLIS;
    precision = "MILLISECOND";
  }
  if (spec.precision !== undefined) precision = spec.precision ?? undefined;
  const imgs = images(spec);
  return {
    awsRegion: REGION,
    eventID: spec.eventID ?? nextEventId(),
    eventName: spec.eventName ?? "INSERT",
    userIdentity: spec.ttl ? { ...TTL_IDENTITY } : null,
    recordFormat: "application/json",
    tableName: spec.tableName ?? TABLE,
    dynamodb: {
      ApproximateCreationDateTime: time,
      Keys: spec.keys,
      ...imgs,
      SizeBytes: sizeBytes(spec.keys, imgs),
      ...(precision ? { ApproximateCreationDateTimePrecision: precision } : {}),
    },
    eventSource: "aws:dynamodb",
  };
}

/** The ARN of a table's DynamoDB stream. */
export function streamArn(tableName = TABLE): string {
  return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${tableName}/stream/2024-07-12T00:00:00.000`;
}

/** The next of an increasing series of DynamoDB Streams sequence numbers (28 digits). */
export function nextStreamsSequence(): string {
  streamsSequence += 100n;
  return String(streamsSequence);
}

/** A DynamoDB Streams record in the shape Lambda delivers (timestamp in epoch seconds). */
export function streamsRecord(spec: StreamsSpec): StreamsRecord {
  const imgs = images(spec);
  eventCounter++;
  return {
    eventID: spec.eventID ?? createHash("md5").update(`streams-${eventCounter}`).digest("hex"),
    eventName: spec.eventName ?? "INSERT",
    eventVersion: "1.1",
    eventSource: "aws:dynamodb",
    awsRegion: REGION,
    eventSourceARN: spec.eventSourceARN ?? streamArn(spec.tableName),
    ...(spec.ttl ? { userIdentity: { ...TTL_IDENTITY } } : {}),
    dynamodb: {
      ApproximateCreationDateTime: spec.seconds ?? Math.floor(BASE_MILLIS / 1000),
      Keys: spec.keys,
      ...imgs,
      SequenceNumber: spec.sequenceNumber ?? nextStreamsSequence(),
      SizeBytes: sizeBytes(spec.keys, imgs),
      StreamViewType: spec.streamViewType ?? "NEW_AND_OLD_IMAGES",
    },
  };
}

export interface KinesisEventOptions {
  /** Default `shardId-000000000000`. */
  shardId?: string;
  /** The first record's Kinesis sequence number (a decimal string); each next one is greater. */
  firstSequence?: string;
  /** Default: the ARN of a stream named `dynacrate-test`. */
  eventSourceARN?: string;
  /** Arrival time of the first record, epoch seconds; default BASE_MILLIS / 1000. */
  arrivalSeconds?: number;
}

/** A Kinesis sequence number as Kinesis writes them (56 digits). */
export const FIRST_KINESIS_SEQUENCE = "49590338271490256608559692538361571095921575989136588898";

/**
 * A Lambda event from a Kinesis stream. Each record is JSON-encoded then
 * base64-encoded into `kinesis.data`; a string is taken as the record's raw
 * text (to test undecodable data). Sequence numbers increase from
 * `firstSequence`; `eventID` is `<shardId>:<sequenceNumber>` as Lambda writes it.
 */
export function lambdaKinesisEvent(
  records: unknown[],
  options: KinesisEventOptions = {},
): KinesisStreamEvent {
  const shardId = options.shardId ?? "shardId-000000000000";
  const arn =
    options.eventSourceARN ?? `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/dynacrate-test`;
  const first = BigInt(options.firstSequence ?? FIRST_KINESIS_SEQUENCE);
  const arrival = options.arrivalSeconds ?? BASE_MILLIS / 1000;
  return {
    Records: records.map((record, i): KinesisStreamRecord => {
      const text = typeof record === "string" ? record : JSON.stringify(record);
      const sequenceNumber = String(first + BigInt(i) * 1_000_000n);
      return {
        kinesis: {
          kinesisSchemaVersion: "1.0",
          partitionKey: partitionKeyOf(record),
          sequenceNumber,
          data: Buffer.from(text, "utf8").toString("base64"),
          approximateArrivalTimestamp: arrival + i * 0.001,
        },
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/dynacrate-lambda`,
        awsRegion: REGION,
        eventSourceARN: arn,
      };
    }),
  };
}

// Kinesis Data Streams for DynamoDB partitions by a hash of the item's key.
function partitionKeyOf(record: unknown): string {
  const keys = (record as { dynamodb?: { Keys?: unknown } } | null)?.dynamodb?.Keys;
  return createHash("md5")
    .update(JSON.stringify(keys ?? null))
    .digest("hex")
    .toUpperCase();
}

/** A Lambda event from a DynamoDB stream: the records as they are, under `Records`. */
export function lambdaStreamsEvent(records: Array<StreamsRecord | unknown>): DynamoDBStreamEvent {
  return { Records: records as DynamoDBRecord[] };
}

/** The item's key attributes, picked from an item by a key schema (for full-load style changes). */
export function keysOf(item: AttributeMap, keyNames: string[]): AttributeMap {
  const keys: AttributeMap = {};
  for (const name of keyNames) {
    const value = item[name];
    if (value !== undefined) keys[name] = value;
  }
  return keys;
}
