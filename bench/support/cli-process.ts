// Runs `dynacrate <command>` in its own process, as users run it, against the
// local stack's services, and measures it: wall time, output, exit status and
// peak resident memory (VmHWM, read from /proc while it runs).

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { LOCAL_AWS_ENV } from "../../src/local/services/stack.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  seconds: number;
  stdout: string;
  stderr: string;
  peakMb: number;
}

/**
 * Runs `dynacrate <args>`; throws, with its error output, when it exits with
 * a status other than those in `expect` (default: 0).
 */
export async function runCli(
  args: string[],
  options: { env?: Record<string, string>; expect?: number[] } = {},
): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ["bin/dynacrate.js", ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...LOCAL_AWS_ENV,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c;
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c;
  });
  let peakKb = 0;
  // VmHWM is the process's peak resident set so far; polled until it exits.
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // exited
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  clearInterval(poll);
  if (!(options.expect ?? [0]).includes(code as number))
    throw new Error(`dynacrate ${args[0]} exited ${code}: ${stderr}\n${stdout}`);
  return {
    code,
    seconds: (performance.now() - started) / 1000,
    stdout,
    stderr,
    peakMb: peakKb / 1024,
  };
}
