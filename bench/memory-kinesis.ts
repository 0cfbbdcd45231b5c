// A minimal Kinesis Data Streams API server that keeps its streams in memory,
// for benchmarks of the relay. kinesis-mock (kinesis-local.ts) is the
// faithful emulator for tests, but it slows down with every record it holds:
// on this machine, queuing 20,000 records of 1.2 KB took two minutes, and
// reads run at about 1,300 records/s, so a relay benchmark against it
// measures kinesis-mock. This server speaks the same wire protocol
// (JSON 1.1 over HTTP: the AWS SDK and KinesisSource are exercised as in
// production) for the operations a producer and the relay use, and nothing else:
// CreateStream, DescribeStreamSummary, ListShards, PutRecord(s),
// GetShardIterator, GetRecords. No limits, no retention, no resharding.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from "node:http2";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";

export interface MemoryKinesis {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

interface StoredRecord {
  SequenceNumber: string;
  ApproximateArrivalTimestamp: number;
  /** Base64, as received: stored and returned without decoding. */
  Data: string;
  PartitionKey: string;
}

interface Shard {
  id: string;
  start: bigint;
  end: bigint;
  records: StoredRecord[];
}

/** How a request names its stream. */
type StreamRef = { StreamName?: string; StreamARN?: string };

const HASH_SPACE = 2n ** 128n;
const ACCOUNT = "000000000000";

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startMemoryKinesis(region = "us-east-1"): Promise<MemoryKinesis> {
  const streams = new Map<string, { created: number; shards: Shard[] }>();

  const stream = (body: StreamRef) => {
    const name = body.StreamName ?? body.StreamARN?.split("/").at(-1) ?? "";
    const found = streams.get(name);
    if (!found) throw new ApiError("ResourceNotFoundException", `Stream ${name} not found`);
    return { name, ...found };
  };
  const shardOf = (shards: Shard[], partitionKey: string) => {
    const hash = BigInt(`0x${createHash("md5").update(partitionKey).digest("hex")}`);
    return shards.find((s) => hash >= s.start && hash <= s.end) as Shard;
  };
  // Sequence numbers: the shard's number, then the record's index in 20 digits, so they sort and say where they are.
  const sequence = (shardIndex: number, index: number) =>
    `${shardIndex + 1}${String(index).padStart(20, "0")}`;
  const indexOf = (seq: string) => Number(seq.slice(-20));
  const iterator = (name: string, shard: number, index: number) =>
    Buffer.from(JSON.stringify([name, shard, index])).toString("base64");

  const put = (body: StreamRef, entry: { Data: string; PartitionKey: string }) => {
    const { shards } = stream(body);
    const shard = shardOf(shards, entry.PartitionKey);
    const at = shards.indexOf(shard);
    const seq = sequence(at, shard.records.length);
    shard.records.push({
      SequenceNumber: seq,
      ApproximateArrivalTimestamp: Date.now() / 1000,
      Data: entry.Data,
      PartitionKey: entry.PartitionKey,
    });
    return { SequenceNumber: seq, ShardId: shard.id };
  };

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are JSON of the Kinesis API, checked where used
  const operations: Record<string, (body: any) => unknown> = {
    CreateStream(body: { StreamName: string; ShardCount?: number }) {
      const count = body.ShardCount ?? 1;
      const width = HASH_SPACE / BigInt(count);
      streams.set(body.StreamName, {
        created: Date.now() / 1000,
        shards: Array.from({ length: count }, (_, i) => ({
          id: `shardId-${String(i).padStart(12, "0")}`,
          start: width * BigInt(i),
          end: i === count - 1 ? HASH_SPACE - 1n : width * BigInt(i + 1) - 1n,
          records: [],
        })),
      });
      return {};
    },
    DescribeStreamSummary(body) {
      const s = stream(body);
      return {
        StreamDescriptionSummary: {
          StreamName: s.name,
          StreamARN: `arn:aws:kinesis:${region}:${ACCOUNT}:stream/${s.name}`,
          StreamStatus: "ACTIVE",
          RetentionPeriodHours: 24,
          StreamCreationTimestamp: s.created,
          EnhancedMonitoring: [],
          OpenShardCount: s.shards.length,
        },
      };
    },
    ListShards(body) {
      return {
        Shards: stream(body).shards.map((s) => ({
          ShardId: s.id,
          HashKeyRange: { StartingHashKey: String(s.start), EndingHashKey: String(s.end) },
          SequenceNumberRange: { StartingSequenceNumber: sequence(0, 0) },
        })),
      };
    },
    PutRecord: (body) => put(body, body),
    PutRecords(body: StreamRef & { Records: Array<{ Data: string; PartitionKey: string }> }) {
      return { FailedRecordCount: 0, Records: body.Records.map((entry) => put(body, entry)) };
    },
    GetShardIterator(
      body: StreamRef & {
        ShardId: string;
        ShardIteratorType: string;
        StartingSequenceNumber?: string;
      },
    ) {
      const s = stream(body);
      const at = s.shards.findIndex((shard) => shard.id === body.ShardId);
      const shard = s.shards[at];
      if (!shard)
        throw new ApiError("ResourceNotFoundException", `Shard ${body.ShardId} not found`);
      const start = {
        TRIM_HORIZON: 0,
        LATEST: shard.records.length,
        AT_SEQUENCE_NUMBER: indexOf(body.StartingSequenceNumber ?? "0"),
        AFTER_SEQUENCE_NUMBER: indexOf(body.StartingSequenceNumber ?? "0") + 1,
      }[body.ShardIteratorType];
      if (start === undefined)
        throw new ApiError(
          "InvalidArgumentException",
          `ShardIteratorType ${body.ShardIteratorType} is not supported here`,
        );
      return { ShardIterator: iterator(s.name, at, start) };
    },
    GetRecords(body: { ShardIterator: string; Limit?: number }) {
      const [name, at, index] = JSON.parse(
        Buffer.from(body.ShardIterator, "base64").toString(),
      ) as [string, number, number];
      const shard = stream({ StreamName: name }).shards[at] as Shard;
      const records = shard.records.slice(index, index + (body.Limit ?? 10_000));
      const next = index + records.length;
      const last = records.at(-1);
      return {
        Records: records,
        NextShardIterator: iterator(name, at, next),
        MillisBehindLatest:
          next >= shard.records.length || !last
            ? 0
            : Math.max(0, Date.now() - last.ApproximateArrivalTimestamp * 1000),
      };
    },
  };

  const handle = async (
    request: IncomingMessage | Http2ServerRequest,
    response: ServerResponse | Http2ServerResponse,
  ) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = operations[target.replace(/^Kinesis_20131202\./, "")];
    let status = 200;
    let answer: unknown;
    try {
      if (!operation)
        throw new ApiError("UnknownOperationException", `${target} is not served here`);
      answer = operation(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}"));
    } catch (error) {
      status = 400;
      answer =
        error instanceof ApiError
          ? { __type: error.type, message: error.message }
          : { __type: "InternalFailure", message: String(error) };
    }
    const text = JSON.stringify(answer);
    response.writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "content-length": Buffer.byteLength(text),
    });
    response.end(text);
  };

  const serve = (
    request: IncomingMessage | Http2ServerRequest,
    response: ServerResponse | Http2ServerResponse,
  ) => {
    handle(request, response).catch((error) => {
      response.writeHead(500).end(String(error));
    });
  };
  // HTTP/1.1 for the clients the project makes (NodeHttpHandler), and HTTP/2
  // without TLS for the SDK's default Kinesis client, which speaks only
  // HTTP/2 (as the Lambda function's own client does): one port, told apart
  // by the HTTP/2 connection preface.
  const http1 = createServer(serve);
  const http2 = createHttp2Server(serve);
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("readable", () => {
      const head = socket.read() as Buffer | null;
      if (head) socket.unshift(head);
      (head?.subarray(0, 3).toString() === "PRI" ? http2 : http1).emit("connection", socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        http1.close();
        http2.close();
        server.close(() => resolve());
      }),
  };
}
