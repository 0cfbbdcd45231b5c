// Reads a table's DynamoDB stream: shards with their parents, iterators, and
// records in each item's order.

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  ShardIteratorType,
  TrimmedDataAccessException,
} from "@aws-sdk/client-dynamodb-streams";
import { ConfigError } from "../errors.ts";
import { describeTable } from "./dynamodb-scan.ts";
import {
  DYNAMODB_STREAMS_RETENTION_HOURS,
  ExpiredIteratorError,
  type ReadResult,
  type ShardInfo,
  type StartPosition,
  type StreamSource,
  TrimmedPositionError,
} from "./stream-source.ts";
import { wireStreamsRecord } from "./streams-record.ts";

export class DynamoDbStreamsSource implements StreamSource {
  readonly id: string;
  private streamArn: string | undefined;

  constructor(
    private readonly streams: DynamoDBStreamsClient,
    private readonly dynamodb: DynamoDBClient,
    /** A table name (its latest stream is read) or a stream ARN. */
    private readonly table: string,
  ) {
    this.id = `dynamodb-streams://${table}`;
    if (table.startsWith("arn:")) this.streamArn = table;
  }

  private async arn(): Promise<string> {
    if (!this.streamArn) {
      // A missing table is named with its region, as a load or verify names it.
      const table = await describeTable(this.dynamodb, this.table);
      if (!table.LatestStreamArn || !table.StreamSpecification?.StreamEnabled) {
        throw new ConfigError(
          `table ${this.table} has no DynamoDB stream: enable it with StreamViewType NEW_AND_OLD_IMAGES (or NEW_IMAGE)`,
        );
      }
      this.streamArn = table.LatestStreamArn;
    }
    return this.streamArn;
  }

  async sourceTables(): Promise<string[]> {
    // arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<time>
    const fromArn = /:table\/([^/]+)\/stream\//.exec(this.table)?.[1];
    return [fromArn ?? this.table];
  }

  async retentionHours(): Promise<number> {
    return DYNAMODB_STREAMS_RETENTION_HOURS;
  }

  async listShards(): Promise<ShardInfo[]> {
    const StreamArn = await this.arn();
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const out = await this.streams.send(
        new DescribeStreamCommand({ StreamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(out.StreamDescription?.Shards ?? []));
      start = out.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards.map((s) => ({
      id: s.ShardId as string,
      parentIds: s.ParentShardId ? [s.ParentShardId] : [],
    }));
  }

  async iterator(shardId: string, start: StartPosition): Promise<string | undefined> {
    if (start.type === "at-timestamp") {
      throw new ConfigError(
        "DynamoDB Streams can not start at a timestamp: use --from trim-horizon or latest",
      );
    }
    const out = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: await this.arn(),
        ShardId: shardId,
        ...(start.type === "after"
          ? {
              ShardIteratorType: ShardIteratorType.AFTER_SEQUENCE_NUMBER,
              SequenceNumber: start.sequence,
            }
          : {
              ShardIteratorType:
                start.type === "latest" ? ShardIteratorType.LATEST : ShardIteratorType.TRIM_HORIZON,
            }),
      }),
    );
    return out.ShardIterator;
  }

  async read(iterator: string, limit: number): Promise<ReadResult> {
    // Each record names its table as in a Lambda event, by the stream's ARN.
    const streamArn = await this.arn();
    try {
      const out = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 1000) }),
      );
      const records = (out.Records ?? []).map((r) => {
        const payload = wireStreamsRecord(r as unknown as Record<string, unknown>, streamArn);
        return { payload, position: r.dynamodb?.SequenceNumber };
      });
      const newest = out.Records?.at(-1)?.dynamodb?.ApproximateCreationDateTime;
      return {
        records,
        next: out.NextShardIterator,
        behindMs: newest ? Math.max(0, Date.now() - newest.getTime()) : undefined,
      };
    } catch (error) {
      if (error instanceof ExpiredIteratorException) throw new ExpiredIteratorError(error.message);
      if (error instanceof TrimmedDataAccessException)
        throw new TrimmedPositionError(error.message, { cause: error });
      throw error;
    }
  }
}
