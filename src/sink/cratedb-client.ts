// The HTTP client of CrateDB's `POST /_sql` endpoint: keep-alive connections
// to each node of the cluster the URL names (http-connections.ts; requests go
// round the nodes that answer, cratedb-nodes.ts), Basic authentication, a
// deadline per request, and the translation of every answer into parsed JSON
// or a SinkError the pipeline can act on (a CrateDB error code, an HTTP status
// without one, a network or TLS failure, a malformed answer), with the
// password and its token blanked out of every message. The sink
// (cratedb-http.ts) decides what to send; the classes of errors live in
// cratedb-errors.ts.
//
// CrateDB's HTTP semantics relied on here (the "HTTP endpoint" page of the
// CrateDB reference, docs/interfaces/http.rst; a bulk request's answer is
// cratedb-bulk.ts's):
// - `{"stmt", "args"}` answers `{"cols", "rows", "rowcount", "duration"}`; a
//   request CrateDB can not run answers `{"error": {"code", "message"}}` with
//   an HTTP 4xx/5xx status.
// - The `error_trace` query parameter is left off: the docs say clients should
//   not use it, and a stack trace is no help to the pipeline.
// - Credentials travel as HTTP Basic authentication (CrateDB takes the user
//   from the Authorization header); `Default-Schema` sets the schema of
//   unqualified table names.

import { ConfigError } from "../errors.ts";
import { blankSecrets, redactUrl } from "../redact-url.ts";
import { wholeNumberOption } from "../whole-number.ts";
import {
  boundedMessage,
  crateDbErrorClass,
  httpStatusClass,
  INVALID_REQUEST_CODES,
  TLS_CODES,
  TRANSIENT_NETWORK_CODES,
} from "./cratedb-errors.ts";
import { NodeSet } from "./cratedb-nodes.ts";
import { splitHosts } from "./host-list.ts";
import { type HttpAnswer, HttpConnections, RequestTimeout } from "./http-connections.ts";
import { kindOf, SinkError } from "./sink-error.ts";
import { urlCredentials } from "./url-credentials.ts";

export interface CrateDbClientOptions {
  /**
   * Base URL, `http(s)://host:port` (a path prefix is kept, for a proxy in
   * front), or several nodes of one cluster: `http(s)://host1:port,host2:port`.
   */
  url: string;
  username?: string | undefined;
  /** Sent only in the Authorization header; never in a message or a log. */
  password?: string | undefined;
  /**
   * Limit for one request, from sending it to the last byte of the answer.
   * Default 30000. A node that has not answered by then is taken for hung: it
   * is set aside (probed again after a backoff) and the request is sent again,
   * to another node where there is one.
   */
  timeoutMs?: number | undefined;
  /** Verify the server's TLS certificate. Default true. */
  tlsRejectUnauthorized?: boolean | undefined;
  /** Schema of unqualified table names (CrateDB's `Default-Schema` header). */
  schema?: string | undefined;
  /** Keep-alive connections to each node. Default 4. */
  connections?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECTIONS = 4;

/**
 * Failures that come only after waiting (this client's deadline, the
 * kernel's): they end the attempt instead of moving on to the next node, so
 * one attempt never waits much longer than timeoutMs.
 */
const WAITED_OUT: ReadonlySet<string> = new Set(["TIMEOUT", "ETIMEDOUT"]);

export interface CrateError {
  code: number;
  message: string;
}

/** One request, for messages: what was sent. */
export interface RequestLabel {
  what: string;
}

/** One row's result in a bulk answer. */
export type BulkOutcome = { ok: true } | { ok: false; error: CrateError | undefined };

/** One node of the cluster: where messages name it, and its connections. */
interface CrateDbNode {
  where: string;
  connections: HttpConnections;
}

export class CrateDbClient {
  /** `scheme://host:port/path` without credentials (the hosts of all nodes): what messages name. */
  readonly where: string;
  readonly #nodes: NodeSet<CrateDbNode>;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  /** Secrets to blank out of any text that goes into a message. */
  readonly #secrets: string[] = [];
  #closed = false;

  constructor(options: CrateDbClientOptions) {
    const urls = splitHosts(options.url).map((text) => {
      try {
        return new URL(text);
      } catch {
        // The URL may hold a password (`http://user:secret@host`): never echo it.
        throw new ConfigError(
          `CrateDB URL ${redactUrl(options.url)} is not a URL; write http(s)://host:port or http(s)://host1:port,host2:port`,
        );
      }
    });
    const first = urls[0] as URL;
    for (const url of urls) {
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new ConfigError(
          `CrateDB URL ${redactUrl(options.url)}: the scheme must be http or https (CrateDB's HTTP port, 4200 by default)`,
        );
      }
    }
    // Credentials in the URL are accepted but moved into the header; options win.
    const fromUrl = urlCredentials(first);
    const username = options.username ?? fromUrl.username;
    const password = options.password ?? fromUrl.password;
    const base = first.pathname.replace(/\/+$/, "");
    this.#path = `${base}/_sql`;
    this.where = `${first.protocol}//${urls.map((url) => url.host).join(",")}${base}`;

    this.#timeoutMs = wholeNumberOption(
      options.timeoutMs,
      DEFAULT_TIMEOUT_MS,
      "CrateDB sink option timeoutMs",
    );
    const connections = wholeNumberOption(
      options.connections,
      DEFAULT_CONNECTIONS,
      "CrateDB sink option connections",
    );

    this.#headers = {
      "content-type": "application/json",
      accept: "application/json",
      "user-agent": "dynacrate",
    };
    if (username !== undefined && username !== "") {
      if (username.includes(":")) {
        // RFC 7617: the user-id of Basic authentication can not hold a colon.
        throw new ConfigError(
          "CrateDB username: HTTP Basic authentication does not allow a ':' in it",
        );
      }
      const token = Buffer.from(`${username}:${password ?? ""}`, "utf8").toString("base64");
      this.#headers.authorization = `Basic ${token}`;
      if (password) this.#secrets.push(password, token);
    } else if (password) {
      throw new ConfigError("CrateDB password given without a username; give the username too");
    }
    if (options.schema !== undefined) this.#headers["default-schema"] = options.schema;

    const nodes = urls.map(
      (url): CrateDbNode => ({
        where: `${url.origin}${base}`,
        connections: new HttpConnections(url, {
          connections,
          rejectUnauthorized: options.tlsRejectUnauthorized ?? true,
        }),
      }),
    );
    this.#nodes = new NodeSet(nodes, (node) => this.#probe(node));
  }

  /**
   * One POST to `/_sql`, bounded by timeoutMs; returns the parsed answer or
   * throws a SinkError. A node that refuses or drops the connection is set
   * aside and the request goes to the next node at once (every statement the
   * sink sends may run twice: see cratedb-http.ts); a node that does not
   * answer in time is set aside too, and the timeout is thrown, so that one
   * attempt never waits longer than timeoutMs: the retry goes to another node.
   */
  async post(body: string, label: RequestLabel): Promise<Record<string, unknown>> {
    const tried = new Set<CrateDbNode>();
    let failure: SinkError | undefined;
    for (;;) {
      if (this.#closed) throw new SinkError("fatal", `CrateDB sink for ${this.where} is closed`);
      const node = this.#nodes.pick(tried);
      if (node === undefined) throw failure as SinkError;
      tried.add(node);
      let answer: HttpAnswer;
      try {
        answer = await this.#send(node, "POST", this.#path, body);
      } catch (error) {
        const sinkError = this.#networkError(error, label, node);
        // Fatal errors (TLS, a closed sink) are the same on every node.
        if (!sinkError.retryable) throw sinkError;
        this.#nodes.failed(node);
        if (sinkError.code !== undefined && WAITED_OUT.has(sinkError.code)) throw sinkError;
        failure = sinkError;
        continue;
      }
      this.#nodes.answered(node);
      return this.#answer(answer.status, answer.text, label, node);
    }
  }

  /** The nodes, each with whether it answers now (for messages and tests). */
  nodes(): { where: string; up: boolean }[] {
    return this.#nodes.nodes.map((node) => ({
      where: node.where,
      up: this.#nodes.health(node).up,
    }));
  }

  /** One request to one node, given up after timeoutMs. */
  #send(
    node: CrateDbNode,
    method: "GET" | "POST",
    path: string,
    body?: string,
  ): Promise<HttpAnswer> {
    return node.connections.request(method, path, this.#headers, body, this.#timeoutMs);
  }

  /** A node set aside answers anything (CrateDB's `GET /` names the node): it takes requests again. */
  async #probe(node: CrateDbNode): Promise<void> {
    await this.#send(node, "GET", `${this.#path.slice(0, -"_sql".length)}`);
  }

  #answer(
    status: number,
    text: string,
    label: RequestLabel,
    node: CrateDbNode,
  ): Record<string, unknown> {
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const isObject = typeof json === "object" && json !== null && !Array.isArray(json);
    const crateError = isObject
      ? readCrateError((json as Record<string, unknown>).error)
      : undefined;
    if (crateError) {
      const { code, message } = crateError;
      const entry = crateDbErrorClass(code);
      const kind = kindOf(entry);
      const hint = kind === "fatal" ? entry.hint : undefined;
      throw new SinkError(
        kind,
        this.redact(
          `CrateDB at ${node.where} refused ${label.what}: error ${code}: ${message} (HTTP ${status})${hint ? `; ${hint}` : ""}`,
        ),
        String(code),
        { missingRelation: entry.missingRelation ?? false },
      );
    }
    if (status >= 200 && status < 300) {
      if (!isObject)
        throw this.malformed(label, `HTTP ${status} with a body that is not a JSON object`);
      return json as Record<string, unknown>;
    }
    throw this.#httpError(status, text, label, node);
  }

  /** A non-2xx status without CrateDB's error object: a proxy, or CrateDB's own authentication. */
  #httpError(status: number, text: string, label: RequestLabel, node: CrateDbNode): SinkError {
    const detail = text.trim() === "" ? "" : `: ${truncate(text.trim(), 300)}`;
    const head = `CrateDB at ${node.where} answered ${label.what} with HTTP ${status}${detail}`;
    const entry = httpStatusClass(status, this.#headers.authorization !== undefined);
    const kind = kindOf(entry);
    const hint = entry.hint ?? "";
    return new SinkError(kind, this.redact(`${head}; ${hint}`), String(status));
  }

  #networkError(error: unknown, label: RequestLabel, node: CrateDbNode): SinkError {
    const others = this.#nodes.nodes.length > 1;
    if (error instanceof SinkError) return error;
    if (error instanceof RequestTimeout) {
      return new SinkError(
        "transient",
        `CrateDB at ${node.where} did not answer ${label.what} within ${this.#timeoutMs} ms (the sink's timeout); ` +
          `it may have been applied, which a retry repeats harmlessly${others ? "; the node is set aside and probed again later" : ""}`,
        "TIMEOUT",
        { cause: error },
      );
    }
    const code = errorCode(error);
    const message = this.redact(error instanceof Error ? error.message : String(error));
    if (this.#closed || code === "CLOSED") {
      return new SinkError("fatal", `CrateDB sink for ${this.where} is closed`, code, {
        cause: error,
      });
    }
    if (code !== undefined && TLS_CODES.has(code)) {
      return new SinkError(
        "fatal",
        `TLS with CrateDB at ${node.where} failed during ${label.what}: ${message}; ` +
          "trust the server's CA (NODE_EXTRA_CA_CERTS), check the URL's scheme, or set tlsRejectUnauthorized: false for a test server",
        code,
        { cause: error },
      );
    }
    if (code !== undefined && INVALID_REQUEST_CODES.has(code)) {
      return new SinkError(
        "fatal",
        `request to CrateDB at ${this.where} is invalid: ${message}`,
        code,
        {
          cause: error,
        },
      );
    }
    // Anything else from the network (the TRANSIENT_NETWORK_CODES and codes not
    // foreseen) may pass on another try; the retry policy bounds the cost.
    const known = code !== undefined && TRANSIENT_NETWORK_CODES.has(code);
    return new SinkError(
      "transient",
      `CrateDB at ${node.where} could not be reached for ${label.what}: ${message}${known ? "" : ` (${code ?? "no error code"})`}` +
        (others ? "; the node is set aside and probed again later" : ""),
      code,
      { cause: error },
    );
  }

  malformed(label: RequestLabel, what: string): SinkError {
    return new SinkError(
      "transient",
      `CrateDB at ${this.where} gave a malformed answer to ${label.what}: ${what}; is the URL a CrateDB node?`,
      "MALFORMED",
    );
  }

  /** Blanks the password and the Authorization token out of text for messages. */
  redact(text: string): string {
    return blankSecrets(text, this.#secrets);
  }
  /** The error of a row a bulk request failed; `which` names the row (and its record) for the message. */
  rowError(outcome: BulkOutcome & { ok: false }, which: string): SinkError {
    if (outcome.error) {
      const { code, message } = outcome.error;
      const entry = crateDbErrorClass(code);
      return new SinkError(
        kindOf(entry),
        this.redact(`CrateDB refused ${which}: error ${code}: ${message}`),
        String(code),
        { missingRelation: entry.missingRelation ?? false },
      );
    }
    return new SinkError(
      "rejected",
      `CrateDB refused ${which}: rowcount -2, no reason given (CrateDB 5.10+ names the reason for the first ` +
        "failures of each shard; a value whose type differs from the column's is the usual cause)",
      "-2",
    );
  }

  /** Checks the bulk answer's shape and reads each result; a malformed answer is transient. */
  bulkResults(answer: Record<string, unknown>, sent: number, label: RequestLabel): BulkOutcome[] {
    const results = answer.results;
    if (!Array.isArray(results)) {
      throw this.malformed(label, "a bulk answer without a results array");
    }
    if (results.length !== sent) {
      throw this.malformed(label, `${results.length} results for ${sent} rows sent`);
    }
    return results.map((entry, i): BulkOutcome => {
      if (typeof entry !== "object" || entry === null) {
        throw this.malformed(label, `result ${i} is not an object`);
      }
      const { rowcount, error } = entry as { rowcount?: unknown; error?: unknown };
      const crateError = readCrateError(error);
      // An error object means failure whatever the rowcount (crate/crate#18088
      // shows one with rowcount 0).
      if (crateError) return { ok: false, error: crateError };
      if (typeof rowcount !== "number")
        throw this.malformed(label, `result ${i} has no numeric rowcount`);
      if (rowcount === -2) return { ok: false, error: undefined };
      // -1 is "row count not ascertainable" in CrateDB's docs: not a failure.
      if (rowcount >= -1) return { ok: true };
      throw this.malformed(label, `result ${i} has rowcount ${rowcount}`);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A node set aside may hold a request that will never be answered (a hung
    // node, a probe): its connections are dropped rather than waited for.
    await Promise.all(
      this.#nodes.nodes.map((node) =>
        this.#nodes.health(node).up ? node.connections.close() : node.connections.destroy(),
      ),
    );
  }
}

/** CrateDB's `{"code": 4003, "message": "..."}`, if `value` is one. */
function readCrateError(value: unknown): CrateError | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { code, message } = value as { code?: unknown; message?: unknown };
  if (typeof code !== "number" || !Number.isInteger(code)) return undefined;
  return { code, message: typeof message === "string" ? boundedMessage(message) : "(no message)" };
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined || cause === error ? undefined : errorCode(cause);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
