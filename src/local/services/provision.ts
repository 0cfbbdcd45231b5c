// Creates what the local pipeline needs in the emulators: a DynamoDB table
// with its stream (NEW_AND_OLD_IMAGES, the images Kinesis streaming sends) and
// a Kinesis stream with a given number of shards, each waited for until active.

import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type KeySchemaElement,
} from "@aws-sdk/client-dynamodb";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from "@aws-sdk/client-kinesis";
import type { KeySchema } from "../../codec/key-schema.ts";
import { LocalStackError } from "../../errors.ts";
import { pause } from "../../sink/retry.ts";

/**
 * Creates a table whose key is `keySchema` (partition key first, then sort
 * key) with its stream on, unless `stream` is false.
 */
export async function createStreamingTable(
  client: DynamoDBClient,
  tableName: string,
  keySchema: KeySchema,
  options: { stream?: boolean } = {},
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: keySchema.map((k) => ({
        AttributeName: k.name,
        AttributeType: k.type,
      })),
      KeySchema: keySchema.map(
        (k, i): KeySchemaElement => ({
          AttributeName: k.name,
          KeyType: i === 0 ? "HASH" : "RANGE",
        }),
      ),
      BillingMode: "PAY_PER_REQUEST",
      ...(options.stream === false
        ? {}
        : { StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" } }),
    }),
  );
  await waitFor(`table ${tableName} ACTIVE`, async () => {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return out.Table?.TableStatus === "ACTIVE";
  });
}

export async function createKinesisStream(
  client: KinesisClient,
  streamName: string,
  shards: number,
): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  await waitFor(`Kinesis stream ${streamName} ACTIVE`, async () => {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return out.StreamDescriptionSummary?.StreamStatus === "ACTIVE";
  });
}

async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new LocalStackError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(50);
  }
}
