// Checks that a local service is really gone: nothing answers on its port and
// no process is left whose command line or environment names it (Linux /proc).

import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";

/** Resolves with the error code of a TCP connect to 127.0.0.1:port ("connected" if something listens). */
export function probePort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Pids of live processes whose NUL-separated command line or environment contains `needle`. */
export function processesWith(needle: string, file: "cmdline" | "environ"): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const text = readFileSync(`/proc/${entry}/${file}`, "latin1");
      if (text.includes(needle)) pids.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return pids;
}

/** What is left of the three local services on these ports: empty when all are gone. */
export async function leftovers(ports: { dynamodb: number; kinesis: number; postgres?: number }) {
  const left: string[] = [];
  const check = async (name: string, port: number, needle: string, file: "cmdline" | "environ") => {
    const answer = await probePort(port);
    if (answer !== "ECONNREFUSED") left.push(`${name} port ${port}: ${answer}`);
    if (process.platform !== "linux") return;
    const pids = processesWith(needle, file);
    if (pids.length > 0) left.push(`${name} processes ${pids.join(", ")}`);
  };
  await check("DynamoDB Local", ports.dynamodb, `\0-port\0${ports.dynamodb}\0`, "cmdline");
  await check(
    "kinesis-mock",
    ports.kinesis,
    `KINESIS_MOCK_PLAIN_PORT=${ports.kinesis}\0`,
    "environ",
  );
  if (ports.postgres !== undefined)
    await check("PostgreSQL", ports.postgres, `\0-p\0${ports.postgres}\0`, "cmdline");
  return left;
}
