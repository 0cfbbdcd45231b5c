// Why a server could not be reached, in the one wording every command uses
// (a sink, DynamoDB, Kinesis, an S3 endpoint): the host does not resolve,
// nothing listens on the port, or nothing answers in time. Read from the
// error codes of the error and its causes, never from message text.

/** The codes of an error and of its causes (a driver error inside a SinkError, an AggregateError's parts). */
export function errorCodes(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== "object" || error === null || seen.has(error)) return [];
  seen.add(error);
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === "string" ? [e.code] : [];
  const parts = Array.isArray(e.errors) ? e.errors.flatMap((x) => errorCodes(x, seen)) : [];
  return [...own, ...errorCodes(e.cause, seen), ...parts];
}

/**
 * The problem in words when `error` is a failure to reach a server, else
 * undefined. `host` names what the name lookup was for, `at` the host:port
 * pairs tried, `what` the server ("the database", "the AWS endpoint").
 */
export function networkProblem(
  error: unknown,
  where: { host: string; at: string; what: string; timeoutMs?: number },
): string | undefined {
  const codes = new Set(errorCodes(error));
  if (codes.has("ENOTFOUND") || codes.has("EAI_AGAIN"))
    return `unknown host ${where.host}: the name does not resolve; check the host in the URL`;
  if (codes.has("ECONNREFUSED"))
    return `nothing accepts connections at ${where.at} (connection refused); is ${where.what} running, and is the port right?`;
  if (codes.has("ETIMEDOUT") || codes.has("EHOSTUNREACH") || codes.has("ENETUNREACH"))
    return `no answer from ${where.at}${where.timeoutMs ? ` within ${where.timeoutMs / 1000} s` : ""}; check the host, the port and any firewall between`;
  return undefined;
}
