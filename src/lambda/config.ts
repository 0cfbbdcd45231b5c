// The Lambda function's settings, read from its environment once per
// container and checked all at once: a bad deployment gets ONE error that
// lists every problem, instead of one per redeploy.
//
// The reference implementation's variables (CRATEDB_SQLALCHEMY_URL,
// CRATEDB_TABLE, LOG_LEVEL, MESSAGE_FORMAT) are read too, so a function
// configured for it works unchanged; its ON_ERROR, USE_BATCH_PROCESSING,
// SQL_ECHO and COLUMN_TYPES have no meaning here and are ignored.

import { isNumberFormat, NUMBER_FORMATS, type NumberFormat } from "../codec/decimal.ts";
import { type KeySchema, parseKeySchema } from "../codec/key-schema.ts";
import { ConfigError } from "../errors.ts";
import { type LogLevel, parseLogLevel } from "../log.ts";
import type { HistoryOptions } from "../pipeline/history-writer.ts";
import {
  checkTableRoutes,
  parseRoute,
  parseTableMapJson,
  type RouteNames,
  type TableRoutes,
} from "../routing/table-routes.ts";
import { splitHosts } from "../sink/host-list.ts";
import { sinkKind } from "../sink/open-sink.ts";
import { redactUrl } from "../sink/redact-url.ts";
import { DEFAULT_RETRY } from "../sink/retry.ts";
import { HISTORY_PARTITIONS, type HistoryPartition } from "../sql/history.ts";
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
  /** CrateDB: bulk requests of one batch sent at once (SINK_IN_FLIGHT, default 1). */
  inFlight: number;
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

/** Reads and checks the configuration; throws one ConfigError naming every problem. */
export function readConfig(env: Environment): LambdaConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    // CloudFormation and the console leave unset optional variables as "".
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };

  const target = readTarget(get, problems);
  const mapText = get("TARGET_TABLES");
  const routeText = get("TARGET_ROUTES");
  const table = readTable(get, problems, mapText === undefined && routeText === undefined);
  const routes = readRoutes(get, table, mapText, routeText, problems);

  let keySchema: KeySchema | undefined;
  const keyText = get("KEY_SCHEMA");
  if (keyText !== undefined) {
    try {
      keySchema = parseKeySchema(keyText);
    } catch (error) {
      problems.push(`KEY_SCHEMA: ${(error as Error).message}`);
    }
  }

  let numbers: NumberFormat | undefined;
  const numberText = get("NUMBER_FORMAT");
  if (numberText !== undefined) {
    if (isNumberFormat(numberText)) numbers = numberText;
    else
      problems.push(
        `NUMBER_FORMAT=${JSON.stringify(numberText)}: use one of ${NUMBER_FORMATS.join(", ")}`,
      );
  }

  const timeoutMs = positiveInteger(get, "SINK_TIMEOUT_MS", DEFAULT_LAMBDA_TIMEOUT_MS, problems);
  const retryAttempts = positiveInteger(
    get,
    "SINK_RETRY_ATTEMPTS",
    DEFAULT_RETRY.attempts,
    problems,
  );
  const inFlight = positiveInteger(get, "SINK_IN_FLIGHT", 1, problems);
  const refreshIntervalMs =
    get("SINK_REFRESH_INTERVAL_MS") === undefined
      ? undefined
      : positiveInteger(get, "SINK_REFRESH_INTERVAL_MS", 1000, problems);
  const maxColumns =
    get("MAX_COLUMNS") === undefined ? undefined : positiveInteger(get, "MAX_COLUMNS", 0, problems);
  const deadLetter = readDeadLetter(get, table, problems);

  let tombstoneRetentionMs: number | undefined;
  const retention = get("TOMBSTONE_RETENTION_HOURS");
  if (retention !== undefined) {
    const hours = Number(retention);
    // Beyond the longest Kinesis retention (365 days) a tombstone guards nothing;
    // the cap also keeps `now - retention` a valid date.
    if (Number.isFinite(hours) && hours > 0 && hours <= MAX_RETENTION_HOURS) {
      tombstoneRetentionMs = Math.round(hours * 3600 * 1000);
    } else {
      problems.push(
        `TOMBSTONE_RETENTION_HOURS=${JSON.stringify(retention)}: give a number of hours above 0 and at most ${MAX_RETENTION_HOURS}, e.g. 168`,
      );
    }
  }

  const history = readHistory(get, problems);

  let logLevel: LogLevel = "info";
  const levelText = get("LOG_LEVEL");
  if (levelText !== undefined) {
    const level = parseLogLevel(levelText);
    if (level) logLevel = level;
    else
      problems.push(`LOG_LEVEL=${JSON.stringify(levelText)}: use one of debug, info, warn, error`);
  }

  // The reference reads AWS DMS records too; dynacrate reads DynamoDB change records only.
  const formatText = get("MESSAGE_FORMAT")?.toLowerCase() ?? "dynamodb";
  if (formatText !== "dynamodb" && formatText !== "mongodb") {
    problems.push(
      `MESSAGE_FORMAT=${JSON.stringify(get("MESSAGE_FORMAT"))}: dynacrate reads "dynamodb" change records (the default) or "mongodb" change events (Atlas triggers through EventBridge)`,
    );
  }
  const format = formatText === "mongodb" ? "mongodb" : "dynamodb";
  if (format === "mongodb" && keySchema !== undefined)
    problems.push(
      "KEY_SCHEMA: a MongoDB target's key is always the document's _id (oid); remove KEY_SCHEMA",
    );

  if (problems.length > 0 || !target || !routes) {
    throw new ConfigError(
      `the dynacrate Lambda function is not configured correctly (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
  return {
    target,
    table,
    routes,
    keySchema,
    numbers,
    timeoutMs,
    retryAttempts,
    inFlight,
    refreshIntervalMs,
    maxColumns,
    deadLetter,
    tombstoneRetentionMs,
    history,
    logLevel,
    format,
  };
}

/** HISTORY (true or false) and HISTORY_PARTITION (month or day, CrateDB), as --history and --history-partition. */
function readHistory(get: Getter, problems: string[]): HistoryOptions | undefined {
  const on = get("HISTORY")?.toLowerCase();
  const partition = get("HISTORY_PARTITION");
  if (on !== undefined && on !== "true" && on !== "false") {
    problems.push(`HISTORY=${JSON.stringify(get("HISTORY"))}: use true or false`);
    return undefined;
  }
  if (on !== "true") {
    if (partition !== undefined)
      problems.push(
        "HISTORY_PARTITION partitions the table HISTORY=true keeps: set HISTORY=true, or remove it",
      );
    return undefined;
  }
  if (partition === undefined) return {};
  if (!HISTORY_PARTITIONS.includes(partition as HistoryPartition)) {
    problems.push(
      `HISTORY_PARTITION=${JSON.stringify(partition)}: use one of ${HISTORY_PARTITIONS.join(", ")}`,
    );
    return undefined;
  }
  return { partition: partition as HistoryPartition };
}

type Getter = (name: string) => string | undefined;

function readTarget(get: Getter, problems: string[]): TargetSource | undefined {
  const url = get("TARGET_URL");
  const referenceUrl = get("CRATEDB_SQLALCHEMY_URL");
  const secretId = get("TARGET_SECRET_ARN");
  if (url !== undefined && referenceUrl !== undefined && url !== referenceUrl) {
    problems.push("TARGET_URL and CRATEDB_SQLALCHEMY_URL name different databases: keep one");
    return undefined;
  }
  const chosen = url ?? referenceUrl;
  const name = url !== undefined ? "TARGET_URL" : "CRATEDB_SQLALCHEMY_URL";
  if (chosen !== undefined && secretId !== undefined) {
    problems.push(
      `${name} and TARGET_SECRET_ARN are both set: keep one (the secret keeps the password out of the function's configuration)`,
    );
    return undefined;
  }
  if (secretId !== undefined) return { kind: "secret", secretId };
  if (chosen === undefined) {
    problems.push(
      "no database: set TARGET_SECRET_ARN (a Secrets Manager secret holding the sink URL or host, port, username, password) " +
        "or TARGET_URL (e.g. postgresql://user:pass@host:5432/db, crate://user:pass@host:4200?ssl=true)",
    );
    return undefined;
  }
  const problem = sinkUrlProblem(chosen);
  if (problem) {
    problems.push(`${name}: ${problem}`);
    return undefined;
  }
  return { kind: "url", url: chosen };
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

/** Where records go: one table, a map of source tables (JSON), routes of a single-table design. */
function readRoutes(
  get: Getter,
  table: TableName | undefined,
  mapText: string | undefined,
  routeText: string | undefined,
  problems: string[],
): TableRoutes | undefined {
  try {
    return checkTableRoutes({
      table,
      map: mapText === undefined ? undefined : parseTableMapJson(mapText, LAMBDA_NAMES.map),
      sourceTable: get("SOURCE_TABLE"),
      routes: (routeText ?? "")
        .split(",")
        .filter((r) => r.trim() !== "")
        .map((r) => parseRoute(r.trim(), LAMBDA_NAMES.route)),
      names: LAMBDA_NAMES,
    });
  } catch (error) {
    if (table || mapText !== undefined || routeText !== undefined)
      problems.push((error as Error).message);
    return undefined;
  }
}

/** How the Lambda function's settings are named in messages and dead letters. */
export const LAMBDA_NAMES: RouteNames = {
  table: "TARGET_TABLE",
  map: "TARGET_TABLES",
  sourceTable: "SOURCE_TABLE",
  route: "TARGET_ROUTES",
};

function readTable(get: Getter, problems: string[], required: boolean): TableName | undefined {
  const text = get("TARGET_TABLE");
  const reference = get("CRATEDB_TABLE");
  if (text !== undefined && reference !== undefined && text !== reference) {
    problems.push("TARGET_TABLE and CRATEDB_TABLE differ: keep one");
    return undefined;
  }
  const chosen = text ?? reference;
  if (chosen === undefined) {
    if (!required) return undefined;
    problems.push(
      "no table: set TARGET_TABLE to the table to replicate into, e.g. orders or analytics.orders",
    );
    return undefined;
  }
  try {
    return parseTableName(chosen);
  } catch (error) {
    problems.push(
      `${text !== undefined ? "TARGET_TABLE" : "CRATEDB_TABLE"}: ${(error as Error).message}`,
    );
    return undefined;
  }
}

function readDeadLetter(
  get: Getter,
  table: TableName | undefined,
  problems: string[],
): DeadLetterConfig | undefined {
  const queueUrl = get("DEAD_LETTER_URL");
  const tableText = get("DEAD_LETTER_TABLE");
  if (queueUrl !== undefined && tableText !== undefined) {
    problems.push(
      "DEAD_LETTER_URL and DEAD_LETTER_TABLE are both set: choose one dead-letter destination",
    );
    return undefined;
  }
  if (queueUrl !== undefined) {
    if (!isQueueUrl(queueUrl)) {
      problems.push(
        `DEAD_LETTER_URL=${JSON.stringify(queueUrl)} is not an SQS queue URL; ` +
          "write https://sqs.<region>.amazonaws.com/<account>/<queue> (the queue's URL, not its ARN)",
      );
      return undefined;
    }
    return { kind: "sqs", queueUrl };
  }
  if (tableText !== undefined) {
    try {
      const deadLetterTable = parseTableName(tableText);
      if (table && formatTableName(deadLetterTable) === formatTableName(table)) {
        problems.push(
          "DEAD_LETTER_TABLE is the target table: name another table, e.g. orders_dead_letters",
        );
        return undefined;
      }
      return { kind: "table", table: deadLetterTable };
    } catch (error) {
      problems.push(`DEAD_LETTER_TABLE: ${(error as Error).message}`);
    }
  }
  return undefined;
}

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

function positiveInteger(get: Getter, name: string, fallback: number, problems: string[]): number {
  const text = get(name);
  if (text === undefined) return fallback;
  const problem = wholeNumberProblem(text);
  if (problem !== undefined) {
    problems.push(`${name} ${problem}`);
    return fallback;
  }
  return Number(text);
}
