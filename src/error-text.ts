// How an error is shown: its message where a sentence quotes it, and in a log
// line its message, the messages of its cause chain and its stack, so that a
// wrapped driver error (a refused connection under a SinkError) is not lost
// behind the message that wrapped it. Anything thrown is accepted: a thrown
// string or object has no message property to read.

/** The message of anything thrown: an Error's message, else its text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How many causes are followed: a cycle (an error its own cause) ends there. */
const MAX_CAUSES = 8;

/** `Name: message` of each cause of `error`, the nearest first. */
export function causesOf(error: unknown): string[] {
  const causes: string[] = [];
  const seen = new Set<unknown>([error]);
  let cause = error instanceof Error ? error.cause : undefined;
  while (cause !== undefined && !seen.has(cause) && causes.length < MAX_CAUSES) {
    seen.add(cause);
    causes.push(cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return causes;
}

/**
 * The fields of a log line about `error`: `error` (its message), `errorType`,
 * `causes` when it has any, and `stack`.
 */
export function errorFields(error: unknown): {
  error: string;
  errorType?: string;
  causes?: string[];
  stack?: string;
} {
  if (!(error instanceof Error)) return { error: String(error) };
  const causes = causesOf(error);
  return {
    error: error.message,
    errorType: error.name,
    ...(causes.length > 0 ? { causes } : {}),
    ...(error.stack ? { stack: error.stack } : {}),
  };
}
