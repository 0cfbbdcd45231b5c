// The keep-alive connections to one HTTP server (one CrateDB node), over
// Node's own http and https modules: a bounded number of connections, reused
// while they are idle for less than IDLE_MS; one request at a time on each;
// a deadline per request that covers connecting, sending and the last byte of
// the answer; the answer's body read whole and decoded as UTF-8. Failures keep
// the operating system's codes (ECONNREFUSED, ECONNRESET, ETIMEDOUT, TLS's),
// the HTTP parser's (HPE_*), and get two of their own: TIMEOUT for the
// deadline and CONNECTION_CLOSED for a connection the server closed before its
// answer was complete. What they mean for the sink is decided in
// cratedb-client.ts and cratedb-errors.ts.

import http from "node:http";
import https from "node:https";
import { DynacrateError } from "../errors.ts";

/** The code of a connection the server closed before its answer was complete. */
export const CONNECTION_CLOSED = "CONNECTION_CLOSED";

/**
 * How long a connection may stay idle before this side closes it. A server, or
 * a load balancer in front of it, may close an idle connection at any time; a
 * request sent on one it has just closed fails as if the node were down.
 */
const IDLE_MS = 4_000;

/** The server did not answer within the deadline; the connection was dropped. */
export class RequestTimeout extends DynacrateError {
  override name = "RequestTimeout";
  readonly code = "TIMEOUT";
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** The server closed the connection before its answer was complete. */
export class ConnectionClosed extends DynacrateError {
  override name = "ConnectionClosed";
  readonly code = CONNECTION_CLOSED;
}

/** The connections were closed before the request was sent. */
class ConnectionsClosed extends DynacrateError {
  override name = "ConnectionsClosed";
  readonly code = "CLOSED";
}

export interface HttpAnswer {
  status: number;
  /** The body, decoded as UTF-8 (a leading byte order mark left out). */
  text: string;
}

export interface HttpConnectionsOptions {
  /** Connections open at once at most; further requests wait for one. */
  connections: number;
  /** For https: verify the server's certificate. */
  rejectUnauthorized: boolean;
}

export class HttpConnections {
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #hostname: string;
  readonly #port: string;
  readonly #tls: boolean;
  /** Requests sent and not yet settled, so that close() can wait for them. */
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  /** `origin`: the server's scheme, host and port (its path and credentials are not read). */
  constructor(origin: URL, options: HttpConnectionsOptions) {
    const agentOptions = {
      keepAlive: true,
      // A request's head and body leave as separate writes: with Nagle's
      // algorithm on, the body waits for the server's delayed ACK of the head.
      noDelay: true,
      maxSockets: options.connections,
      maxFreeSockets: options.connections,
      // Node's agent applies this to idle connections only: one in use is bounded by the request's deadline.
      timeout: IDLE_MS,
    };
    this.#tls = origin.protocol === "https:";
    if (this.#tls) {
      this.#agent = new https.Agent({
        ...agentOptions,
        rejectUnauthorized: options.rejectUnauthorized,
      });
      this.#request = https.request;
    } else {
      this.#agent = new http.Agent(agentOptions);
      this.#request = http.request;
    }
    // An IPv6 literal is written in brackets in a URL, and without them to connect.
    this.#hostname = origin.hostname.replace(/^\[(.*)\]$/, "$1");
    this.#port = origin.port;
  }

  /**
   * One request; resolves with the status and the whole body, or rejects with
   * the transport's error (RequestTimeout once `timeoutMs` has passed, whatever
   * the request was doing then: its connection is dropped, not reused).
   */
  request(
    method: "GET" | "POST",
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
  ): Promise<HttpAnswer> {
    if (this.#closed) return Promise.reject(new ConnectionsClosed("the connections are closed"));
    const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
    const options: http.RequestOptions = {
      agent: this.#agent,
      hostname: this.#hostname,
      port: this.#port,
      method,
      path,
      headers:
        payload === undefined ? headers : { ...headers, "content-length": String(payload.length) },
    };
    const sent = exchange(() => this.#request(options), payload, timeoutMs, this.#tls);
    this.#pending.add(sent);
    const forget = () => this.#pending.delete(sent);
    sent.then(forget, forget);
    return sent;
  }

  /** Waits for the requests on their way, then closes every connection. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending]);
    this.#agent.destroy();
  }

  /** Closes every connection now; the requests on their way fail. */
  destroy(): void {
    this.#closed = true;
    this.#agent.destroy();
  }
}

/** Sends the request `start` makes with `payload`, and reads its answer whole. */
function exchange(
  start: () => http.ClientRequest,
  payload: Buffer | undefined,
  timeoutMs: number,
  tls: boolean,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    const settle = (error: unknown, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) resolve(answer as HttpAnswer);
      else reject(error);
    };
    const timer = setTimeout(() => {
      settle(new RequestTimeout(timeoutMs));
      // The connection may still get the answer late: it is closed, not reused.
      request?.destroy();
    }, timeoutMs);
    try {
      request = start();
    } catch (error) {
      // A header or path Node refuses (ERR_INVALID_CHAR and the like): nothing was sent.
      settle(error);
      return;
    }
    const sending = request;
    sending.on("error", (error) => settle(closedEarly(error)));
    sending.on("response", (response) => {
      const chunks: Buffer[] = [];
      let length = 0;
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
      });
      response.on("error", (error) => settle(closedEarly(error)));
      response.on("end", () =>
        settle(undefined, { status: response.statusCode ?? 0, text: utf8(chunks, length) }),
      );
    });
    sending.once("socket", (socket) => {
      // On a new TLS connection the request waits for the handshake: written
      // during it, a failed handshake is reported as the write's EPROTO, not
      // by its own code (ERR_SSL_WRONG_VERSION_NUMBER at a plain HTTP port).
      if (tls && !sending.reusedSocket) socket.once("secureConnect", () => sending.end(payload));
      else sending.end(payload);
    });
  });
}

/**
 * Node reports a connection the server closed before its answer as ECONNRESET
 * without a system call ("socket hang up" before the answer's head, "aborted"
 * within its body), where a reset from the network names the call that met it
 * (`read ECONNRESET`): the first is given its own code.
 */
function closedEarly(error: Error): Error {
  const { code, syscall } = error as NodeJS.ErrnoException;
  if (code === "ECONNRESET" && syscall === undefined)
    return new ConnectionClosed(
      `the server closed the connection before its answer was complete (${error.message})`,
      { cause: error },
    );
  return error;
}

/** The body as UTF-8 text, a leading byte order mark left out. */
function utf8(chunks: Buffer[], length: number): string {
  if (length === 0) return "";
  const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  const bom = length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  return buffer.toString("utf8", bom ? 3 : 0);
}
