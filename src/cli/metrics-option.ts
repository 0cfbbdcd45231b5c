// The options of a long-running command's HTTP endpoints (--metrics-port,
// DYNACRATE_METRICS_PORT): where /metrics, /healthz and /ready are served,
// with Node's process metrics beside the command's own.

import { collectDefaultMetrics, Registry } from "prom-client";
import { ConfigError } from "../errors.ts";
import { type Check, type MetricsServer, serveMetrics } from "../metrics/server.ts";
import { openSink } from "../sink/open-sink.ts";
import type { Sink } from "../sink/sink.ts";
import { checkValues, type OptionSpec, wholeOption, wholeValue } from "./args.ts";

export const METRICS_OPTIONS = {
  "metrics-port": { type: "string", value: wholeValue(0, 65_535) },
  "metrics-host": { type: "string" },
  "stuck-after": { type: "string", value: wholeValue(1, 365 * 24 * 3600) },
} as const satisfies OptionSpec;

export const METRICS_HELP = `  --metrics-port PORT serve /metrics (Prometheus), /healthz and /ready on PORT
                      (or set DYNACRATE_METRICS_PORT; 0 picks a free port); off by default;
                      not for a MongoDB source yet
  --metrics-host HOST the address they listen on (default 0.0.0.0, every interface)
  --stuck-after SECS  /healthz answers 503 once the work has not moved for SECS seconds
                      (default 300: longer than the longest wait between two tries of
                      an unreachable sink)
`;

/** --stuck-after in milliseconds. */
export function stuckMs(values: Record<string, unknown>): number {
  return wholeOption(values, "stuck-after", 300) * 1000;
}

/**
 * Asks the sink at `url` once, without retries and with a short timeout, for
 * /ready: a connection of its own, so the answer is the sink's, not a
 * pipeline's retries.
 */
export function sinkPing(url: string): { ping(): Promise<void>; close(): Promise<void> } {
  let sink: Sink | undefined;
  return {
    async ping() {
      sink ??= await openSink(url, {
        retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        timeoutMs: 3000,
      });
      await sink.query({ sql: "SELECT 1", params: [] });
    },
    close: async () => {
      await sink?.close().catch(() => {});
    },
  };
}

/** The port from --metrics-port, else DYNACRATE_METRICS_PORT; undefined when neither is set. */
export function metricsPort(values: Record<string, unknown>): number | undefined {
  const given = values["metrics-port"] ?? process.env.DYNACRATE_METRICS_PORT;
  if (given === undefined || given === "") return undefined;
  // The variable is checked as the option is.
  checkValues({ "metrics-port": String(given) }, METRICS_OPTIONS);
  return Number(given);
}

/** A registry with Node's process metrics (CPU, memory, event loop lag, handles). */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Starts the endpoints and says where they are on stderr. */
export async function startEndpoints(
  values: Record<string, unknown>,
  port: number,
  registry: Registry,
  checks: { health: () => Check; ready: () => Promise<Check> },
): Promise<MetricsServer> {
  const host = (values["metrics-host"] as string | undefined) ?? "0.0.0.0";
  const server = await serveMetrics(port, host, { registry, ...checks });
  process.stderr.write(`metrics on ${server.url}/metrics, health on /healthz and /ready\n`);
  return server;
}

/**
 * A MongoDB source has no endpoints yet: --metrics-port is refused, and
 * DYNACRATE_METRICS_PORT (set by the relay's image for every command) is
 * left aside with a notice.
 */
export function refuseMetricsForMongo(values: Record<string, unknown>): void {
  if (values["metrics-port"] !== undefined)
    throw new ConfigError(
      "--metrics-port serves a Kinesis or DynamoDB Streams relay, or a DynamoDB load; a MongoDB source has no metrics endpoint yet: leave it out",
    );
  if (process.env.DYNACRATE_METRICS_PORT)
    process.stderr.write(
      "DYNACRATE_METRICS_PORT is set, but a MongoDB source has no metrics endpoint yet: none is served\n",
    );
}
