// A local server run as a child process (DynamoDB Local, the Kinesis
// emulator): its output kept for error messages, killed on stop and when this
// process exits, and waited for until it answers.

import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { pause } from "../../sink/retry.ts";

export interface ChildServer {
  /** The last 16 KB of the child's stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

export interface ReadyCheck {
  /** Resolves once the server answers (bounded per attempt by `signal`). */
  probe(signal: AbortSignal): Promise<unknown>;
  timeoutMs: number;
  pollMs: number;
  /** Builds the launcher's own error class from a message and the child's output. */
  fail(message: string, output: string): Error;
  /** Why the child may have exited early, for the message (e.g. "are ports 1 and 2 free?"). */
  exitHint: string;
  /** What was started, for messages ("DynamoDB Local"). */
  what: string;
  /** The request the probe makes, for messages ("ListTables on http://..."). */
  probeName: string;
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Watches a freshly spawned server and waits until it answers; on failure it is stopped. */
export async function superviseChild(child: ChildProcess, ready: ReadyCheck): Promise<ChildServer> {
  let text = "";
  const append = (chunk: Buffer) => {
    text = (text + chunk.toString("utf8")).slice(-16_384);
  };
  for (const stream of [child.stdout, child.stderr]) {
    // Drained so the child never blocks on a full pipe.
    stream?.on("data", append);
    // Pipes are handles too; without this they would keep Node alive.
    (stream as Socket | null)?.unref();
  }
  const output = () => text;

  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  // A child that failed to spawn emits 'error' and never 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  const killOnExit = () => {
    if (isRunning(child)) child.kill("SIGKILL");
  };
  process.on("exit", killOnExit);

  const stop = async () => {
    if (isRunning(child)) {
      // Waiting for the exit event needs a referenced handle, or Node may quit mid-stop.
      child.ref();
      // Both servers keep their data in memory: there is nothing to shut down cleanly.
      child.kill("SIGKILL");
      await exited;
    }
    process.off("exit", killOnExit);
  };

  const deadline = Date.now() + ready.timeoutMs;
  try {
    for (;;) {
      if (spawnError !== undefined) {
        throw ready.fail(`Could not start ${ready.what}: ${spawnError.message}`, output());
      }
      if (!isRunning(child)) {
        throw ready.fail(
          `${ready.what} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}); ${ready.exitHint}`,
          output(),
        );
      }
      try {
        // Bounded per attempt: whatever holds the port may accept and never answer.
        await ready.probe(AbortSignal.timeout(2_000));
        break;
      } catch {
        if (Date.now() > deadline) {
          throw ready.fail(
            `${ready.what} did not answer ${ready.probeName} within ${ready.timeoutMs} ms`,
            output(),
          );
        }
        await pause(ready.pollMs);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  // Nothing else should keep Node alive for the server's sake; the exit hook kills it.
  child.unref();
  return { output, stop };
}
