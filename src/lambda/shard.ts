// Which shard a batch came from, for logs: every batch of a Kinesis or
// DynamoDB Streams event source mapping comes from one shard.

export interface BatchSource {
  /** Kinesis: the shard id from the eventID (`shardId-000000000000:<sequence>`); DynamoDB Streams: the stream ARN (its records do not name the shard). */
  shard: string | undefined;
  eventSourceARN: string | undefined;
}

export function batchSource(event: unknown): BatchSource {
  const first = (event as { Records?: unknown[] } | null)?.Records?.[0] as
    | { eventID?: unknown; eventSourceARN?: unknown }
    | undefined;
  const arn = typeof first?.eventSourceARN === "string" ? first.eventSourceARN : undefined;
  const eventId = typeof first?.eventID === "string" ? first.eventID : "";
  const shardId = /^(shardId-[^:]+):/.exec(eventId)?.[1];
  return { shard: shardId ?? arn, eventSourceARN: arn };
}
