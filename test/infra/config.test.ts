// The YAML configuration of `dynacrate synth | deploy | destroy`: the example
// reads as the reference walk-through's stack, and each kind of mistake gets
// one clear error that names the key and the fix.

import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.ts";
import { minimumTimeoutSeconds } from "../../src/infra/defaults.ts";
import { parsePipeConfig, readPipeConfig } from "../../src/infra/pipe-config.ts";
import { EXAMPLE } from "./variants.ts";

const BASE = `project: orders
stage: dev
table:
  partitionKey: { name: id, type: S }
target:
  table: orders
`;

function problems(text: string): string {
  try {
    parsePipeConfig(text, "pipe.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("the configuration was accepted");
}

describe("the example configuration", () => {
  it("is the reference walk-through's stack: testdrive-dynamodb-dev, its table and stream, into transactions", () => {
    const config = readPipeConfig(EXAMPLE);
    expect(config.stackName).toBe("testdrive-dynamodb-dev");
    expect(config.region).toBe("eu-central-1");
    expect(config.props.source).toBe("kinesis");
    expect(config.props.table).toEqual({
      name: "table-testdrive",
      partitionKey: { name: "device", type: "S" },
      sortKey: { name: "timestamp", type: "S" },
    });
    expect(config.props.stream).toEqual({ name: "dynamodb-cdc" });
    expect(config.props.target).toEqual({ table: "transactions" });
    expect(config.props.mapping).toEqual({ batchSize: 2500, startingPosition: "trim-horizon" });
  });

  it("a minimal file takes every default", () => {
    const config = parsePipeConfig(BASE, "pipe.yaml");
    expect(config.stackName).toBe("orders-dev");
    expect(config.region).toBeUndefined();
    expect(config.props.dataRemoval).toBe("retain");
  });
});

describe("a bad configuration gets one error naming the key and the fix", () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      "a misspelt key",
      `${BASE}mapping: { batchsize: 10 }\n`,
      /mapping\.batchsize: unknown key; did you mean batchSize\?/,
    ],
    [
      "a misspelt nested key: the key meant, and no follow-on 'missing'",
      BASE.replace("partitionKey", "partitonKey"),
      /table\.partitonKey: unknown key; did you mean partitionKey\?$/,
    ],
    [
      "a mis-indented key that YAML reads into the line before: blamed there",
      BASE.replace("stage: dev\n", "stage:\n  region eu-west-1\n"),
      /^pipe\.yaml has 1 problem:\n {2}- stage: "region eu-west-1" holds characters a stack name can not .* start it where stage: starts \(e\.g\. region: eu-west-1\)$/,
    ],
    [
      "a key type that DynamoDB does not have",
      BASE.replace("type: S", "type: X"),
      /table\.partitionKey\.type: "X" is not one of S, N, B/,
    ],
    [
      "no project",
      BASE.replace("project: orders\n", ""),
      /project: missing; the stack is named <project>-<stage>/,
    ],
    [
      "no target table",
      BASE.replace("  table: orders\n", ""),
      /target: missing; give at least the table to replicate into/,
    ],
    [
      "no table at all",
      BASE.replace(/table:\n {2}partitionKey.*\n/, ""),
      /^ {2}- table: missing; give a new table/m,
    ],
    [
      "retrying forever",
      `${BASE}mapping: { retryAttempts: -1 }\n`,
      /mapping\.retryAttempts: -1 retries forever, so one record that can never be applied blocks its shard/,
    ],
    [
      "a DynamoDB Streams batch over 1000",
      `${BASE}source: dynamodb-streams\nmapping: { batchSize: 2500 }\n`,
      /mapping\.batchSize: 2500: give a whole number from 1 to 1000 \(DynamoDB Streams batches hold at most 1000 records\)/,
    ],
    [
      "a Kinesis stream with DynamoDB Streams",
      `${BASE}source: dynamodb-streams\nstream: { name: s }\n`,
      /stream: a Kinesis stream is only used with source: kinesis/,
    ],
    [
      "an existing table without its stream ARN",
      `project: p\nstage: s\nsource: dynamodb-streams\ntable: { existing: orders }\ntarget: { table: t }\n`,
      /table\.streamArn: missing: with source: dynamodb-streams and an existing table, give its stream's ARN/,
    ],
    [
      "a timeout the sink's retries outlast",
      `${BASE}function: { timeoutSeconds: 3 }\n`,
      new RegExp(
        `function\\.timeoutSeconds: 3: give a whole number from ${minimumTimeoutSeconds()} to 900 \\(at least twice the sink's worst-case retry time`,
      ),
    ],
    [
      "an unknown source",
      `${BASE}source: kafka\n`,
      /source: "kafka" is not one of kinesis, dynamodb-streams/,
    ],
    [
      "a secret that is not a Secrets Manager ARN",
      BASE.replace("  table: orders\n", "  table: orders\n  secretArn: crate://u:p@h\n"),
      /target\.secretArn: "crate:\/\/u:p@h" is not a secretsmanager ARN/,
    ],
    [
      "an account id YAML read as a number",
      `${BASE}account: 012345678901\n`,
      /account: 12345678901: an AWS account id is 12 digits; quote it/,
    ],
    [
      "a region that is not one",
      `${BASE}region: Frankfurt\n`,
      /region: "Frankfurt" is not an AWS Region; write e\.g\. eu-central-1/,
    ],
    [
      "a log retention CloudWatch does not offer",
      `${BASE}function: { logRetentionDays: 10 }\n`,
      /function\.logRetentionDays: 10: CloudWatch Logs keeps logs for one of 1, 3, 5, 7, 14/,
    ],
    [
      "a starting position that is not one",
      `${BASE}mapping: { startingPosition: yesterday }\n`,
      /mapping\.startingPosition: "yesterday": write trim-horizon, latest, or \{timestamp: /,
    ],
    [
      "a history partition without the history",
      `${BASE.replace("  table: orders", "  table: orders\n  historyPartition: day")}`,
      /target\.historyPartition: partitions the table of history: true; set history: true, or remove it/,
    ],
    [
      "a history partition that is not one",
      `${BASE.replace("  table: orders", "  table: orders\n  history: true\n  historyPartition: week")}`,
      /target\.historyPartition: "week"/,
    ],
    [
      "a record age beyond the stream's retention",
      `${BASE}mapping: { maxRecordAgeSeconds: 200000 }\n`,
      /mapping\.maxRecordAgeSeconds: 200000: give a whole number from 60 to 86400 \(and within the stream's retention/,
    ],
    [
      "a key only a new table takes, on an existing table",
      `project: p\nstage: s\ntable: { existing: orders, billing: on-demand }\ntarget: { table: t }\n`,
      /table\.billing: only for a table this stack creates; remove it, or remove table\.existing/,
    ],
    [
      "a stream ARN on a new table",
      BASE.replace(
        "type: S }",
        "type: S }\n  streamArn: arn:aws:dynamodb:eu-central-1:1:table/t/stream/x",
      ),
      /table\.streamArn: only with table\.existing; remove it for a new table/,
    ],
    [
      "shards of a stream that exists",
      `${BASE}stream: { existingArn: "arn:aws:kinesis:eu-central-1:123456789012:stream/s", shards: 2 }\n`,
      /stream\.shards: only for a stream this stack creates; remove it, or remove stream\.existingArn/,
    ],
    [
      "a sort key naming the partition key",
      BASE.replace("type: S }", "type: S }\n  sortKey: { name: id, type: N }"),
      /table\.sortKey: names the same attribute as partitionKey/,
    ],
    [
      "a list where a mapping belongs",
      `${BASE}alarms: [ops]\n`,
      /alarms: expected a mapping with the keys topicArn, iteratorAgeSeconds/,
    ],
    [
      "provisioned capacity without its write capacity",
      BASE.replace("type: S }", "type: S }\n  billing: { read: 5 }"),
      /table\.billing\.write: write on-demand, or provisioned capacity as \{read: 5, write: 5\}/,
    ],
  ];
  it.each(cases)("%s", (_name, text, expected) => {
    const message = problems(text);
    expect(message).toMatch(expected);
    // One problem, one line: nothing else is blamed.
    expect(message).toMatch(/^pipe\.yaml has 1 problem:\n {2}- [^\n]+$/);
  });

  it("every problem of a file is listed at once", () => {
    const message = problems(
      `project: p\nstage: s\ntable: { partitionKey: { name: id, type: Q } }\nmapping: { batchsize: 3, retryAttempts: -1 }\ntarget: {}\n`,
    );
    expect(message).toMatch(/^pipe\.yaml has 4 problems:/);
  });

  it("every unknown key of one mapping is named", () => {
    const message = problems(`${BASE}mapping: { batchsize: 3, retryattempts: 2, colour: red }\n`);
    expect(message.split("\n").slice(1)).toEqual([
      "  - mapping.batchsize: unknown key; did you mean batchSize?",
      "  - mapping.retryattempts: unknown key; did you mean retryAttempts?",
      "  - mapping.colour: unknown key; the keys here are batchSize, batchingWindowSeconds, parallelizationFactor, retryAttempts, maxRecordAgeSeconds, bisectOnError, startingPosition",
    ]);
  });

  it("text that is not YAML says so, with the place and the line", () => {
    expect(() => parsePipeConfig("project: [unclosed\n", "pipe.yaml")).toThrow(
      /pipe\.yaml is not valid YAML: /,
    );
    expect(() =>
      parsePipeConfig(BASE.replace("target:\n  table", " target:\n  table"), "pipe.yaml"),
    ).toThrow(
      'pipe.yaml is not valid YAML: All mapping items must start at the same column (line 5, column 1: " target:")',
    );
  });

  it("a missing file is named with its path", () => {
    expect(() => readPipeConfig("/nonexistent/pipe.yaml")).toThrow(
      /configuration file \/nonexistent\/pipe\.yaml can not be read \(ENOENT\)/,
    );
  });
});
