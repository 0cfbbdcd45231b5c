// Checks the construct's options, from TypeScript or from a YAML file, all at
// once: every problem is named by its key (`mapping.batchSize`) with the fix,
// and an unknown key is an error (a typo must not silently fall back to a
// default). The construct and `dynacrate synth` share this one check.

import { NUMBER_FORMATS } from "../codec/decimal.ts";
import { ConfigError } from "../errors.ts";
import { nearName } from "../near-name.ts";
import { parseTableName } from "../sql/table-name.ts";
import { parseWholeNumber } from "../whole-number.ts";
import { DEFAULTS, minimumTimeoutSeconds } from "./defaults.ts";
import type {
  AlarmOptions,
  DeadLetterOptions,
  DynamoDbToCrateDbProps,
  FunctionOptions,
  KeyAttribute,
  MappingOptions,
  StartingPosition,
  StreamOptions,
  TableOptions,
  TargetOptions,
} from "./props.ts";

/** CloudWatch Logs accepts these retention periods only. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

type Obj = Record<string, unknown>;

/** Collects problems with the path of the key at fault. */
export class Problems {
  readonly list: string[] = [];
  /** Keys a misspelt key was taken for: their own problems (missing) would only repeat it. */
  private readonly meant = new Set<string>();

  add(path: string, problem: string): void {
    if (this.meant.has(path)) return;
    this.list.push(`${path}: ${problem}`);
  }

  /** The object at `path`, or undefined; unknown keys are problems. */
  object(value: unknown, path: string, keys: readonly string[]): Obj | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "object" || Array.isArray(value)) {
      this.add(path, `expected a mapping with the keys ${keys.join(", ")}`);
      return undefined;
    }
    const given = Object.keys(value);
    for (const key of given) {
      if (!keys.includes(key)) {
        const near = nearName(
          key,
          keys.filter((k) => !given.includes(k)),
        );
        this.add(
          join(path, key),
          `unknown key; ${near ? `did you mean ${near}?` : `the keys here are ${keys.join(", ")}`}`,
        );
        if (near) this.meant.add(join(path, near));
      }
    }
    return value as Obj;
  }

  string(value: unknown, path: string, example: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value.trim() === "") {
      this.add(path, `expected text, e.g. ${example}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
      this.add(path, `${JSON.stringify(value)} is not one of ${choices.join(", ")}`);
      return undefined;
    }
    return value as T;
  }

  integer(value: unknown, path: string, min: number, max: number, why = ""): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || parseWholeNumber(value, min, max) === undefined) {
      this.add(path, `${JSON.stringify(value)}: give a whole number from ${min} to ${max}${why}`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") {
      this.add(path, `${JSON.stringify(value)}: write true or false`);
      return undefined;
    }
    return value;
  }

  arn(value: unknown, path: string, service: string, example: string): string | undefined {
    const text = this.string(value, path, example);
    if (text === undefined) return undefined;
    if (!new RegExp(`^arn:aws[a-z-]*:${service}:`).test(text)) {
      this.add(path, `${JSON.stringify(text)} is not a ${service} ARN; write e.g. ${example}`);
      return undefined;
    }
    return text;
  }

  /** A problem for each of `keys` that is set in `obj`. */
  notAllowed(obj: Obj, path: string, keys: readonly string[], why: string): void {
    for (const key of keys) if (obj[key] !== undefined) this.add(join(path, key), why);
  }

  throwIfAny(what: string): void {
    if (this.list.length === 0) return;
    throw new ConfigError(
      `${what} has ${this.list.length} problem${this.list.length === 1 ? "" : "s"}:\n${this.list
        .map((p) => `  - ${p}`)
        .join("\n")}`,
    );
  }
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

const PROPS_KEYS = [
  "source",
  "table",
  "stream",
  "function",
  "target",
  "mapping",
  "deadLetters",
  "alarms",
  "dataRemoval",
] as const;

/**
 * Checks options (of unknown shape: they may come from YAML) and returns them
 * typed, defaults not yet applied; throws one ConfigError listing every problem.
 */
export function checkProps(
  input: unknown,
  what = "the pipeline configuration",
): DynamoDbToCrateDbProps {
  const problems = new Problems();
  const props = readProps(input, "", problems);
  problems.throwIfAny(what);
  return props as DynamoDbToCrateDbProps;
}

/** Reads the construct's keys of `input` into `problems`; undefined when the shape is unusable. */
export function readProps(
  input: unknown,
  path: string,
  problems: Problems,
  extraKeys: readonly string[] = [],
): DynamoDbToCrateDbProps | undefined {
  const obj = problems.object(input, path || "(top level)", [...PROPS_KEYS, ...extraKeys]);
  if (!obj) {
    if (input === undefined || input === null) problems.add(path || "(top level)", "missing");
    return undefined;
  }
  const source =
    problems.oneOf(obj.source, join(path, "source"), ["kinesis", "dynamodb-streams"] as const) ??
    "kinesis";
  const table = readTable(obj.table, join(path, "table"), source, problems);
  let stream: StreamOptions | undefined;
  if (obj.stream !== undefined && source === "dynamodb-streams") {
    problems.add(
      join(path, "stream"),
      "a Kinesis stream is only used with source: kinesis; remove it, or set source: kinesis",
    );
  } else {
    stream = readStream(obj.stream, join(path, "stream"), problems);
  }
  const target = readTarget(obj.target, join(path, "target"), problems);
  const fn = readFunction(obj.function, join(path, "function"), target, problems);
  const mapping = readMapping(obj.mapping, join(path, "mapping"), source, stream, problems);
  const deadLetters = readDeadLetters(obj.deadLetters, join(path, "deadLetters"), problems);
  const alarms = readAlarms(obj.alarms, join(path, "alarms"), problems);
  const dataRemoval = problems.oneOf(obj.dataRemoval, join(path, "dataRemoval"), [
    "retain",
    "destroy",
  ] as const);
  if (!table || !target) return undefined;
  return {
    source,
    table,
    ...(stream ? { stream } : {}),
    function: fn,
    target,
    mapping,
    deadLetters,
    alarms,
    dataRemoval: dataRemoval ?? "retain",
  };
}

function readKey(value: unknown, path: string, problems: Problems): KeyAttribute | undefined {
  const obj = problems.object(value, path, ["name", "type"]);
  if (!obj) return undefined;
  const name = problems.string(obj.name, join(path, "name"), "id");
  const type = problems.oneOf(obj.type, join(path, "type"), ["S", "N", "B"] as const);
  if (obj.name === undefined) problems.add(join(path, "name"), "missing; e.g. name: id");
  if (obj.type === undefined) problems.add(join(path, "type"), "missing; write S, N or B");
  return name && type ? { name, type } : undefined;
}

function readTable(
  value: unknown,
  path: string,
  source: string,
  problems: Problems,
): TableOptions | undefined {
  if (value === undefined || value === null) {
    problems.add(
      path,
      "missing; give a new table (partitionKey: {name: id, type: S}) or an existing one (existing: <name or ARN>)",
    );
    return undefined;
  }
  const keys = [
    "name",
    "partitionKey",
    "sortKey",
    "billing",
    "ttlAttribute",
    "existing",
    "streamArn",
    "streamingEnabled",
  ];
  const obj = problems.object(value, path, keys);
  if (!obj) return undefined;
  const partitionKey =
    obj.partitionKey === undefined
      ? undefined
      : readKey(obj.partitionKey, join(path, "partitionKey"), problems);
  const sortKey =
    obj.sortKey === undefined ? undefined : readKey(obj.sortKey, join(path, "sortKey"), problems);
  if (sortKey && !partitionKey && obj.partitionKey === undefined) {
    problems.add(join(path, "sortKey"), "a sort key needs a partitionKey too");
  }
  if (sortKey && partitionKey && sortKey.name === partitionKey.name) {
    problems.add(join(path, "sortKey"), "names the same attribute as partitionKey");
  }
  const keyPart = { ...(partitionKey ? { partitionKey } : {}), ...(sortKey ? { sortKey } : {}) };

  if (obj.existing !== undefined) {
    const existing = problems.string(obj.existing, join(path, "existing"), "orders");
    problems.notAllowed(
      obj,
      path,
      ["name", "billing", "ttlAttribute"],
      "only for a table this stack creates; remove it, or remove table.existing",
    );
    const streamArn = problems.arn(
      obj.streamArn,
      join(path, "streamArn"),
      "dynamodb",
      "arn:aws:dynamodb:eu-central-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
    );
    if (source === "dynamodb-streams" && obj.streamArn === undefined) {
      problems.add(
        join(path, "streamArn"),
        "missing: with source: dynamodb-streams and an existing table, give its stream's ARN (aws dynamodb describe-table --table-name <name> --query Table.LatestStreamArn); the stream must have the NEW_AND_OLD_IMAGES view",
      );
    }
    if (source === "kinesis" && obj.streamArn !== undefined) {
      problems.add(
        join(path, "streamArn"),
        "only with source: dynamodb-streams; with Kinesis, set the stream under stream:",
      );
    }
    const streamingEnabled = problems.boolean(obj.streamingEnabled, join(path, "streamingEnabled"));
    if (source === "dynamodb-streams" && obj.streamingEnabled !== undefined) {
      problems.add(join(path, "streamingEnabled"), "only with source: kinesis; remove it");
    }
    if (!existing) return undefined;
    return {
      existing,
      ...keyPart,
      ...(streamArn ? { streamArn } : {}),
      ...(streamingEnabled !== undefined ? { streamingEnabled } : {}),
    };
  }

  problems.notAllowed(
    obj,
    path,
    ["streamArn", "streamingEnabled"],
    "only with table.existing; remove it for a new table",
  );
  if (obj.partitionKey === undefined) {
    problems.add(
      join(path, "partitionKey"),
      "missing; a new table needs one, e.g. partitionKey: {name: id, type: S} (or name an existing table with existing:)",
    );
  }
  const name = problems.string(obj.name, join(path, "name"), "orders");
  if (name !== undefined && !/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
    problems.add(
      join(path, "name"),
      `${JSON.stringify(name)}: DynamoDB table names are 3-255 characters of a-z, A-Z, 0-9, _ - .`,
    );
  }
  let billing: "on-demand" | { read: number; write: number } | undefined;
  if (obj.billing === "on-demand") billing = "on-demand";
  else if (obj.billing !== undefined) {
    const capacity = problems.object(obj.billing, join(path, "billing"), ["read", "write"]);
    const read = problems.integer(capacity?.read, join(path, "billing.read"), 1, 40_000);
    const write = problems.integer(capacity?.write, join(path, "billing.write"), 1, 40_000);
    if (capacity && (capacity.read === undefined || capacity.write === undefined)) {
      problems.add(
        join(path, "billing"),
        "write on-demand, or provisioned capacity as {read: 5, write: 5}",
      );
    }
    if (read && write) billing = { read, write };
  }
  const ttlAttribute = problems.string(obj.ttlAttribute, join(path, "ttlAttribute"), "expires_at");
  if (!partitionKey) return undefined;
  return {
    ...(name ? { name } : {}),
    partitionKey,
    ...(sortKey ? { sortKey } : {}),
    ...(billing ? { billing } : {}),
    ...(ttlAttribute ? { ttlAttribute } : {}),
  };
}

function readStream(value: unknown, path: string, problems: Problems): StreamOptions | undefined {
  const obj = problems.object(value, path, ["name", "shards", "retentionHours", "existingArn"]);
  if (!obj) return undefined;
  if (obj.existingArn !== undefined) {
    problems.notAllowed(
      obj,
      path,
      ["name", "shards", "retentionHours"],
      "only for a stream this stack creates; remove it, or remove stream.existingArn",
    );
    const existingArn = problems.arn(
      obj.existingArn,
      join(path, "existingArn"),
      "kinesis",
      "arn:aws:kinesis:eu-central-1:123456789012:stream/orders-cdc",
    );
    return existingArn ? { existingArn } : undefined;
  }
  const name = problems.string(obj.name, join(path, "name"), "orders-cdc");
  if (name !== undefined && !/^[a-zA-Z0-9_.-]{1,128}$/.test(name)) {
    problems.add(
      join(path, "name"),
      `${JSON.stringify(name)}: Kinesis stream names are 1-128 characters of a-z, A-Z, 0-9, _ - .`,
    );
  }
  let shards: "on-demand" | number | undefined;
  if (obj.shards === "on-demand") shards = "on-demand";
  else shards = problems.integer(obj.shards, join(path, "shards"), 1, 10_000, ", or on-demand");
  const retentionHours = problems.integer(
    obj.retentionHours,
    join(path, "retentionHours"),
    24,
    8760,
  );
  return {
    ...(name ? { name } : {}),
    ...(shards !== undefined ? { shards } : {}),
    ...(retentionHours !== undefined ? { retentionHours } : {}),
  };
}

function readTarget(value: unknown, path: string, problems: Problems): TargetOptions | undefined {
  if (value === undefined || value === null) {
    problems.add(
      path,
      "missing; give at least the table to replicate into: target: {table: orders}",
    );
    return undefined;
  }
  const obj = problems.object(value, path, [
    "table",
    "secretArn",
    "numbers",
    "sinkTimeoutMs",
    "sinkRetryAttempts",
    "refreshIntervalMs",
  ]);
  if (!obj) return undefined;
  const table = problems.string(obj.table, join(path, "table"), "transactions");
  if (obj.table === undefined)
    problems.add(join(path, "table"), "missing; the table to replicate into, e.g. transactions");
  if (table !== undefined) {
    try {
      parseTableName(table);
    } catch (error) {
      problems.add(join(path, "table"), (error as Error).message);
    }
  }
  const secretArn = problems.arn(
    obj.secretArn,
    join(path, "secretArn"),
    "secretsmanager",
    "arn:aws:secretsmanager:eu-central-1:123456789012:secret:cratedb-AbCdEf",
  );
  const numbers = problems.oneOf(obj.numbers, join(path, "numbers"), NUMBER_FORMATS);
  const sinkTimeoutMs = problems.integer(
    obj.sinkTimeoutMs,
    join(path, "sinkTimeoutMs"),
    100,
    300_000,
  );
  const sinkRetryAttempts = problems.integer(
    obj.sinkRetryAttempts,
    join(path, "sinkRetryAttempts"),
    1,
    20,
  );
  const refreshIntervalMs = problems.integer(
    obj.refreshIntervalMs,
    join(path, "refreshIntervalMs"),
    1,
    3_600_000,
  );
  if (!table) return undefined;
  return {
    table,
    ...(secretArn ? { secretArn } : {}),
    ...(numbers ? { numbers } : {}),
    ...(sinkTimeoutMs !== undefined ? { sinkTimeoutMs } : {}),
    ...(sinkRetryAttempts !== undefined ? { sinkRetryAttempts } : {}),
    ...(refreshIntervalMs !== undefined ? { refreshIntervalMs } : {}),
  };
}

function readFunction(
  value: unknown,
  path: string,
  target: TargetOptions | undefined,
  problems: Problems,
): FunctionOptions {
  const obj =
    problems.object(value, path, [
      "package",
      "bundleFile",
      "memoryMb",
      "timeoutSeconds",
      "reservedConcurrency",
      "architecture",
      "logRetentionDays",
      "logLevel",
    ]) ?? {};
  const pkg = problems.oneOf(obj.package, join(path, "package"), ["zip", "container"] as const);
  const bundleFile = problems.string(
    obj.bundleFile,
    join(path, "bundleFile"),
    "dist/lambda/index.mjs",
  );
  const memoryMb = problems.integer(obj.memoryMb, join(path, "memoryMb"), 128, 10_240);
  const minimum = minimumTimeoutSeconds(target?.sinkRetryAttempts, target?.sinkTimeoutMs);
  const timeoutSeconds = problems.integer(
    obj.timeoutSeconds,
    join(path, "timeoutSeconds"),
    minimum,
    900,
    ` (at least twice the sink's worst-case retry time plus 30 s, so Lambda never cuts a batch short; lower target.sinkTimeoutMs or target.sinkRetryAttempts to go lower)`,
  );
  if (timeoutSeconds === undefined && obj.timeoutSeconds === undefined && minimum > 900) {
    problems.add(
      "target",
      `sinkTimeoutMs x sinkRetryAttempts is too long for Lambda's 900 s limit (needs ${minimum} s); lower them`,
    );
  }
  const reservedConcurrency = problems.integer(
    obj.reservedConcurrency,
    join(path, "reservedConcurrency"),
    1,
    10_000,
  );
  const architecture = problems.oneOf(obj.architecture, join(path, "architecture"), [
    "arm64",
    "x86_64",
  ] as const);
  let logRetentionDays: number | undefined;
  if (obj.logRetentionDays !== undefined) {
    if (
      typeof obj.logRetentionDays === "number" &&
      (LOG_RETENTION_DAYS as readonly number[]).includes(obj.logRetentionDays)
    ) {
      logRetentionDays = obj.logRetentionDays;
    } else {
      problems.add(
        join(path, "logRetentionDays"),
        `${JSON.stringify(obj.logRetentionDays)}: CloudWatch Logs keeps logs for one of ${LOG_RETENTION_DAYS.join(", ")} days`,
      );
    }
  }
  const logLevel = problems.oneOf(obj.logLevel, join(path, "logLevel"), [
    "debug",
    "info",
    "warn",
    "error",
  ] as const);
  return {
    ...(pkg ? { package: pkg } : {}),
    ...(bundleFile ? { bundleFile } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
    ...(architecture ? { architecture } : {}),
    ...(logRetentionDays !== undefined ? { logRetentionDays } : {}),
    ...(logLevel ? { logLevel } : {}),
  };
}

function readMapping(
  value: unknown,
  path: string,
  source: string,
  stream: StreamOptions | undefined,
  problems: Problems,
): MappingOptions {
  const obj =
    problems.object(value, path, [
      "batchSize",
      "batchingWindowSeconds",
      "parallelizationFactor",
      "retryAttempts",
      "maxRecordAgeSeconds",
      "bisectOnError",
      "startingPosition",
    ]) ?? {};
  const kinesis = source === "kinesis";
  const batchSize = problems.integer(
    obj.batchSize,
    join(path, "batchSize"),
    1,
    kinesis ? 10_000 : 1000,
    kinesis ? "" : " (DynamoDB Streams batches hold at most 1000 records)",
  );
  const batchingWindowSeconds = problems.integer(
    obj.batchingWindowSeconds,
    join(path, "batchingWindowSeconds"),
    0,
    300,
  );
  const parallelizationFactor = problems.integer(
    obj.parallelizationFactor,
    join(path, "parallelizationFactor"),
    1,
    10,
  );
  let retryAttempts: number | undefined;
  if (obj.retryAttempts === -1) {
    problems.add(
      join(path, "retryAttempts"),
      "-1 retries forever, so one record that can never be applied blocks its shard; give a number from 0 to 10000",
    );
  } else {
    retryAttempts = problems.integer(obj.retryAttempts, join(path, "retryAttempts"), 0, 10_000);
  }
  const retentionSeconds =
    stream && "retentionHours" in stream && stream.retentionHours !== undefined
      ? stream.retentionHours * 3600
      : kinesis && stream && "existingArn" in stream
        ? 604_800
        : DEFAULTS.streamRetentionHours * 3600;
  const maxRecordAgeSeconds = problems.integer(
    obj.maxRecordAgeSeconds,
    join(path, "maxRecordAgeSeconds"),
    60,
    Math.min(604_800, retentionSeconds),
    " (and within the stream's retention: an older record is gone anyway)",
  );
  const bisectOnError = problems.boolean(obj.bisectOnError, join(path, "bisectOnError"));
  let startingPosition: StartingPosition | undefined;
  const position = obj.startingPosition;
  if (position === "trim-horizon" || position === "latest") startingPosition = position;
  else if (position !== undefined) {
    const at =
      typeof position === "object" && position !== null
        ? problems.object(position, join(path, "startingPosition"), ["timestamp"])
        : undefined;
    const text = at?.timestamp instanceof Date ? at.timestamp.toISOString() : at?.timestamp;
    if (typeof text === "string" && !Number.isNaN(Date.parse(text))) {
      if (kinesis) startingPosition = { timestamp: new Date(text).toISOString() };
      else
        problems.add(
          join(path, "startingPosition"),
          "AT_TIMESTAMP is for Kinesis only; with DynamoDB Streams use trim-horizon or latest",
        );
    } else {
      problems.add(
        join(path, "startingPosition"),
        `${JSON.stringify(position)}: write trim-horizon, latest, or {timestamp: 2026-01-31T12:00:00Z}`,
      );
    }
  }
  return {
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(batchingWindowSeconds !== undefined ? { batchingWindowSeconds } : {}),
    ...(parallelizationFactor !== undefined ? { parallelizationFactor } : {}),
    ...(retryAttempts !== undefined ? { retryAttempts } : {}),
    ...(maxRecordAgeSeconds !== undefined ? { maxRecordAgeSeconds } : {}),
    ...(bisectOnError !== undefined ? { bisectOnError } : {}),
    ...(startingPosition ? { startingPosition } : {}),
  };
}

function readDeadLetters(value: unknown, path: string, problems: Problems): DeadLetterOptions {
  const obj = problems.object(value, path, ["retentionDays"]) ?? {};
  const retentionDays = problems.integer(
    obj.retentionDays,
    join(path, "retentionDays"),
    1,
    14,
    " (SQS keeps messages at most 14 days)",
  );
  return retentionDays !== undefined ? { retentionDays } : {};
}

function readAlarms(value: unknown, path: string, problems: Problems): AlarmOptions {
  const obj = problems.object(value, path, ["topicArn", "iteratorAgeSeconds"]) ?? {};
  const topicArn = problems.arn(
    obj.topicArn,
    join(path, "topicArn"),
    "sns",
    "arn:aws:sns:eu-central-1:123456789012:ops-alerts",
  );
  const iteratorAgeSeconds = problems.integer(
    obj.iteratorAgeSeconds,
    join(path, "iteratorAgeSeconds"),
    1,
    604_800,
  );
  return {
    ...(topicArn ? { topicArn } : {}),
    ...(iteratorAgeSeconds !== undefined ? { iteratorAgeSeconds } : {}),
  };
}
