// An HTTP proxy in front of a real CrateDB that fails chosen requests, for
// tests of what the sink does when one statement of a write (an ALTER TABLE,
// say) meets an outage while the others reach the server: it reads each
// request's body, asks `fault` what to do with it, and either forwards it
// (at once, or once a promise settles, to order statements of concurrent
// writes), answers with an HTTP error, or drops the connection.

import http from "node:http";

/**
 * What the proxy does with one request: forward it, answer `status` (with
 * `body` as JSON, e.g. a CrateDB error), or drop the connection.
 */
export type FaultAction =
  | "forward"
  | { status: number; body?: unknown }
  | "drop"
  | { forwardAfter: Promise<unknown> };

export interface HttpFaultProxy {
  /** The server's URL, through the proxy. */
  url: string;
  /** How many requests got a fault (an error status or a dropped connection). */
  readonly faults: number;
  close(): Promise<void>;
}

/**
 * Starts the proxy. `fault` sees each request's body (CrateDB's JSON
 * `{"stmt": ..., "args"|"bulk_args": ...}`) and decides; the first `times`
 * matching statements fail, for instance. `answered` sees each forwarded
 * request's body with the server's answer, once it is sent on.
 */
export async function httpFaultProxy(
  serverUrl: string,
  fault: (body: string) => FaultAction,
  answered?: (body: string, answer: string) => void,
): Promise<HttpFaultProxy> {
  const target = new URL(serverUrl);
  let faults = 0;
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const action = fault(body.toString("utf8"));
      if (action === "drop") {
        faults++;
        request.socket.destroy();
        return;
      }
      if (typeof action === "object" && "forwardAfter" in action) {
        void action.forwardAfter.finally(() => forward(body));
        return;
      }
      if (action !== "forward") {
        faults++;
        if (action.body === undefined) {
          response.writeHead(action.status, { "content-type": "text/plain" });
          response.end("injected fault");
        } else {
          response.writeHead(action.status, { "content-type": "application/json" });
          response.end(JSON.stringify(action.body));
        }
        return;
      }
      forward(body);
    });

    function forward(body: Buffer): void {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: request.url,
          method: request.method,
          headers: { ...request.headers, host: target.host, "content-length": body.length },
          agent,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => {
            chunks.push(chunk);
            response.write(chunk);
          });
          answer.on("end", () => {
            response.end();
            answered?.(body.toString("utf8"), Buffer.concat(chunks).toString("utf8"));
          });
        },
      );
      upstream.on("error", () => request.socket.destroy());
      upstream.end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(serverUrl);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString().replace(/\/$/, ""),
    get faults() {
      return faults;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A fault for the first `times` statements whose text matches `pattern`; the rest are forwarded. */
export function firstStatements(
  pattern: RegExp,
  times: number,
  action: Exclude<FaultAction, "forward" | { forwardAfter: Promise<unknown> }>,
): (body: string) => FaultAction {
  let left = times;
  return (body) => {
    const stmt = (JSON.parse(body) as { stmt?: string }).stmt ?? "";
    if (left > 0 && pattern.test(stmt)) {
      left--;
      return action;
    }
    return "forward";
  };
}
