// The emulators of one end-to-end test file (DynamoDB Local and the Kinesis
// emulator, started once per file), and a fresh table + Kinesis stream +
// bridge for each test, so tests of a file never see each other's changes.

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { type Bridge, type BridgeOptions, startBridge } from "../../src/local/bridge/bridge.ts";
import {
  localDynamoDbClient,
  localKinesisClient,
  localStreamsClient,
} from "../../src/local/services/aws-clients.ts";
import { type LocalDynamoDb, startDynamoDbLocal } from "../../src/local/services/dynamodb-local.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream, createStreamingTable } from "../../src/local/services/provision.ts";

export interface Emulators {
  dynamo: LocalDynamoDb;
  kinesis: LocalKinesis;
  clients: { dynamodb: DynamoDBClient; streams: DynamoDBStreamsClient; kinesis: KinesisClient };
  stop(): Promise<void>;
}

export async function startEmulators(): Promise<Emulators> {
  const [dynamo, kinesis] = await Promise.all([startDynamoDbLocal(), startKinesisLocal()]);
  const clients = {
    dynamodb: localDynamoDbClient(dynamo.endpoint),
    streams: localStreamsClient(dynamo.endpoint),
    kinesis: localKinesisClient(kinesis.endpoint),
  };
  return {
    dynamo,
    kinesis,
    clients,
    async stop() {
      for (const client of Object.values(clients)) client.destroy();
      await Promise.all([dynamo.stop(), kinesis.stop()]);
    },
  };
}

export interface Pipe {
  tableName: string;
  streamName: string;
  keySchema: KeySchema;
  bridge: Bridge;
}

let counter = 0;

/** A new streaming table, a Kinesis stream of `shards` shards, and a bridge between them. */
export async function openPipe(
  emulators: Emulators,
  keySchema: KeySchema,
  options: { shards?: number; bridge?: Partial<BridgeOptions> } = {},
): Promise<Pipe> {
  const tableName = `e2e_${process.pid}_${++counter}`;
  const streamName = `${tableName}-changes`;
  await Promise.all([
    createStreamingTable(emulators.clients.dynamodb, tableName, keySchema),
    createKinesisStream(emulators.clients.kinesis, streamName, options.shards ?? 2),
  ]);
  const bridge = startBridge({
    ...emulators.clients,
    table: tableName,
    stream: streamName,
    onError: (error) => console.warn(`bridge ${tableName}:`, error),
    ...options.bridge,
  });
  return { tableName, streamName, keySchema, bridge };
}

export interface RawRecord {
  shard: string;
  partitionKey: string;
  // biome-ignore lint/suspicious/noExplicitAny: a decoded record, inspected field by field by the test
  data: any;
}

/** Every record on a Kinesis stream, shard by shard, decoded. */
export async function readKinesisStream(
  emulators: Emulators,
  streamName: string,
): Promise<RawRecord[]> {
  const { kinesis } = emulators.clients;
  const out: RawRecord[] = [];
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of Shards) {
    let { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    );
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      for (const r of page.Records ?? [])
        out.push({
          shard: shard.ShardId as string,
          partitionKey: r.PartitionKey as string,
          data: JSON.parse(new TextDecoder().decode(r.Data)),
        });
      if (!page.Records?.length) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return out;
}
