// The Lambda function's settings, read from its environment once per
// container and checked all at once: a bad deployment gets ONE error that
// lists every problem, instead of one per redeploy.
//
// The reference implementation's variables (CRATEDB_SQLALCHEMY_URL,
// CRATEDB_TABLE, LOG_LEVEL, MESSAGE_FORMAT) are read too, so a function
// configured for it works unchanged; its ON_ERROR, USE_BATCH_PROCESSING,
// SQL_ECHO and COLUMN_TYPES have no meaning here and are ignored.

import * as v from "valibot";
import { NUMBER_FORMATS, type NumberFormat } from "../codec/decimal.ts";
import { type KeySchema, parseKeySchema } from "../codec/key-schema.ts";
import { check, configError, rule, textWithout } from "../config-schema.ts";
import { errorMessage } from "../error-text.ts";
import { type LogLevel, parseLogLevel } from "../log.ts";
import type { HistoryOptions } from "../pipeline/history-writer.ts";
import { redactUrl } from "../redact-url.ts";
import {
  checkTableRoutes,
  parseRoute,
  parseTableMapJson,
  type RouteNames,
  type TableRoutes,
} from "../routing/table-routes.ts";
import { splitHosts } from "../sink/host-list.ts";
import { sinkKind } from "../sink/open-sink.ts";
import { DEFAULT_RETRY } from "../sink/retry.ts";
import { HISTORY_PARTITIONS } from "../sql/history.ts";
import { formatTableName, parseTableName, type TableName } from "../sql/table-name.ts";
import { wholeNumberProblem } from "../whole-number.ts";

export type Environment = Record<string, string | undefined>;

/** Where the sink URL comes from. */
export type TargetSource =
  | { kind: "url"; url: string }
  /** A Secrets Manager secret (ARN or name), fetched once per container. */
  | { kind: "secret"; secretId: string };

export type DeadLetterConfig =
  /** An SQS queue, by its URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
  | { kind: "sqs"; queueUrl: string }
  /** A table in the sink, created when missing. */
  | { kind: "table"; table: TableName };

export interface LambdaConfig {
  target: TargetSource;
  /** TARGET_TABLE, when set (a name or a {table} template). */
  table: TableName | undefined;
  /** Where each record goes: TARGET_TABLE, TARGET_TABLES, SOURCE_TABLE, TARGET_ROUTES. */
  routes: TableRoutes;
  keySchema: KeySchema | undefined;
  numbers: NumberFormat | undefined;
  /** Limit for connecting and for each statement. */
  timeoutMs: number;
  /** Attempts per write, the first included, before records are reported failed. */
  retryAttempts: number;
  /** CrateDB: bulk requests of one batch sent at once (SINK_IN_FLIGHT; the sink's default, 2, when unset). */
  inFlight: number | undefined;
  /** CrateDB: refresh_interval of the tables the function creates (SINK_REFRESH_INTERVAL_MS). */
  refreshIntervalMs: number | undefined;
  /** CrateDB: columns declared in a state table at most (MAX_COLUMNS; the sink's default when absent). */
  maxColumns: number | undefined;
  deadLetter: DeadLetterConfig | undefined;
  tombstoneRetentionMs: number | undefined;
  /** Keep every change in `<table>__history` too (HISTORY=true; HISTORY_PARTITION month or day). */
  history: HistoryOptions | undefined;
  logLevel: LogLevel;
  /**
   * What the function receives: DynamoDB change records (Kinesis or DynamoDB
   * Streams batches), or MongoDB change events from Atlas database triggers
   * through Amazon EventBridge (MESSAGE_FORMAT=mongodb).
   */
  format: "dynamodb" | "mongodb";
}

/** Shorter than the sinks' 30 s: a Lambda batch should fail and be retried rather than hang. */
export const DEFAULT_LAMBDA_TIMEOUT_MS = 10_000;

/** Ten years. */
const MAX_RETENTION_HOURS = 87_600;

/** A variable parsed by `parse`, whose error message follows `NAME: `. */
function parsed<T>(name: string, parse: (text: string) => T) {
  return v.optional(
    v.pipe(
      v.string(),
      v.rawTransform(({ dataset, addIssue, NEVER }) => {
        try {
          return parse(dataset.value);
        } catch (error) {
          addIssue({ message: `${name}: ${errorMessage(error)}` });
          return NEVER;
        }
      }),
    ),
  );
}

/** A whole number of at least 1 (src/whole-number.ts), written in digits. */
function count(name: string) {
  return v.optional(
    v.pipe(
      textWithout((text) => wholeNumberProblem(text), `${name} `),
      v.transform(Number),
    ),
  );
}

/** A sink URL, quoted with its password redacted when refused. */
function sinkUrl(name: string) {
  return v.optional(textWithout((url) => sinkUrlProblem(url), `${name}: `));
}

/** The variables, each on its own. */
const VARIABLES = v.looseObject({
  TARGET_URL: sinkUrl("TARGET_URL"),
  CRATEDB_SQLALCHEMY_URL: sinkUrl("CRATEDB_SQLALCHEMY_URL"),
  TARGET_SECRET_ARN: v.optional(v.string()),
  TARGET_TABLE: parsed("TARGET_TABLE", parseTableName),
  CRATEDB_TABLE: parsed("CRATEDB_TABLE", parseTableName),
  TARGET_TABLES: parsed("TARGET_TABLES", (text) => parseTableMapJson(text, LAMBDA_NAMES.map)),
  SOURCE_TABLE: v.optional(v.string()),
  TARGET_ROUTES: parsed("TARGET_ROUTES", (text) =>
    text
      .split(",")
      .filter((r) => r.trim() !== "")
      .map((r) => parseRoute(r.trim(), LAMBDA_NAMES.route)),
  ),
  KEY_SCHEMA: parsed("KEY_SCHEMA", parseKeySchema),
  NUMBER_FORMAT: v.optional(
    v.picklist(
      NUMBER_FORMATS,
      (issue) =>
        `NUMBER_FORMAT=${JSON.stringify(issue.input)}: use one of ${NUMBER_FORMATS.join(", ")}`,
    ),
  ),
  SINK_TIMEOUT_MS: count("SINK_TIMEOUT_MS"),
  SINK_RETRY_ATTEMPTS: count("SINK_RETRY_ATTEMPTS"),
  SINK_IN_FLIGHT: count("SINK_IN_FLIGHT"),
  SINK_REFRESH_INTERVAL_MS: count("SINK_REFRESH_INTERVAL_MS"),
  MAX_COLUMNS: count("MAX_COLUMNS"),
  DEAD_LETTER_URL: v.optional(
    v.pipe(
      v.string(),
      v.check(
        isQueueUrl,
        (issue) =>
          `DEAD_LETTER_URL=${JSON.stringify(issue.input)} is not an SQS queue URL; ` +
          "write https://sqs.<region>.amazonaws.com/<account>/<queue> (the queue's URL, not its ARN)",
      ),
    ),
  ),
  DEAD_LETTER_TABLE: parsed("DEAD_LETTER_TABLE", parseTableName),
  TOMBSTONE_RETENTION_HOURS: v.optional(
    v.pipe(
      v.string(),
      v.check(
        // Beyond the longest Kinesis retention (365 days) a tombstone guards nothing;
        // the cap also keeps `now - retention` a valid date.
        (text) => Number(text) > 0 && Number(text) <= MAX_RETENTION_HOURS,
        (issue) =>
          `TOMBSTONE_RETENTION_HOURS=${JSON.stringify(issue.input)}: give a number of hours above 0 and at most ${MAX_RETENTION_HOURS}, e.g. 168`,
      ),
      v.transform((text) => Math.round(Number(text) * 3600 * 1000)),
    ),
  ),
  HISTORY: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => ["true", "false"].includes(text.toLowerCase()),
        (issue) => `HISTORY=${JSON.stringify(issue.input)}: use true or false`,
      ),
      v.transform((text) => text.toLowerCase() === "true"),
    ),
  ),
  HISTORY_PARTITION: v.optional(
    v.picklist(
      HISTORY_PARTITIONS,
      (issue) =>
        `HISTORY_PARTITION=${JSON.stringify(issue.input)}: use one of ${HISTORY_PARTITIONS.join(", ")}`,
    ),
  ),
  LOG_LEVEL: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => parseLogLevel(text) !== undefined,
        (issue) => `LOG_LEVEL=${JSON.stringify(issue.input)}: use one of debug, info, warn, error`,
      ),
      v.transform((text) => parseLogLevel(text) as LogLevel),
    ),
  ),
  // The reference reads AWS DMS records too; dynacrate reads DynamoDB change records only.
  MESSAGE_FORMAT: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => ["dynamodb", "mongodb"].includes(text.toLowerCase()),
        (issue) =>
          `MESSAGE_FORMAT=${JSON.stringify(issue.input)}: dynacrate reads "dynamodb" change records (the default) or "mongodb" change events (Atlas triggers through EventBridge)`,
      ),
      v.transform((text) => text.toLowerCase() as "dynamodb" | "mongodb"),
    ),
  ),
});

type Variables = v.InferOutput<typeof VARIABLES>;

/** The target table: TARGET_TABLE, else the reference's CRATEDB_TABLE. */
const tableOf = (env: Variables): TableName | undefined => env.TARGET_TABLE ?? env.CRATEDB_TABLE;

/** Where records go: one table, a map of source tables (JSON), routes of a single-table design. */
function routesOf(env: Variables): TableRoutes {
  return checkTableRoutes({
    table: tableOf(env),
    map: env.TARGET_TABLES,
    sourceTable: env.SOURCE_TABLE,
    routes: env.TARGET_ROUTES ?? [],
    names: LAMBDA_NAMES,
  });
}

function routesProblem(env: Variables): string | undefined {
  try {
    routesOf(env);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

const urlName = (env: Variables) =>
  env.TARGET_URL !== undefined ? "TARGET_URL" : "CRATEDB_SQLALCHEMY_URL";

/** A rule: dynacrate's variable and the reference's, when both are set, say the same (as `text` writes them). */
function agree(
  name: string & keyof Variables,
  reference: string & keyof Variables,
  text: (value: unknown) => string,
  message: string,
) {
  return rule(
    [[name], [reference]],
    [name],
    (env: Variables) =>
      env[name] === undefined ||
      env[reference] === undefined ||
      text(env[name]) === text(env[reference]),
    message,
  );
}

/** The variables, and what they require of one another. */
const ENVIRONMENT = v.pipe(
  VARIABLES,
  agree(
    "TARGET_URL",
    "CRATEDB_SQLALCHEMY_URL",
    String,
    "TARGET_URL and CRATEDB_SQLALCHEMY_URL name different databases: keep one",
  ),
  rule(
    [["TARGET_URL"], ["CRATEDB_SQLALCHEMY_URL"], ["TARGET_SECRET_ARN"]],
    ["TARGET_URL"],
    (env: Variables) =>
      (env.TARGET_URL ?? env.CRATEDB_SQLALCHEMY_URL) === undefined ||
      env.TARGET_SECRET_ARN === undefined,
    (env: Variables) =>
      `${urlName(env)} and TARGET_SECRET_ARN are both set: keep one (the secret keeps the password out of the function's configuration)`,
  ),
  rule(
    [["TARGET_URL"], ["CRATEDB_SQLALCHEMY_URL"], ["TARGET_SECRET_ARN"]],
    ["TARGET_SECRET_ARN"],
    (env: Variables) =>
      env.TARGET_URL !== undefined ||
      env.CRATEDB_SQLALCHEMY_URL !== undefined ||
      env.TARGET_SECRET_ARN !== undefined,
    "no database: set TARGET_SECRET_ARN (a Secrets Manager secret holding the sink URL or host, port, username, password) " +
      "or TARGET_URL (e.g. postgresql://user:pass@host:5432/db, crate://user:pass@host:4200?ssl=true)",
  ),
  agree(
    "TARGET_TABLE",
    "CRATEDB_TABLE",
    (table) => formatTableName(table as TableName),
    "TARGET_TABLE and CRATEDB_TABLE differ: keep one",
  ),
  rule(
    [["TARGET_TABLE"], ["CRATEDB_TABLE"], ["TARGET_TABLES"], ["TARGET_ROUTES"]],
    ["TARGET_TABLE"],
    (env: Variables) =>
      tableOf(env) !== undefined ||
      env.TARGET_TABLES !== undefined ||
      env.TARGET_ROUTES !== undefined,
    "no table: set TARGET_TABLE to the table to replicate into, e.g. orders or analytics.orders",
  ),
  rule(
    [["TARGET_TABLE"], ["CRATEDB_TABLE"], ["TARGET_TABLES"], ["SOURCE_TABLE"], ["TARGET_ROUTES"]],
    ["TARGET_ROUTES"],
    (env: Variables) => routesProblem(env) === undefined,
    (env: Variables) => routesProblem(env) as string,
  ),
  rule(
    [["DEAD_LETTER_URL"], ["DEAD_LETTER_TABLE"]],
    ["DEAD_LETTER_URL"],
    (env: Variables) => env.DEAD_LETTER_URL === undefined || env.DEAD_LETTER_TABLE === undefined,
    "DEAD_LETTER_URL and DEAD_LETTER_TABLE are both set: choose one dead-letter destination",
  ),
  rule(
    [["TARGET_TABLE"], ["CRATEDB_TABLE"], ["DEAD_LETTER_TABLE"]],
    ["DEAD_LETTER_TABLE"],
    (env: Variables) => {
      const table = tableOf(env);
      return (
        env.DEAD_LETTER_TABLE === undefined ||
        table === undefined ||
        formatTableName(env.DEAD_LETTER_TABLE) !== formatTableName(table)
      );
    },
    "DEAD_LETTER_TABLE is the target table: name another table, e.g. orders_dead_letters",
  ),
  rule(
    [["HISTORY"], ["HISTORY_PARTITION"]],
    ["HISTORY_PARTITION"],
    (env: Variables) => env.HISTORY_PARTITION === undefined || env.HISTORY === true,
    "HISTORY_PARTITION partitions the table HISTORY=true keeps: set HISTORY=true, or remove it",
  ),
  rule(
    [["MESSAGE_FORMAT"], ["KEY_SCHEMA"]],
    ["KEY_SCHEMA"],
    (env: Variables) => env.MESSAGE_FORMAT !== "mongodb" || env.KEY_SCHEMA === undefined,
    "KEY_SCHEMA: a MongoDB target's key is always the document's _id (oid); remove KEY_SCHEMA",
  ),
);

/** Reads and checks the configuration; throws one ConfigError naming every problem. */
export function readConfig(variables: Environment): LambdaConfig {
  // CloudFormation and the console leave unset optional variables as "".
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    const text = value?.trim();
    if (text) given[name] = text;
  }
  const result = check(ENVIRONMENT, given, "(environment)", (_name, message) => message);
  if (!result.ok) {
    throw configError(
      (count) => `the dynacrate Lambda function is not configured correctly (${count})`,
      result.problems,
    );
  }
  const env = result.value;
  const url = env.TARGET_URL ?? env.CRATEDB_SQLALCHEMY_URL;
  return {
    target:
      env.TARGET_SECRET_ARN !== undefined
        ? { kind: "secret", secretId: env.TARGET_SECRET_ARN }
        : { kind: "url", url: url as string },
    table: tableOf(env),
    routes: routesOf(env),
    keySchema: env.KEY_SCHEMA,
    numbers: env.NUMBER_FORMAT,
    timeoutMs: env.SINK_TIMEOUT_MS ?? DEFAULT_LAMBDA_TIMEOUT_MS,
    retryAttempts: env.SINK_RETRY_ATTEMPTS ?? DEFAULT_RETRY.attempts,
    inFlight: env.SINK_IN_FLIGHT,
    refreshIntervalMs: env.SINK_REFRESH_INTERVAL_MS,
    maxColumns: env.MAX_COLUMNS,
    deadLetter:
      env.DEAD_LETTER_URL !== undefined
        ? { kind: "sqs", queueUrl: env.DEAD_LETTER_URL }
        : env.DEAD_LETTER_TABLE !== undefined
          ? { kind: "table", table: env.DEAD_LETTER_TABLE }
          : undefined,
    tombstoneRetentionMs: env.TOMBSTONE_RETENTION_HOURS,
    history:
      env.HISTORY === true
        ? env.HISTORY_PARTITION === undefined
          ? {}
          : { partition: env.HISTORY_PARTITION }
        : undefined,
    logLevel: env.LOG_LEVEL ?? "info",
    format: env.MESSAGE_FORMAT ?? "dynamodb",
  };
}

/**
 * Why a text is not a sink URL, or undefined. Quotes the URL with its password
 * redacted; `quote: false` leaves it out altogether (text from a secret may be
 * nothing but a password).
 */
export function sinkUrlProblem(url: string, quote = true): string | undefined {
  const shown = quote ? `${redactUrl(url)} ` : "the URL ";
  const hosts = splitHosts(url);
  for (const host of hosts) {
    let parsed: URL;
    try {
      parsed = new URL(host);
    } catch {
      return `${shown}is not a URL; write postgresql://user:pass@host:5432/db, crate://user:pass@host:4200 or crate://user:pass@host1:4200,host2:4200`;
    }
    const kind = sinkKind(parsed.protocol);
    if (kind === undefined) {
      return `${shown}has the unknown scheme ${parsed.protocol}; use postgresql://, crate://, http:// or https://`;
    }
    if (!parsed.hostname)
      return `${shown}names no host${hosts.length > 1 ? " in one place of its list" : ""}`;
    if (kind === "postgresql" && hosts.length > 1)
      return `${shown}names several hosts, which is for a CrateDB cluster; a PostgreSQL sink takes one`;
  }
  return undefined;
}

/** How the Lambda function's settings are named in messages and dead letters. */
export const LAMBDA_NAMES: RouteNames = {
  table: "TARGET_TABLE",
  map: "TARGET_TABLES",
  sourceTable: "SOURCE_TABLE",
  route: "TARGET_ROUTES",
};

// An SQS queue URL is the endpoint plus /<account id>/<queue name>.
function isQueueUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "https:" || url.protocol === "http:") &&
      /^\/[^/]+\/[^/]+\/?$/.test(url.pathname)
    );
  } catch {
    return false;
  }
}
