// The in-memory Kinesis API in a process of its own, so that serving
// GetRecords does not take CPU time from the relay being measured (a real
// Kinesis runs elsewhere too). Prints its endpoint, then serves until killed.

import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { startMemoryKinesis } from "./memory-kinesis.ts";

// Run as `... memory-kinesis-process.ts serve`; imported, it only exports the starter.
if (process.argv[2] === "serve") {
  const memory = await startMemoryKinesis();
  process.stdout.write(`${memory.endpoint}\n`);
}

/** Starts the server in a child process; `stop` kills it. */
export async function startMemoryKinesisProcess(): Promise<{
  endpoint: string;
  stop(): Promise<void>;
}> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", new URL(import.meta.url).pathname, "serve"],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  const lines = createInterface({ input: child.stdout });
  const endpoint = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) =>
      reject(new Error(`the in-memory Kinesis process exited (${code})`)),
    );
  });
  return {
    endpoint,
    async stop() {
      process.off("exit", killOnExit);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
