// What CrateDB's errors mean for the pipeline: one table of CrateDB's error
// codes (reference, "HTTP endpoint", error codes), HTTP statuses and network
// error codes, each classed as a row's, a request's (batch) or the sink's
// failure (see FailureScope in sink-error.ts), with the hint that names the fix.
// The HTTP sink (cratedb-http.ts) translates every error through this file.

import { CONNECTION_CLOSED } from "./http-connections.ts";
import { classes, type ErrorClass, kindOf, type SinkErrorKind } from "./sink-error.ts";

const { row, retry, stop } = classes;

/**
 * Every CrateDB error code of the reference's table. The statements dynacrate
 * sends are fixed, so a 4xxx that depends on values (parse or cast, type
 * validation, a column name taken from an attribute, a duplicate key) is a
 * row's; a 4xxx about the target, the user or the cluster's state is the
 * sink's and never dead-letters a row; 5xxx are the cluster's and may pass.
 */
export const CRATEDB_ERROR_CODES: ReadonlyMap<number, ErrorClass> = new Map([
  [4000, row("a value can not be parsed or cast to its column's type")],
  [4001, stop("check the table's analyzers")],
  [4002, stop("check the table name")],
  [4003, row("a value does not fit its column's type")],
  [4004, row("a value uses a feature CrateDB does not support here")],
  [4005, stop("the statement is not supported on this table")],
  [4006, stop("the statement is ambiguous")],
  [4007, stop("the table is not accessible for this operation; is it a view or a system table?")],
  [4008, row("an attribute name is not a valid CrateDB column name")],
  [4009, stop("CrateDB's license has expired")],
  [4010, stop("the user may not run this statement; check the username")],
  [4011, stop("grant the user the privileges it lacks (DQL, DML, DDL on the schema)")],
  [4031, stop("this CrateDB node only allows reads; point the sink at a writable node")],
  [
    4041,
    stop(
      "the table does not exist; create it (the sink's ensureTable does) or check the table name",
      true,
    ),
  ],
  [4042, stop("the analyzer does not exist")],
  [4043, row("an attribute is not a column of the table (a STRICT object, e.g. a key attribute)")],
  [4044, stop("the type does not exist")],
  [4045, stop("the schema does not exist; check the table name and the schema option", true)],
  [4046, stop("the partition does not exist")],
  [4047, stop("the repository does not exist")],
  [4048, stop("the snapshot does not exist")],
  [4049, stop("the user-defined function does not exist")],
  [40410, stop("the user does not exist; check the username")],
  [4091, row("a row with the same primary key exists")],
  [4092, retry("another writer changed the same row at the same time")],
  [4093, stop("a table or view of that name exists already")],
  [4094, stop("the table alias mixes schemas")],
  [4095, stop("a repository of that name exists already")],
  [4096, stop("a snapshot of that name exists already")],
  [4097, stop("a partition for these values exists already")],
  [4098, stop("a function of that signature exists already")],
  [4099, stop("a user of that name exists already")],
  [5000, retry("CrateDB failed unexpectedly")],
  [5001, retry("a task failed on a node")],
  [5002, retry("shards are not available")],
  [5003, retry("the query failed on one or more shards")],
  [5004, retry("a snapshot failed")],
  [5030, retry("the query was killed")],
]);

/** The class of a CrateDB error code; codes not in the table fall back on their first digit. */
export function crateDbErrorClass(code: number): ErrorClass {
  const known = CRATEDB_ERROR_CODES.get(code);
  if (known) return known;
  // An unlisted 5xxx is the cluster's; an unlisted 4xxx most likely comes from
  // what the request carried, like the listed value errors.
  return code >= 5000 && code < 6000 ? retry() : row();
}

/** What a CrateDB error code means for the pipeline: retry, split the batch, or stop. */
export function crateDbErrorKind(code: number): SinkErrorKind {
  return kindOf(crateDbErrorClass(code));
}

/**
 * HTTP statuses without CrateDB's error object (a proxy, or CrateDB's own
 * authentication). 413: a smaller request passes, so it is a batch failure.
 */
export function httpStatusClass(status: number, hasCredentials: boolean): ErrorClass {
  if (status === 401 || status === 403 || status === 407) {
    return stop(
      hasCredentials
        ? "check the username and password, and that CrateDB's host-based authentication admits this client"
        : "CrateDB wants credentials: give a username and password",
    );
  }
  if (status === 404 || status === 405)
    return stop(
      "no CrateDB _sql endpoint there; check the URL (CrateDB's HTTP port is 4200 by default)",
    );
  if (status === 413) {
    return {
      scope: "batch",
      hint: "the request is too large; lower maxRowsPerRequest or raise CrateDB's http.max_content_length",
    };
  }
  if (status === 408 || status === 425 || status === 429 || status >= 500) return retry("retrying");
  if (status >= 300 && status < 400)
    return stop("the server redirects; give the final URL (https?)");
  return stop("not an answer CrateDB gives; check the URL");
}

// Network errors that say nothing about the request: the same request may pass
// on another try (a restarting node, a dropped keep-alive connection, DNS).
// Codes not listed are taken the same way, and named in the message.
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  CONNECTION_CLOSED,
]);

// A request Node refuses to send (a header value with a control character,
// from the schema option, say): the same on every try and every node.
export const INVALID_REQUEST_CODES: ReadonlySet<string> = new Set([
  "ERR_INVALID_CHAR",
  "ERR_INVALID_HTTP_TOKEN",
  "ERR_HTTP_INVALID_HEADER_VALUE",
  "ERR_UNESCAPED_CHARACTERS",
  "ERR_INVALID_ARG_TYPE",
  "ERR_INVALID_ARG_VALUE",
]);

// TLS failures a retry will not fix.
export const TLS_CODES: ReadonlySet<string> = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

/** Longest CrateDB error message kept in a SinkError, a log line or a dead letter. */
export const MAX_MESSAGE_CHARS = 2000;

/**
 * CrateDB's message, cut to MAX_MESSAGE_CHARS: a parse error echoes the whole
 * request ("Can't parse [{...}]"), which for one large item is hundreds of
 * kilobytes in every dead letter and log line.
 */
export function boundedMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_CHARS) return message;
  const rest = message.length - MAX_MESSAGE_CHARS;
  return `${message.slice(0, MAX_MESSAGE_CHARS)}... (${rest.toLocaleString("en-US")} more characters)`;
}
