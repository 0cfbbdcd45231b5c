// A sink URL picks the sink: postgresql:// for PostgreSQL; crate:// (the
// reference's SQLAlchemy form) or http(s):// for CrateDB over HTTP.

import { ConfigError } from "../errors.ts";
import { redactUrl } from "./redact-url.ts";
import type { RetryPolicy } from "./retry.ts";
import type { Sink } from "./sink.ts";

export { redactUrl };

export interface SinkOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
  /** CrateDB: bulk requests of one batch sent at once (see CrateDbHttpSinkOptions.inFlight). */
  inFlight?: number;
}

/**
 * Opens the sink a URL names. The URL may hold credentials; they never reach
 * a log. Each sink's module is loaded only when its scheme is used: the CrateDB
 * sink's HTTP client is most of the Lambda bundle and half its cold start, and
 * a PostgreSQL target never needs it (in the bundle, a module reached only by
 * `import()` is evaluated only when imported).
 */
/** The URL schemes of each sink, with their colon as `URL.protocol` has it. */
export const SINK_SCHEMES = {
  postgresql: ["postgresql:", "postgres:"],
  cratedb: ["crate:", "http:", "https:"],
} as const;

/** The sink a URL scheme (`URL.protocol`) picks, or undefined for a scheme no sink has. */
export function sinkKind(protocol: string): keyof typeof SINK_SCHEMES | undefined {
  for (const [kind, schemes] of Object.entries(SINK_SCHEMES))
    if ((schemes as readonly string[]).includes(protocol)) return kind as keyof typeof SINK_SCHEMES;
  return undefined;
}

export async function openSink(url: string, options: SinkOptions = {}): Promise<Sink> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`sink URL ${redactUrl(url)} is not a URL; ${EXAMPLES}`);
  }
  switch (sinkKind(parsed.protocol)) {
    case "postgresql": {
      const { inFlight, ...rest } = options;
      if (inFlight !== undefined && inFlight > 1)
        throw new ConfigError(
          "--in-flight is for CrateDB: PostgreSQL writes each batch in one transaction",
        );
      const { PostgresSink } = await import("./postgres.ts");
      return new PostgresSink({ url, ...rest });
    }
    case "cratedb": {
      const tls =
        parsed.protocol === "https:" ||
        /^(true|1|require)$/i.test(parsed.searchParams.get("ssl") ?? "");
      const base = `${tls ? "https" : "http"}://${parsed.hostname.includes(":") ? `[${parsed.hostname}]` : parsed.hostname}:${parsed.port || "4200"}`;
      const { createCrateDbHttpSink } = await import("./cratedb-http.ts");
      return createCrateDbHttpSink({
        url: base,
        username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
        password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
        ...options,
      });
    }
    default:
      throw new ConfigError(
        `sink URL ${redactUrl(url)}: unknown scheme ${parsed.protocol}; ${EXAMPLES}`,
      );
  }
}

const EXAMPLES =
  "write postgresql://user:pass@host:5432/db, crate://user:pass@host:4200 (?ssl=true for https) or https://host:4200";
