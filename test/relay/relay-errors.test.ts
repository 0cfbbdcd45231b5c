// The relay stops with a clear SourceError when the stream can not be read and
// waiting would not help, instead of retrying forever; a real Kinesis emulator
// and PostgreSQL behind it.

import { PutRecordCommand } from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { SourceError } from "../../src/errors.ts";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { CheckpointStore } from "../../src/relay/checkpoint-store.ts";
import { runRelay } from "../../src/relay/relay.ts";
import { Router } from "../../src/routing/router.ts";
import { CLI_NAMES } from "../../src/routing/table-routes.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { kinesisAndPostgres } from "../support/kinesis-and-postgres.ts";

const env = kinesisAndPostgres();

describe("relay errors", () => {
  it("a stream that does not exist: SourceError naming it, at once", async () => {
    const client = localKinesisClient(env.kinesis.endpoint);
    const pipeline = new ApplyPipeline(env.target.sink, { table: env.target.table("missing") });
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
    const client = localKinesisClient(env.kinesis.endpoint);
    await createKinesisStream(client, "reused", 1);
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
    const table = env.target.table("reused");
    const pipeline = new ApplyPipeline(env.target.sink, { table });
    await pipeline.apply(sourceRecords(record));
    await new CheckpointStore(env.target.sink, source.id, table).save(shard?.id as string, {
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

  it("a Kinesis record whose data is not UTF-8 fails alone, named, its bytes kept", async () => {
    const client = localKinesisClient(env.kinesis.endpoint);
    await createKinesisStream(client, "latin1", 1);
    const texts = ["a", "b", "c"].map((id, i) =>
      JSON.stringify(
        kinesisDynamoRecord({ keys: { id: { S: id } }, millis: 1_720_000_000_000 + i }),
      ),
    );
    // Record b as Latin-1 would write "bé": the byte 0xe9, which starts no UTF-8 sequence.
    const bad = Buffer.from((texts[1] as string).replaceAll('"b"', '"b\u00e9"'), "latin1");
    for (const data of [Buffer.from(texts[0] as string), bad, Buffer.from(texts[2] as string)]) {
      await client.send(
        new PutRecordCommand({ StreamName: "latin1", PartitionKey: "k", Data: data }),
      );
    }
    const source = new KinesisSource(client, "latin1");
    const [shard] = await source.listShards();
    const iterator = await source.iterator(shard?.id as string, { type: "trim-horizon" });
    const { records } = await source.read(iterator as string, 10);
    expect(records).toHaveLength(3);
    const table = env.target.table("latin1");
    const result = await new ApplyPipeline(env.target.sink, { table }).apply(records);
    expect(result.applied).toBe(2);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]).toMatchObject({
      index: 1,
      permanent: true,
      position: records[1]?.position,
      payload: bad.toString("base64"),
    });
    expect(result.failed[0]?.error.message).toBe(
      `record at ${records[1]?.position}, field Data: is not UTF-8 text (byte 0xe9 at offset ${bad.indexOf(0xe9)} starts no valid UTF-8 sequence)`,
    );
    expect([...(await env.target.live(table)).keys()].sort()).toEqual(["a", "c"]);
    client.destroy();
  });
  it("a --table-map that places none of the first batch's tables: stops before any checkpoint, naming the tables and the map", async () => {
    const client = localKinesisClient(env.kinesis.endpoint);
    await createKinesisStream(client, "mistyped", 1);
    for (const [i, tableName] of ["Forum", "Forum", "Thread"].entries()) {
      const record = kinesisDynamoRecord({
        keys: { id: { S: `k${i}` } },
        tableName,
        millis: 1_720_000_000_000 + i,
      });
      await client.send(
        new PutRecordCommand({
          StreamName: "mistyped",
          PartitionKey: `k${i}`,
          Data: Buffer.from(JSON.stringify(record)),
        }),
      );
    }
    const source = new KinesisSource(client, "mistyped");
    const forum = env.target.table("forum_map");
    const routes = { map: new Map([["Froum", forum]]), names: CLI_NAMES };
    const deadLettered: unknown[] = [];
    const run = runRelay({
      source,
      pipeline: new Router(env.target.sink, { routes }),
      from: { type: "trim-horizon" },
      deadLetter: async (failures) => {
        deadLettered.push(...failures);
      },
    });
    await expect(run).rejects.toThrow(
      new RegExp(
        "^the first batch of kinesis://mistyped \\(shard \\S+, 3 records\\) holds tables Forum, Thread, " +
          `and --table-map Froum=${forum.name} places none of them: ` +
          `--table-map does not map Forum; did you mean Forum=${forum.name} \\(it says Froum\\)\\?; ` +
          "--table-map does not map Thread\\. Nothing was written and no checkpoint moved",
      ),
    );
    expect(deadLettered).toEqual([]);
    expect((await new CheckpointStore(env.target.sink, source.id, forum).load()).size).toBe(0);
    client.destroy();
  });
});
