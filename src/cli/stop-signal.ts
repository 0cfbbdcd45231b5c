// How a long-running command stops: SIGINT or SIGTERM aborts the returned
// signal once, with a line saying that the batches in flight are finished
// and checkpointed first.

export function stopOnSignals(): AbortController {
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    if (stop.signal.aborted) return;
    process.stderr.write(
      `\n${signal}: finishing the batches in flight and writing checkpoints...\n`,
    );
    stop.abort();
  };
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  return stop;
}
