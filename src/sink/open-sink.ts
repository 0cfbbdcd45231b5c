// A sink URL picks the sink: postgresql:// for PostgreSQL; crate:// (the
// reference's SQLAlchemy form) or http(s):// for CrateDB over HTTP, which may
// name several nodes of one cluster (crate://user:pw@host1:4200,host2:4200).

import { ConfigError } from "../errors.ts";
import { redactUrl } from "../redact-url.ts";
import { splitHosts } from "./host-list.ts";
import type { OnRetry, RetryPolicy } from "./retry.ts";
import type { Sink } from "./sink.ts";
import type { SinkError } from "./sink-error.ts";
import { urlCredentials } from "./url-credentials.ts";

export { redactUrl };

export interface SinkOptions {
  retry?: RetryPolicy;
  /** Told before each retry of a request the database failed. */
  onRetry?: OnRetry<SinkError>;
  timeoutMs?: number;
  /** CrateDB: bulk requests of one batch sent at once (see CrateDbHttpSinkOptions.inFlight). */
  inFlight?: number;
  /** CrateDB: refresh_interval of the tables it creates (see CrateDbHttpSinkOptions.refreshIntervalMs). */
  refreshIntervalMs?: number;
  /** CrateDB: columns declared in a state table at most (see CrateDbHttpSinkOptions.maxColumns). */
  maxColumns?: number;
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

/** The sink a URL names by its scheme, or undefined (the URL need not parse: it is only the scheme). */
export function sinkOfUrl(url: string): keyof typeof SINK_SCHEMES | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
  return scheme === undefined ? undefined : sinkKind(scheme.toLowerCase());
}

export async function openSink(url: string, options: SinkOptions = {}): Promise<Sink> {
  const hosts = splitHosts(url).map((text) => {
    try {
      return new URL(text);
    } catch {
      throw new ConfigError(`sink URL ${redactUrl(url)} is not a URL; ${EXAMPLES}`);
    }
  });
  const parsed = hosts[0] as URL;
  switch (sinkKind(parsed.protocol)) {
    case "postgresql": {
      if (hosts.length > 1)
        throw new ConfigError(
          `sink URL ${redactUrl(url)}: several hosts are for a CrateDB cluster; a PostgreSQL sink takes one`,
        );
      const { inFlight, refreshIntervalMs, maxColumns, ...rest } = options;
      if (inFlight !== undefined && inFlight > 1)
        throw new ConfigError(
          "--in-flight is for CrateDB: PostgreSQL writes each batch in one transaction",
        );
      if (refreshIntervalMs !== undefined)
        throw new ConfigError(
          "a refresh interval (--refresh-interval-ms, SINK_REFRESH_INTERVAL_MS) is for CrateDB: PostgreSQL shows a committed row at once",
        );
      if (maxColumns !== undefined)
        throw new ConfigError(
          "--max-columns is for CrateDB: PostgreSQL keeps each item in jsonb, with no columns to count",
        );
      const { PostgresSink } = await import("./postgres.ts");
      return new PostgresSink({ url, ...rest });
    }
    case "cratedb": {
      const tls =
        parsed.protocol === "https:" ||
        /^(true|1|require)$/i.test(parsed.searchParams.get("ssl") ?? "");
      // Every node is reached the same way: the first host's scheme and ?ssl= hold for all.
      const base = `${tls ? "https" : "http"}://${hosts.map(hostAndPort).join(",")}`;
      const { createCrateDbHttpSink } = await import("./cratedb-http.ts");
      return createCrateDbHttpSink({
        url: base,
        ...urlCredentials(parsed),
        ...options,
      });
    }
    default:
      throw new ConfigError(
        `sink URL ${redactUrl(url)}: unknown scheme ${parsed.protocol}; ${EXAMPLES}`,
      );
  }
}

/** `host:port` of a CrateDB node, CrateDB's HTTP port when the URL names none. */
function hostAndPort(url: URL): string {
  // The parser keeps an IPv6 address in brackets already.
  const host =
    url.hostname.includes(":") && !url.hostname.startsWith("[")
      ? `[${url.hostname}]`
      : url.hostname;
  return `${host}:${url.port || "4200"}`;
}

const EXAMPLES =
  "write postgresql://user:pass@host:5432/db, crate://user:pass@host:4200 (?ssl=true for https; several nodes as host1:4200,host2:4200) or https://host:4200";
