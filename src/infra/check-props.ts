// The construct's options as one schema (src/config-schema.ts), from
// TypeScript or from a YAML file, checked all at once: every problem is named
// by its key (`mapping.batchSize`) with the fix, and an unknown key is an
// error (a typo must not silently fall back to a default). The construct,
// `dynacrate synth` and the YAML file's JSON Schema share this one schema.

import * as v from "valibot";
import { NUMBER_FORMATS } from "../codec/decimal.ts";
import {
  arn,
  bool,
  check,
  configError,
  mapping,
  oneOf,
  rule,
  text,
  textLike,
  whole,
  wordOr,
} from "../config-schema.ts";
import { errorMessage } from "../error-text.ts";
import { HISTORY_PARTITIONS } from "../sql/history.ts";
import { parseTableName } from "../sql/table-name.ts";
import { DEFAULTS, minimumTimeoutSeconds } from "./defaults.ts";
import type { DynamoDbToCrateDbProps, StartingPosition } from "./props.ts";

/** CloudWatch Logs accepts these retention periods only. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const TIMESTAMP_EXAMPLE = "2026-01-31T12:00:00Z";

/** A DynamoDB table's or Kinesis stream's name: `min` to `max` of the same characters. */
function awsName(example: string, what: string, min: number, max: number) {
  return textLike(
    example,
    new RegExp(`^[a-zA-Z0-9_.-]{${min},${max}}$`),
    (issue) =>
      `${JSON.stringify(issue.input)}: ${what} names are ${min}-${max} characters of a-z, A-Z, 0-9, _ - .`,
  );
}

/** Rules refusing each of `keys` when `flag` is set (`refusedWithFlag`) or when it is not. */
function keysFor(flag: string, refusedWithFlag: boolean, keys: string[], message: string) {
  return keys.map((k) =>
    rule(
      [[flag], [k]],
      [k],
      (o) => o[k] === undefined || (o[flag] !== undefined) !== refusedWithFlag,
      message,
    ),
  );
}

const key = () =>
  mapping(
    { name: text("id"), type: oneOf(["S", "N", "B"]) },
    { missing: { name: "missing; e.g. name: id", type: "missing; write S, N or B" } },
  );

const TABLE = v.pipe(
  mapping(
    {
      name: v.optional(awsName("orders", "DynamoDB table", 3, 255)),
      partitionKey: v.optional(key()),
      sortKey: v.optional(key()),
      billing: v.optional(
        wordOr(
          ["on-demand"],
          mapping(
            { read: whole(1, 40_000), write: whole(1, 40_000) },
            {
              missing: {
                read: "write on-demand, or provisioned capacity as {read: 5, write: 5}",
                write: "write on-demand, or provisioned capacity as {read: 5, write: 5}",
              },
              notMapping: () => "write on-demand, or provisioned capacity as {read: 5, write: 5}",
            },
          ),
        ),
      ),
      ttlAttribute: v.optional(text("expires_at")),
      existing: v.optional(text("orders")),
      streamArn: v.optional(
        arn(
          "dynamodb",
          "arn:aws:dynamodb:eu-central-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000",
        ),
      ),
      streamingEnabled: v.optional(bool()),
    },
    {
      notMapping: (issue) =>
        issue.input === null
          ? TABLE_MISSING
          : "expected a mapping: a new table (partitionKey: {name: id, type: S}) or an existing one (existing: <name or ARN>)",
    },
  ),
  ...keysFor(
    "existing",
    true,
    ["name", "billing", "ttlAttribute"],
    "only for a table this stack creates; remove it, or remove table.existing",
  ),
  ...keysFor(
    "existing",
    false,
    ["streamArn", "streamingEnabled"],
    "only with table.existing; remove it for a new table",
  ),
  rule(
    [["existing"], ["partitionKey"]],
    ["partitionKey"],
    (t) => t.existing !== undefined || t.partitionKey !== undefined,
    "missing; a new table needs one, e.g. partitionKey: {name: id, type: S} (or name an existing table with existing:)",
  ),
  rule(
    [["existing"], ["partitionKey"], ["sortKey"]],
    ["sortKey"],
    (t) => t.existing === undefined || t.sortKey === undefined || t.partitionKey !== undefined,
    "a sort key needs a partitionKey too",
  ),
  rule(
    [["partitionKey"], ["sortKey"]],
    ["sortKey"],
    (t) => t.sortKey?.name === undefined || t.sortKey.name !== t.partitionKey?.name,
    "names the same attribute as partitionKey",
  ),
);

const TABLE_MISSING =
  "missing; give a new table (partitionKey: {name: id, type: S}) or an existing one (existing: <name or ARN>)";

const STREAM = v.pipe(
  mapping({
    name: v.optional(awsName("orders-cdc", "Kinesis stream", 1, 128)),
    shards: v.optional(wordOr(["on-demand"], whole(1, 10_000, ", or on-demand"))),
    retentionHours: v.optional(whole(24, 8760)),
    existingArn: v.optional(
      arn("kinesis", "arn:aws:kinesis:eu-central-1:123456789012:stream/orders-cdc"),
    ),
  }),
  ...keysFor(
    "existingArn",
    true,
    ["name", "shards", "retentionHours"],
    "only for a stream this stack creates; remove it, or remove stream.existingArn",
  ),
);

const TARGET_MISSING =
  "missing; give at least the table to replicate into: target: {table: orders}";

const TARGET = v.pipe(
  mapping(
    {
      table: v.pipe(
        text("transactions"),
        v.rawCheck(({ dataset, addIssue }) => {
          if (!dataset.typed) return;
          try {
            parseTableName(dataset.value);
          } catch (error) {
            addIssue({ message: errorMessage(error) });
          }
        }),
      ),
      secretArn: v.optional(
        arn(
          "secretsmanager",
          "arn:aws:secretsmanager:eu-central-1:123456789012:secret:cratedb-AbCdEf",
        ),
      ),
      numbers: v.optional(oneOf(NUMBER_FORMATS)),
      sinkTimeoutMs: v.optional(whole(100, 300_000)),
      sinkRetryAttempts: v.optional(whole(1, 20)),
      refreshIntervalMs: v.optional(whole(1, 3_600_000)),
      history: v.optional(bool()),
      historyPartition: v.optional(oneOf(HISTORY_PARTITIONS)),
    },
    {
      missing: { table: "missing; the table to replicate into, e.g. transactions" },
      notMapping: (issue) =>
        issue.input === null
          ? TARGET_MISSING
          : "expected a mapping with the keys table, secretArn, numbers, sinkTimeoutMs, sinkRetryAttempts, refreshIntervalMs, history, historyPartition",
    },
  ),
  rule(
    [["history"], ["historyPartition"]],
    ["historyPartition"],
    (t) => t.historyPartition === undefined || t.history === true,
    "partitions the table of history: true; set history: true, or remove it",
  ),
);

const TIMEOUT_WHY = ` (at least twice the sink's worst-case retry time plus 30 s, so Lambda never cuts a batch short; lower target.sinkTimeoutMs or target.sinkRetryAttempts to go lower)`;

const FUNCTION = mapping({
  package: v.optional(oneOf(["zip", "container"])),
  bundleFile: v.optional(text("dist/lambda/index.mjs")),
  memoryMb: v.optional(whole(128, 10_240)),
  // The lower bound follows the target's retries: a rule below.
  timeoutSeconds: v.optional(whole(1, 900, TIMEOUT_WHY)),
  reservedConcurrency: v.optional(whole(1, 10_000)),
  architecture: v.optional(oneOf(["arm64", "x86_64"])),
  logRetentionDays: v.optional(
    v.picklist(
      LOG_RETENTION_DAYS,
      (issue) =>
        `${JSON.stringify(issue.input)}: CloudWatch Logs keeps logs for one of ${LOG_RETENTION_DAYS.join(", ")} days`,
    ),
  ),
  logLevel: v.optional(oneOf(["debug", "info", "warn", "error"])),
});

const RECORD_AGE_WHY = " (and within the stream's retention: an older record is gone anyway)";

const MAPPING = mapping({
  // DynamoDB Streams allow 1000 at most: a rule below.
  batchSize: v.optional(whole(1, 10_000)),
  batchingWindowSeconds: v.optional(whole(0, 300)),
  parallelizationFactor: v.optional(whole(1, 10)),
  retryAttempts: v.optional(
    v.pipe(
      v.unknown(),
      v.check(
        (value) => value !== -1,
        "-1 retries forever, so one record that can never be applied blocks its shard; give a number from 0 to 10000",
      ),
      whole(0, 10_000),
    ),
  ),
  // The stream's retention bounds it too: a rule below.
  maxRecordAgeSeconds: v.optional(whole(60, 604_800, RECORD_AGE_WHY)),
  bisectOnError: v.optional(bool()),
  startingPosition: v.optional(
    wordOr(
      ["trim-horizon", "latest"],
      mapping(
        {
          timestamp: v.pipe(
            v.string(
              (issue) =>
                `${JSON.stringify(issue.input)}: write a time such as ${TIMESTAMP_EXAMPLE}`,
            ),
            v.check(
              (at) => !Number.isNaN(Date.parse(at)),
              (issue) =>
                `${JSON.stringify(issue.input)}: write a time such as ${TIMESTAMP_EXAMPLE}`,
            ),
          ),
        },
        {
          notMapping: (issue) =>
            `${JSON.stringify(issue.input)}: write trim-horizon, latest, or {timestamp: ${TIMESTAMP_EXAMPLE}}`,
        },
      ),
    ),
  ),
});

const DEAD_LETTERS = mapping({
  retentionDays: v.optional(whole(1, 14, " (SQS keeps messages at most 14 days)")),
});

const ALARMS = mapping({
  topicArn: v.optional(arn("sns", "arn:aws:sns:eu-central-1:123456789012:ops-alerts")),
  iteratorAgeSeconds: v.optional(whole(1, 604_800)),
});

/** The construct's keys; the YAML file adds its own (pipe-config.ts). */
export const PROPS_ENTRIES = {
  source: v.optional(oneOf(["kinesis", "dynamodb-streams"])),
  table: TABLE,
  stream: v.nullish(STREAM),
  function: v.nullish(FUNCTION),
  target: TARGET,
  mapping: v.nullish(MAPPING),
  deadLetters: v.nullish(DEAD_LETTERS),
  alarms: v.nullish(ALARMS),
  dataRemoval: v.optional(oneOf(["retain", "destroy"])),
};

export const PROPS_MISSING = { table: TABLE_MISSING, target: TARGET_MISSING };

type Section = Record<string, unknown> | null | undefined;
/** The keys as far as they are checked. */
interface Input {
  source?: string;
  table?: Section;
  stream?: Section;
  function?: Section;
  target?: Section;
  mapping?: Section;
}
const streams = (p: Input) => p.source === "dynamodb-streams";

/** What the construct's keys require of one another. */
export const PROPS_RULES = [
  rule(
    [["source"], ["stream"]],
    ["stream"],
    (p: Input) => !streams(p) || p.stream == null,
    "a Kinesis stream is only used with source: kinesis; remove it, or set source: kinesis",
  ),
  rule(
    [["source"], ["table", "existing"], ["table", "streamArn"]],
    ["table", "streamArn"],
    (p: Input) => !streams(p) || p.table?.existing === undefined || p.table.streamArn !== undefined,
    "missing: with source: dynamodb-streams and an existing table, give its stream's ARN (aws dynamodb describe-table --table-name <name> --query Table.LatestStreamArn); the stream must have the NEW_AND_OLD_IMAGES view",
  ),
  rule(
    [["source"], ["table", "existing"], ["table", "streamArn"]],
    ["table", "streamArn"],
    (p: Input) => streams(p) || p.table?.existing === undefined || p.table.streamArn === undefined,
    "only with source: dynamodb-streams; with Kinesis, set the stream under stream:",
  ),
  rule(
    [["source"], ["table", "streamingEnabled"]],
    ["table", "streamingEnabled"],
    (p: Input) => !streams(p) || p.table?.streamingEnabled === undefined,
    "only with source: kinesis; remove it",
  ),
  rule(
    [["source"], ["mapping", "batchSize"]],
    ["mapping", "batchSize"],
    (p: Input) => !streams(p) || ((p.mapping?.batchSize as number | undefined) ?? 0) <= 1000,
    (p: Input) =>
      `${p.mapping?.batchSize}: give a whole number from 1 to 1000 (DynamoDB Streams batches hold at most 1000 records)`,
  ),
  rule(
    [["source"], ["mapping", "startingPosition"]],
    ["mapping", "startingPosition"],
    (p: Input) => !streams(p) || typeof p.mapping?.startingPosition !== "object",
    "AT_TIMESTAMP is for Kinesis only; with DynamoDB Streams use trim-horizon or latest",
  ),
  rule(
    [
      ["function", "timeoutSeconds"],
      ["target", "sinkTimeoutMs"],
      ["target", "sinkRetryAttempts"],
    ],
    ["function", "timeoutSeconds"],
    (p: Input) =>
      p.function?.timeoutSeconds === undefined ||
      (p.function.timeoutSeconds as number) >= minimumOf(p),
    (p: Input) =>
      `${p.function?.timeoutSeconds}: give a whole number from ${minimumOf(p)} to 900${TIMEOUT_WHY}`,
  ),
  rule(
    [
      ["function", "timeoutSeconds"],
      ["target", "sinkTimeoutMs"],
      ["target", "sinkRetryAttempts"],
    ],
    ["target"],
    (p: Input) => p.function?.timeoutSeconds !== undefined || minimumOf(p) <= 900,
    (p: Input) =>
      `sinkTimeoutMs x sinkRetryAttempts is too long for Lambda's 900 s limit (needs ${minimumOf(p)} s); lower them`,
  ),
  rule(
    [["source"], ["stream"], ["mapping", "maxRecordAgeSeconds"]],
    ["mapping", "maxRecordAgeSeconds"],
    (p: Input) =>
      p.mapping?.maxRecordAgeSeconds === undefined ||
      (p.mapping.maxRecordAgeSeconds as number) <= maxRecordAgeOf(p),
    (p: Input) =>
      `${p.mapping?.maxRecordAgeSeconds}: give a whole number from 60 to ${maxRecordAgeOf(p)}${RECORD_AGE_WHY}`,
  ),
];

function minimumOf(p: Input): number {
  return minimumTimeoutSeconds(
    p.target?.sinkRetryAttempts as number | undefined,
    p.target?.sinkTimeoutMs as number | undefined,
  );
}

/** A record older than the stream keeps records is gone anyway. */
function maxRecordAgeOf(p: Input): number {
  const stream = p.stream ?? undefined;
  const retentionSeconds =
    stream?.retentionHours !== undefined
      ? (stream.retentionHours as number) * 3600
      : !streams(p) && stream?.existingArn !== undefined
        ? 604_800
        : DEFAULTS.streamRetentionHours * 3600;
  return Math.min(604_800, retentionSeconds);
}

const PROPS = v.pipe(
  mapping(PROPS_ENTRIES, {
    missing: PROPS_MISSING,
    notMapping: (issue) => (issue.input == null ? "missing" : undefined),
  }),
  ...PROPS_RULES,
);

/**
 * Checks options (of unknown shape: they may come from YAML) and returns them
 * typed, defaults not yet applied; throws one ConfigError listing every problem.
 */
export function checkProps(
  input: unknown,
  what = "the pipeline configuration",
): DynamoDbToCrateDbProps {
  const result = check(PROPS, input);
  if (!result.ok) throw configError((count) => `${what} has ${count}`, result.problems);
  return propsOf(result.value);
}

/** The checked keys as the construct's props: sections always present, the source and data removal decided. */
export function propsOf(checked: Record<string, unknown>): DynamoDbToCrateDbProps {
  const c = checked as unknown as DynamoDbToCrateDbProps & { [key: string]: unknown };
  const mapping = { ...(c.mapping ?? {}) };
  const position = mapping.startingPosition as StartingPosition | undefined;
  if (typeof position === "object")
    mapping.startingPosition = { timestamp: new Date(position.timestamp).toISOString() };
  return {
    source: c.source ?? "kinesis",
    table: c.table,
    ...(c.stream ? { stream: c.stream } : {}),
    function: c.function ?? {},
    target: c.target,
    mapping,
    deadLetters: c.deadLetters ?? {},
    alarms: c.alarms ?? {},
    dataRemoval: c.dataRemoval ?? "retain",
  };
}
