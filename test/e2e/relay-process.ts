// `dynacrate relay` as a separate process (node bin/dynacrate.js), the way a
// user runs it, for the crash and shutdown tests: its batch log lines (JSON on
// stdout when not on a terminal), its stderr, and how it ended.

import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { LOCAL_AWS_ENV, LOCAL_REGION } from "../../src/local/services/stack.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface RelayProcess {
  child: ChildProcess;
  /** Records of the batch lines printed so far. */
  batches(): number[];
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The record count of the "relay stopped: N records" line, once it printed one. */
  stoppedRecords(): number | undefined;
}

export function spawnRelay(args: string[]): RelayProcess {
  return spawnCommand("relay", args);
}

/** Any dynacrate command as its own process (`load`, `relay`), read the same way. */
export function spawnCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): RelayProcess {
  const child = spawn(process.execPath, ["bin/dynacrate.js", command, ...args], {
    cwd: ROOT,
    // Dummy credentials and a region: the emulators check neither, the SDK wants both.
    env: {
      ...process.env,
      ...LOCAL_AWS_ENV,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // "close", not "exit": by then every line the process wrote has been read.
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    batches: () =>
      stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as { msg: string; records: number })
        .filter((line) => line.msg === "batch")
        .map((line) => line.records),
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    stoppedRecords: () => {
      const match = /relay stopped: (\d+) records/.exec(stderr);
      return match ? Number(match[1]) : undefined;
    },
  };
}

export async function waitFor(
  what: string,
  ready: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The arguments of a relay of a Kinesis emulator's stream into a target table, and `extra`. */
export function kinesisRelayArgs(
  stream: string,
  endpoint: string,
  target: string,
  table: string,
  extra: string[] = [],
): string[] {
  return [
    "--source",
    `kinesis://${stream}`,
    "--endpoint",
    endpoint,
    "--region",
    LOCAL_REGION,
    "--target",
    target,
    "--table",
    table,
    ...extra,
  ];
}
