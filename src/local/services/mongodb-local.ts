// Starts a local MongoDB server for tests, the local stack and benchmarks:
// mongo-java-server (Maven Central: de.bwaldvogel:mongo-java-server with its
// in-memory backend), since no MongoDB server installs on this machine. Its
// jars are fetched by Maven and its tiny launcher (mongodb-server/Launcher.java)
// compiled with the JDK, once, into node_modules/.cache (`npm run setup:mongodb`).
//
// What it does and does not do like MongoDB (checked with mongodb@6, see
// test/local/mongodb-server.test.ts): inserts and deletes arrive as real
// change events with cluster times and resume tokens, and resumeAfter /
// startAtOperationTime work; an update's documentKey holds the update itself
// and its fullDocument is looked up when the event is read (the change's
// `_id` then comes from it); a replaceOne arrives as "update"; watching a
// whole database yields nothing; sessions, transactions and operationTime
// are not offered.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import { superviseChild } from "./child-server.ts";
import { findOnPath } from "./dynamodb-local.ts";
import { freePort } from "./free-port.ts";

export interface LocalMongo {
  /** A connection string for the driver, e.g. "mongodb://127.0.0.1:41234/?directConnection=true". */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Why the local MongoDB server can not run here (no Java, no Maven, jars not fetched). */
export class MongoServerUnavailableError extends Error {
  override name = "MongoServerUnavailableError";
}

export class MongoServerStartError extends Error {
  override name = "MongoServerStartError";
  constructor(message: string, output: string) {
    super(
      output.trim() === ""
        ? message
        : `${message}\n--- mongo-java-server output ---\n${output.trim()}`,
    );
  }
}

const SERVER_DIR = fileURLToPath(new URL("./mongodb-server/", import.meta.url));

/** Where the jars and the compiled launcher are kept: beside the other tools' caches. */
function cacheDir(): string {
  const nodeModules = join(
    dirname(createRequire(import.meta.url).resolve("mongodb/package.json")),
    "..",
  );
  return join(nodeModules, ".cache", "dynacrate-mongodb-server");
}

/**
 * The launcher's class path, fetching and compiling it first when `install`
 * is set and it is missing. Throws MongoServerUnavailableError saying what is missing.
 */
export function mongoServerClasspath(options: { install?: boolean } = {}): string {
  const dir = cacheDir();
  const jars = join(dir, "jars");
  const classes = join(dir, "classes");
  const ready = () =>
    existsSync(join(classes, "Launcher.class")) &&
    existsSync(jars) &&
    readdirSync(jars).some((f) => f.startsWith("mongo-java-server-memory-backend"));
  if (!ready()) {
    if (!options.install)
      throw new MongoServerUnavailableError(
        `mongo-java-server is not installed in ${dir}: run npm run setup:mongodb (needs Java 17+ and Maven)`,
      );
    install(dir, jars, classes);
  }
  return [classes, join(jars, "*")].join(delimiter);
}

function install(dir: string, jars: string, classes: string): void {
  if (!findOnPath("java") || !findOnPath("javac"))
    throw new MongoServerUnavailableError(
      "the local MongoDB server needs a JDK 17+ (java and javac on PATH)",
    );
  const mvn = findOnPath("mvn");
  if (!mvn)
    throw new MongoServerUnavailableError("fetching mongo-java-server needs Maven (mvn on PATH)");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(classes, { recursive: true });
  const fetch = spawnSync(
    mvn,
    [
      "-q",
      "-B",
      "-f",
      join(SERVER_DIR, "pom.xml"),
      "dependency:copy-dependencies",
      `-DoutputDirectory=${jars}`,
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (fetch.status !== 0)
    throw new MongoServerUnavailableError(
      `Maven could not fetch mongo-java-server from Maven Central (exit ${fetch.status}): ${(fetch.stdout + fetch.stderr).trim().slice(-2000)}`,
    );
  const compile = spawnSync(
    "javac",
    ["-cp", join(jars, "*"), "-d", classes, join(SERVER_DIR, "Launcher.java")],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (compile.status !== 0)
    throw new MongoServerUnavailableError(`javac failed on the launcher: ${compile.stderr.trim()}`);
}

/** Starts mongo-java-server on a free loopback port and waits until it answers a ping. */
export async function startMongoServer(
  options: { port?: number; startTimeoutMs?: number } = {},
): Promise<LocalMongo> {
  const classpath = mongoServerClasspath();
  const java = findOnPath("java");
  if (!java)
    throw new MongoServerUnavailableError("the local MongoDB server needs Java 17+ on PATH");
  const port = options.port ?? (await freePort());
  const url = `mongodb://127.0.0.1:${port}/?directConnection=true`;
  // C1 only: starts about twice as fast, and a test's data is small.
  const child = spawn(
    java,
    [
      "-XX:TieredStopAtLevel=1",
      "-XX:-UsePerfData",
      "-cp",
      classpath,
      "Launcher",
      "127.0.0.1",
      String(port),
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const server = await superviseChild(child, {
    probe: async (signal) => {
      const client = new MongoClient(url, {
        serverSelectionTimeoutMS: 1000,
        connectTimeoutMS: 1000,
      });
      const close = () => void client.close().catch(() => {});
      signal.addEventListener("abort", close, { once: true });
      try {
        await client.db("admin").command({ ping: 1 });
      } finally {
        signal.removeEventListener("abort", close);
        await client.close().catch(() => {});
      }
    },
    timeoutMs: options.startTimeoutMs ?? 60_000,
    pollMs: 100,
    fail: (message, output) => new MongoServerStartError(message, output),
    exitHint: `it needs Java 17+ and a free port ${port}`,
    what: "mongo-java-server",
    probeName: `ping on ${url}`,
  });
  return { url, port, stop: server.stop };
}
