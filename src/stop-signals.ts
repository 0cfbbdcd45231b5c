// How a long-running process stops on SIGINT or SIGTERM, the one way every
// command and the local stack take them: the first one aborts a signal (the
// work in flight is finished, checkpoints and progress written) and is told;
// the same signal again gets Node's default and ends the process at once.

export interface SignalStop {
  /** Aborted by the first SIGINT or SIGTERM, or by abort(). */
  readonly signal: AbortSignal;
  abort(): void;
  /** The signal received, once one is (never resolved when none comes). */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers: the signals do what they did before. */
  dispose(): void;
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/** Stops on SIGINT or SIGTERM, telling `onSignal` which came first. */
export function stopOnSignals(onSignal?: (signal: NodeJS.Signals) => void): SignalStop {
  const controller = new AbortController();
  let tell: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => {
    tell = resolve;
  });
  const handle = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    onSignal?.(signal);
    controller.abort();
    tell(signal);
  };
  for (const name of SIGNALS) process.once(name, handle);
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    received,
    dispose: () => {
      for (const name of SIGNALS) process.off(name, handle);
    },
  };
}

/** A line on stderr saying what is done before the process stops. */
export const sayStopping =
  (what: string) =>
  (signal: NodeJS.Signals): void => {
    process.stderr.write(`\n${signal}: ${what}...\n`);
  };

/** The exit status of a process a signal stopped, as a shell reports it (128 + its number). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 130 : 143;
}
