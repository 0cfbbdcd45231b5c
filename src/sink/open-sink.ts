// A sink URL picks the sink: postgresql:// for PostgreSQL; crate:// (the
// reference's SQLAlchemy form) or http(s):// for CrateDB over HTTP.

import { ConfigError } from "../errors.ts";
import { createCrateDbHttpSink } from "./cratedb-http.ts";
import { PostgresSink } from "./postgres.ts";
import { redactUrl } from "./redact-url.ts";
import type { RetryPolicy } from "./retry.ts";
import type { Sink } from "./sink.ts";

export { redactUrl };

export interface SinkOptions {
  retry?: RetryPolicy;
  timeoutMs?: number;
}

/** Opens the sink a URL names. The URL may hold credentials; they never reach a log. */
export function openSink(url: string, options: SinkOptions = {}): Sink {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`sink URL ${redactUrl(url)} is not a URL; ${EXAMPLES}`);
  }
  switch (parsed.protocol) {
    case "postgresql:":
    case "postgres:":
      return new PostgresSink({ url, ...options });
    case "crate:":
    case "http:":
    case "https:": {
      const tls =
        parsed.protocol === "https:" ||
        /^(true|1|require)$/i.test(parsed.searchParams.get("ssl") ?? "");
      const base = `${tls ? "https" : "http"}://${parsed.hostname.includes(":") ? `[${parsed.hostname}]` : parsed.hostname}:${parsed.port || "4200"}`;
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
