// A DynamoDB Streams record turned into the record Kinesis Data Streams for
// DynamoDB would carry for the same change (docs/FACTS section 1): what the
// bridge puts on the local Kinesis stream and the relay benchmark queues.

import { createHash, randomUUID } from "node:crypto";

/** What DynamoDB's own TTL puts in `userIdentity` of the REMOVE records it causes. */
export const TTL_IDENTITY = { type: "Service", principalId: "dynamodb.amazonaws.com" } as const;

export interface KinesisChangeOptions {
  /** ApproximateCreationDateTime, in microseconds since the epoch. */
  micros: number;
  tableName: string;
  /** `awsRegion`; default the DynamoDB Streams record's own. */
  region?: string;
  /** `eventID`; default a fresh UUID (Kinesis records carry their own, not the stream's). */
  eventId?: string;
  /** Mark the change as a delete by DynamoDB's Time to Live. */
  ttlDelete?: boolean;
}

/**
 * The Kinesis Data Streams for DynamoDB record of a change, from its DynamoDB
 * Streams record in the JSON wire form (binary values as base64): no
 * SequenceNumber or StreamViewType, a `recordFormat`, the table's name, and a
 * timestamp in microseconds with its precision said.
 */
export function toKinesisChange(
  streamsRecord: Record<string, unknown>,
  options: KinesisChangeOptions,
): Record<string, unknown> {
  const d = (streamsRecord.dynamodb ?? {}) as Record<string, unknown>;
  return {
    awsRegion: options.region ?? streamsRecord.awsRegion,
    eventID: options.eventId ?? randomUUID(),
    eventName: streamsRecord.eventName,
    userIdentity: options.ttlDelete ? TTL_IDENTITY : (streamsRecord.userIdentity ?? null),
    recordFormat: "application/json",
    tableName: options.tableName,
    dynamodb: {
      ApproximateCreationDateTime: options.micros,
      Keys: d.Keys,
      ...(d.NewImage ? { NewImage: d.NewImage } : {}),
      ...(d.OldImage ? { OldImage: d.OldImage } : {}),
      SizeBytes: d.SizeBytes,
      ApproximateCreationDateTimePrecision: "MICROSECOND",
    },
    eventSource: "aws:dynamodb",
  };
}

/** Kinesis allows partition keys of 1 to 256 characters. */
const MAX_PARTITION_KEY = 256;

/**
 * The Kinesis partition key of an item: its key attributes as text, so every
 * change of one item lands on one shard. A key too long for Kinesis is hashed.
 */
export function partitionKeyOf(keys: unknown): string {
  const map = (keys ?? {}) as Record<string, Record<string, unknown>>;
  const text = Object.keys(map)
    .sort()
    .map((name) => {
      const av = map[name] ?? {};
      const type = Object.keys(av)[0] ?? "?";
      return `${name}=${String(av[type])}`;
    })
    .join("&");
  if (text.length >= 1 && text.length <= MAX_PARTITION_KEY) return text;
  return createHash("sha256").update(text).digest("hex");
}
