// The relay stops with a clear SourceError when the stream can not be read and
// waiting would not help, instead of retrying forever; a real Kinesis emulator
// and PostgreSQL behind it.

import { CreateStreamCommand, PutRecordCommand } from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { SourceError } from "../../src/errors.ts";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { CheckpointStore } from "../../src/relay/checkpoint-store.ts";
import { runRelay } from "../../src/relay/relay.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
let kinesis: LocalKinesis;
beforeAll(async () => {
  [target, kinesis] = await Promise.all([pgTarget(), startKinesisLocal()]);
});
afterAll(async () => {
  await Promise.all([target?.close(), kinesis?.stop()]);
});

describe("relay errors", () => {
  it("a stream that does not exist: SourceError naming it, at once", async () => {
    const client = localKinesisClient(kinesis.endpoint);
    const pipeline = new ApplyPipeline(target.sink, { table: target.table("missing") });
    const run = runRelay({
      source: new KinesisSource(client, "no-such-stream"),
      pipeline,
      from: { type: "trim-horizon" },
    });
    await expect(run).rejects.toBeInstanceOf(SourceError);
    await expect(run).rejects.toThrow(/ResourceNotFoundException.*no-such-stream/);
    client.destroy();
  });

  it("a checkpoint the stream does not have: SourceError, not an endless retry", async () => {
    const client = localKinesisClient(kinesis.endpoint);
    await client.send(new CreateStreamCommand({ StreamName: "reused", ShardCount: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const record = kinesisDynamoRecord({ keys: { id: { S: "a" } } });
    await client.send(
      new PutRecordCommand({
        StreamName: "reused",
        PartitionKey: "a",
        Data: Buffer.from(JSON.stringify(record)),
      }),
    );
    const source = new KinesisSource(client, "reused");
    const [shard] = await source.listShards();
    // A checkpoint left by an earlier stream of the same name, far beyond this
    // one's records, beside the rows that stream wrote.
    const table = target.table("reused");
    const pipeline = new ApplyPipeline(target.sink, { table });
    await pipeline.apply(sourceRecords(record));
    await new CheckpointStore(target.sink, source.id, table).save(shard?.id as string, {
      position: "99999999999999999999999999999999999999999999999999999999",
      finished: false,
    });
    const retries: unknown[] = [];
    const run = runRelay({
      source,
      pipeline,
      from: { type: "trim-horizon" },
      onRetry: (_shard, error) => retries.push(error),
    });
    await expect(run).rejects.toBeInstanceOf(SourceError);
    expect(retries).toEqual([]);
    client.destroy();
  });
});
