// `dynacrate load` as a separate process (node bin/dynacrate.js), the way a
// user runs it: its output, its exit status, and a handle to kill it.

import { type RelayProcess, spawnCommand } from "../e2e/relay-process.ts";

export function spawnLoad(args: string[], env: Record<string, string> = {}): RelayProcess {
  return spawnCommand("load", args, env);
}

/** Runs a load to its end. */
export async function runLoadProcess(args: string[], env: Record<string, string> = {}) {
  const load = spawnLoad(args, env);
  const { code } = await load.exited;
  return { code, stdout: load.stdout(), stderr: load.stderr() };
}

/** The `read N items` of a load's summary. */
export function itemsRead(stdout: string): number | undefined {
  const match = /read\s+(\d+) items/.exec(stdout);
  return match ? Number(match[1]) : undefined;
}
