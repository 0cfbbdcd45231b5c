// Reads a Kinesis data stream that DynamoDB writes its changes to (Kinesis
// Data Streams for DynamoDB): shards, iterators, and records whose data is the
// JSON change record.

import {
  DescribeStreamSummaryCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
  ShardIteratorType,
} from "@aws-sdk/client-kinesis";
import type { SourceRecord } from "../codec/source-record.ts";
import { TextRecord } from "../codec/text-record.ts";
import { notUtf8Reason, utf8Text } from "../codec/utf8.ts";
import { errorMessage } from "../error-text.ts";
import { RecordError } from "../errors.ts";
import {
  ExpiredIteratorError,
  type ReadResult,
  type ShardInfo,
  type StartPosition,
  type StreamSource,
} from "./stream-source.ts";

export class KinesisSource implements StreamSource {
  readonly id: string;
  private readonly stream: { StreamName: string } | { StreamARN: string };

  constructor(
    private readonly client: KinesisClient,
    stream: string,
  ) {
    this.stream = stream.startsWith("arn:") ? { StreamARN: stream } : { StreamName: stream };
    this.id = `kinesis://${stream}`;
  }

  /** Kinesis keeps records 24 hours to 365 days: DescribeStreamSummary says how long. */
  async retentionHours(): Promise<number> {
    const out = await this.client.send(new DescribeStreamSummaryCommand({ ...this.stream }));
    return out.StreamDescriptionSummary?.RetentionPeriodHours ?? 24;
  }

  async listShards(): Promise<ShardInfo[]> {
    const shards: Shard[] = [];
    let token: string | undefined;
    do {
      // With a NextToken, the stream must not be named again (Kinesis rule).
      const page = await this.client.send(
        new ListShardsCommand(token ? { NextToken: token } : { ...this.stream }),
      );
      shards.push(...(page.Shards ?? []));
      token = page.NextToken;
    } while (token);
    return shards.map((s) => ({
      id: s.ShardId as string,
      parentIds: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p),
    }));
  }

  async iterator(shardId: string, start: StartPosition): Promise<string | undefined> {
    const position =
      start.type === "after"
        ? {
            ShardIteratorType: ShardIteratorType.AFTER_SEQUENCE_NUMBER,
            StartingSequenceNumber: start.sequence,
          }
        : start.type === "at-timestamp"
          ? { ShardIteratorType: ShardIteratorType.AT_TIMESTAMP, Timestamp: start.timestamp }
          : {
              ShardIteratorType:
                start.type === "latest" ? ShardIteratorType.LATEST : ShardIteratorType.TRIM_HORIZON,
            };
    const out = await this.client.send(
      new GetShardIteratorCommand({ ...this.stream, ShardId: shardId, ...position }),
    );
    return out.ShardIterator;
  }

  async read(iterator: string, limit: number): Promise<ReadResult> {
    let out: GetRecordsCommandOutput;
    try {
      out = await this.client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 10_000) }),
      );
    } catch (error) {
      if (error instanceof ExpiredIteratorException) throw new ExpiredIteratorError(error.message);
      throw error;
    }
    const records: SourceRecord[] = (out.Records ?? []).map((r): SourceRecord => {
      const position = r.SequenceNumber;
      const data = r.Data ?? new Uint8Array(0);
      const text = utf8Text(data);
      if (text === undefined) {
        const ref = `at ${position}`;
        return {
          payload: Buffer.from(data).toString("base64"),
          position,
          error: new RecordError(ref, "Data", `is ${notUtf8Reason(data)}`),
        };
      }
      // The text goes to the codec's one-pass transcoder; JSON.parse runs only if it bails.
      return new TextRecord(
        text,
        { position },
        {
          decode: (text) => {
            try {
              return { payload: JSON.parse(text), position };
            } catch (error) {
              const ref = `at ${position}`;
              return {
                payload: r.Data ? Buffer.from(r.Data).toString("base64") : undefined,
                position,
                error: new RecordError(
                  ref,
                  "Data",
                  `is not a JSON change record (${errorMessage(error)})`,
                ),
              };
            }
          },
        },
      );
    });
    return { records, next: out.NextShardIterator, behindMs: out.MillisBehindLatest };
  }
}
