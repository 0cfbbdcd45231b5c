// A throwaway two-node CrateDB cluster for the node-loss tests, started with
// the start script of ../shared/cratedb (beside the repository, or the one
// CRATEDB_START names; .ci/run sets it), since those tests kill and stop nodes
// and can not share a cluster with the other suites.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CrateDbCluster {
  /** Each node's HTTP URL, in the order of `pids` (node1, node2, ...). */
  urls: string[];
  pids: number[];
  home: string;
  stop(): Promise<void>;
}

/** The start script to use, or why there is none. */
export function clusterStartScript(): { script: string } | { reason: string } {
  const named = process.env.CRATEDB_START;
  if (named) {
    return existsSync(named)
      ? { script: named }
      : { reason: `CRATEDB_START names ${named}, which does not exist` };
  }
  const beside = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/cratedb/start");
  if (existsSync(beside)) return { script: beside };
  return {
    reason:
      "no CrateDB start script: neither CRATEDB_START nor ../shared/cratedb/start beside the repository " +
      "(a two-node cluster is started for these tests; .ci/run provides it)",
  };
}

/** Starts `nodes` nodes at a 512 MB heap each; about 20 s for two. */
export async function startCluster(script: string, nodes = 2): Promise<CrateDbCluster> {
  const { stdout } = await run(script, [], {
    env: { ...process.env, CRATEDB_NODES: String(nodes), CRATE_HEAP_SIZE: "512m" },
    timeout: 240_000,
  });
  // One line of shell assignments: NAME=value or NAME="value with spaces".
  const values = new Map<string, string>();
  for (const match of stdout.matchAll(/(\w+)=("([^"]*)"|\S+)/g))
    values.set(match[1] as string, match[3] ?? (match[2] as string));
  const home = values.get("CRATEDB_HOME");
  const urls = values.get("CRATEDB_URLS")?.split(",") ?? [];
  const pids = (values.get("CRATEDB_PID") ?? "").split(" ").filter(Boolean).map(Number);
  if (!home || urls.length !== nodes || pids.length !== nodes)
    throw new Error(`the CrateDB start script printed no ${nodes}-node cluster: ${stdout}`);
  return {
    urls,
    pids,
    home,
    async stop() {
      // A node left stopped (SIGSTOP) would outlive its SIGTERM.
      for (const pid of pids) signal(pid, "SIGCONT");
      await run(resolve(dirname(script), "stop"), [home], { timeout: 60_000 }).catch(() => {});
    },
  };
}

/** Sends a signal to a node's process; a process already gone is fine. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
