// Starts kinesis-mock (the npm package kinesis-local, one JS file) as a separate Node process serving plain HTTP.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { localKinesisClient } from "./aws-clients.ts";
import { superviseChild } from "./child-server.ts";
import { freePort } from "./free-port.ts";

export interface LocalKinesis {
  /** Plain-HTTP endpoint, e.g. "http://127.0.0.1:41234". */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface KinesisLocalOptions {
  port?: number;
  /** Default region of the mock (streams are namespaced by the request's region). Default "us-east-1". */
  region?: string;
  /** How long CreateStream, DeleteStream, UpdateShardCount, ... stay in their transient status. Default "0ms" (the mock's own default is 500ms). */
  transitionDuration?: string;
  /** Default 30 s. */
  startTimeoutMs?: number;
}

export class KinesisLocalStartError extends Error {
  constructor(message: string, output: string) {
    super(
      output.trim() === "" ? message : `${message}\n--- kinesis-mock output ---\n${output.trim()}`,
    );
    this.name = "KinesisLocalStartError";
  }
}

// kinesis-mock reads these as Scala durations; each one delays a status change (e.g. CREATING -> ACTIVE).
const durationSettings = [
  "CREATE_STREAM_DURATION",
  "DELETE_STREAM_DURATION",
  "REGISTER_STREAM_CONSUMER_DURATION",
  "DEREGISTER_STREAM_CONSUMER_DURATION",
  "START_STREAM_ENCRYPTION_DURATION",
  "STOP_STREAM_ENCRYPTION_DURATION",
  "MERGE_SHARDS_DURATION",
  "SPLIT_SHARD_DURATION",
  "UPDATE_SHARD_COUNT_DURATION",
  "UPDATE_STREAM_MODE_DURATION",
];

/**
 * kinesis-mock always binds 0.0.0.0 and always opens a TLS port next to the plain one,
 * so both get a free port (its fixed defaults 4567/4568 would collide between parallel runs).
 * It is our direct child and spawns nothing, so killing its pid is enough; it stays in our
 * process group so a terminal Ctrl-C reaches it even if Node dies first.
 */
export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<LocalKinesis> {
  const packageDir = dirname(createRequire(import.meta.url).resolve("kinesis-local/package.json"));
  const port = options.port ?? (await freePort());
  const tlsPort = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const duration = options.transitionDuration ?? "0ms";

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(port),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    // Without it the mock looks for server.json in its working directory and fails to start.
    KINESIS_MOCK_CERT_PATH: join(packageDir, "server.json"),
    // Pinned so a developer's AWS_REGION / AWS_ACCOUNT_ID cannot change stream ARNs in tests.
    AWS_REGION: options.region ?? "us-east-1",
    AWS_ACCOUNT_ID: "000000000000",
    SHOULD_PERSIST_DATA: "false",
    LOAD_DATA_IF_EXISTS: "false",
    // The defaults (50 shards, 10 on-demand streams) are account-wide and run out in a long test run.
    SHARD_LIMIT: "10000",
    ON_DEMAND_STREAM_COUNT_LIMIT: "1000",
    LOG_LEVEL: "WARN",
  };
  for (const name of durationSettings) env[name] = duration;
  // The mock is a self-contained server: a parent's --inspect or --import hooks must not leak into it.
  delete env.NODE_OPTIONS;

  const child = spawn(process.execPath, [join(packageDir, "main.js")], {
    cwd: packageDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const client = localKinesisClient(endpoint, { maxAttempts: 1, region: options.region });
  try {
    const server = await superviseChild(child, {
      probe: (signal) => client.send(new ListStreamsCommand({ Limit: 1 }), { abortSignal: signal }),
      timeoutMs,
      pollMs: 50,
      fail: (message, output) => new KinesisLocalStartError(message, output),
      exitHint: `are ports ${port} and ${tlsPort} free?`,
      what: "kinesis-mock",
      probeName: `ListStreams on ${endpoint}`,
    });
    return { endpoint, port, stop: server.stop };
  } finally {
    client.destroy();
  }
}
