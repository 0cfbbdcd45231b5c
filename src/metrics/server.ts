// The HTTP endpoints of a long-running command: /metrics (Prometheus text
// format), /healthz (the process is alive and its work moves) and /ready (its
// source and sink can be reached). Each check answers 200 with "ok", or 503
// with the reason, as orchestrators' HTTP probes read them.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** A check's answer: ok, or why not. */
export type Check = { ok: true } | { ok: false; reason: string };

export interface Endpoints {
  registry: Registry;
  health: () => Check;
  ready: () => Promise<Check>;
}

export interface MetricsServer {
  /** The address it listens on, as http://host:port. */
  url: string;
  close(): Promise<void>;
}

export async function serveMetrics(
  port: number,
  host: string,
  endpoints: Endpoints,
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const answer = async (): Promise<[number, string, string]> => {
      if (request.method !== "GET" && request.method !== "HEAD")
        return [405, "text/plain", "GET only\n"];
      if (path === "/metrics")
        return [200, endpoints.registry.contentType, await endpoints.registry.metrics()];
      if (path === "/healthz") return checked(endpoints.health());
      if (path === "/ready") return checked(await endpoints.ready());
      return [404, "text/plain", "not found: /metrics, /healthz and /ready are served here\n"];
    };
    answer()
      .catch((error: unknown): [number, string, string] => [
        500,
        "text/plain",
        `${error instanceof Error ? error.message : String(error)}\n`,
      ])
      .then(([status, type, body]) => {
        response.writeHead(status, { "content-type": type });
        response.end(request.method === "HEAD" ? undefined : body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  // Probes and scrapes must not keep a stopping process alive.
  server.unref();
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function checked(check: Check): [number, string, string] {
  return check.ok ? [200, "text/plain", "ok\n"] : [503, "text/plain", `${check.reason}\n`];
}
