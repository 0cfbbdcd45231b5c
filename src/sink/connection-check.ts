// The check a command runs before it reads any input: can the sink be reached
// with these credentials? It asks once, without the sink's retries, and turns
// the failure into one message that names the problem and the fix (unknown
// host, nothing listening, no answer, wrong password, unknown database,
// missing permission), so a bad URL never runs a whole capture through.

import { ConfigError } from "../errors.ts";
import { splitHosts } from "./host-list.ts";
import { openSink } from "./open-sink.ts";
import { redactUrl } from "./redact-url.ts";
import { SinkError } from "./sink-error.ts";

/** How long the check waits for an answer. */
const CHECK_TIMEOUT_MS = 10_000;

/** Throws ConfigError naming the problem when the sink at `url` does not answer `SELECT 1`. */
export async function checkConnection(url: string): Promise<void> {
  const sink = await openSink(url, {
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  try {
    await sink.query({ sql: "SELECT 1", params: [] });
  } catch (error) {
    throw new ConfigError(`can not use the sink ${redactUrl(url)}: ${diagnose(url, error)}`, {
      cause: error,
    });
  } finally {
    await sink.close().catch(() => {});
  }
}

/** The codes of an error and of its causes (a driver error inside a SinkError, an AggregateError's parts). */
function codesOf(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== "object" || error === null || seen.has(error)) return [];
  seen.add(error);
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === "string" ? [e.code] : [];
  const parts = Array.isArray(e.errors) ? e.errors.flatMap((x) => codesOf(x, seen)) : [];
  return [...own, ...codesOf(e.cause, seen), ...parts];
}

function diagnose(url: string, error: unknown): string {
  // A cluster's check fails only when no node answered: the message names them all.
  const nodes = splitHosts(url).map((text) => new URL(text));
  const parsed = nodes[0] as URL;
  const portOf = (node: URL) =>
    node.port || (node.protocol.startsWith("postgres") ? "5432" : "4200");
  const host = nodes.map((node) => node.hostname).join(", ");
  const user = decodeURIComponent(parsed.username) || "(none given)";
  const codes = new Set(codesOf(error));
  const message = error instanceof Error ? error.message : String(error);
  if (codes.has("ENOTFOUND") || codes.has("EAI_AGAIN"))
    return `unknown host ${host}: the name does not resolve; check the host in the URL`;
  const at = nodes.map((node) => `${node.hostname}:${portOf(node)}`).join(", ");
  if (codes.has("ECONNREFUSED"))
    return `nothing accepts connections at ${at} (connection refused); is the database running, and is the port right?`;
  if (
    codes.has("ETIMEDOUT") ||
    codes.has("EHOSTUNREACH") ||
    codes.has("ENETUNREACH") ||
    codes.has("UND_ERR_CONNECT_TIMEOUT") ||
    /timeout|timed out/i.test(message)
  )
    return `no answer from ${at} within ${CHECK_TIMEOUT_MS / 1000} s; check the host, the port and any firewall between`;
  if (codes.has("28P01") || codes.has("28000") || codes.has("401") || codes.has("40410"))
    return `the database refused user ${user}: wrong user name or password (${message})`;
  if (codes.has("3D000")) return `the database named in the URL does not exist (${message})`;
  if (codes.has("42501") || codes.has("4011") || codes.has("4010") || codes.has("403"))
    return `user ${user} lacks a permission it needs (${message})`;
  return error instanceof SinkError ? message : `can not connect (${message})`;
}
