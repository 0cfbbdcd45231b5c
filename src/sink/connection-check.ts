// The check a command runs before it reads any input: can the sink be reached
// with these credentials? It asks once, without the sink's retries, and turns
// the failure into one message that names the problem and the fix (unknown
// host, nothing listening, no answer, wrong password, unknown database,
// missing permission), so a bad URL never runs a whole capture through.

import { ConfigError } from "../errors.ts";
import { errorCodes, networkProblem } from "../network-problem.ts";
import { redactUrl } from "../redact-url.ts";
import { splitHosts } from "./host-list.ts";
import { CONNECTION_CLOSED } from "./http-connections.ts";
import { openSink, sinkOfUrl } from "./open-sink.ts";
import { SinkError } from "./sink-error.ts";

/** How long the check waits for an answer. */
const CHECK_TIMEOUT_MS = 10_000;

/** Throws ConfigError naming the problem when the sink at `url` does not answer `SELECT 1`. */
export async function checkConnection(url: string): Promise<void> {
  const sink = await openSink(url, {
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  let version: string | undefined;
  try {
    await sink.query({ sql: "SELECT 1", params: [] });
    // Both databases name themselves in version(); a postgresql:// URL must not reach CrateDB.
    if (sinkOfUrl(url) === "postgresql")
      version = (await sink.query<{ v: string }>({ sql: "SELECT version() AS v", params: [] }))[0]
        ?.v;
  } catch (error) {
    throw new ConfigError(`can not use the sink ${redactUrl(url)}: ${diagnose(url, error)}`, {
      cause: error,
    });
  } finally {
    await sink.close().catch(() => {});
  }
  // CrateDB's PostgreSQL port answers SELECT 1, then fails on PostgreSQL's catalog later.
  if (version?.startsWith("CrateDB")) {
    const node = new URL(splitHosts(url)[0] as string);
    throw new ConfigError(
      `can not use the sink ${redactUrl(url)}: the server at ${node.hostname}:${node.port || "5432"} is CrateDB (its PostgreSQL port), not PostgreSQL; dynacrate writes to CrateDB over HTTP: use crate://user:password@${node.hostname}:4200 (CrateDB's HTTP port, 4200 by default)`,
    );
  }
}

function diagnose(url: string, error: unknown): string {
  // A cluster's check fails only when no node answered: the message names them all.
  const nodes = splitHosts(url).map((text) => new URL(text));
  const parsed = nodes[0] as URL;
  const portOf = (node: URL) =>
    node.port || (node.protocol.startsWith("postgres") ? "5432" : "4200");
  const host = nodes.map((node) => node.hostname).join(", ");
  const user = decodeURIComponent(parsed.username) || "(none given)";
  const codes = new Set(errorCodes(error));
  const message = error instanceof Error ? error.message : String(error);
  const at = nodes.map((node) => `${node.hostname}:${portOf(node)}`).join(", ");
  const unreachable = networkProblem(error, {
    host,
    at,
    what: "the database",
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  if (unreachable) return unreachable;
  if (/timeout|timed out/i.test(message))
    return `no answer from ${at} within ${CHECK_TIMEOUT_MS / 1000} s; check the host, the port and any firewall between`;
  // An HTTP client that got another protocol's bytes (the HTTP parser's HPE_ codes), or no
  // answer before the connection closed: most often PostgreSQL's port (CrateDB's too).
  // (PostgreSQL closes the connection on an HTTP request; CrateDB's PostgreSQL port answers in its protocol.)
  if (
    !parsed.protocol.startsWith("postgres") &&
    [...codes].some((code) => code.startsWith("HPE_") || code === CONNECTION_CLOSED)
  )
    return `what answers at ${at} does not speak HTTP, as CrateDB's HTTP port (4200 by default) does; a PostgreSQL port answers this way: give crate:// the HTTP port, or use postgresql:// for a PostgreSQL server`;
  if (codes.has("28P01") || codes.has("28000") || codes.has("401") || codes.has("40410"))
    return `the database refused user ${user}: wrong user name or password (${message})`;
  if (codes.has("3D000")) return `the database named in the URL does not exist (${message})`;
  if (codes.has("42501") || codes.has("4011") || codes.has("4010") || codes.has("403"))
    return `user ${user} lacks a permission it needs (${message})`;
  return error instanceof SinkError ? message : `can not connect (${message})`;
}
