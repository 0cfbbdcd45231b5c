// The DynamoDbToCrateDb construct, synthesized offline (no AWS account, no
// Docker, no network) for the zip and container variants x Kinesis and
// DynamoDB Streams; aws-cdk-lib's assertions on every resource and the
// properties that make the pipeline safe: MICROSECOND timestamps, partial
// batch responses, finite retries, dead-letter and on-failure queues wired,
// alarms, least privilege, and no secret in the template.

import { Match } from "aws-cdk-lib/assertions";
import { afterAll, describe, expect, it } from "vitest";
import { minimumTimeoutSeconds } from "../../src/infra/defaults.ts";
import { LAMBDA_NODE_MAJOR } from "../../src/node-versions.ts";
import {
  removeOutdirs,
  type Synthesized,
  synth,
  synthVariant,
  VARIANTS,
  variantConfig,
} from "./variants.ts";

afterAll(removeOutdirs);

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };
const resources = (s: Synthesized) => (s.json.Resources ?? {}) as Record<string, Resource>;
const logicalId = (s: Synthesized, type: string, idPart: string): string => {
  const id = Object.keys(resources(s)).find(
    (key) => resources(s)[key]?.Type === type && key.includes(idPart),
  );
  if (!id) throw new Error(`no ${type} with ${idPart} in its logical id`);
  return id;
};

const KINESIS_TYPES = {
  "AWS::CloudWatch::Alarm": 6,
  "AWS::CloudWatch::Dashboard": 1,
  "AWS::DynamoDB::Table": 1,
  "AWS::IAM::Policy": 1,
  "AWS::IAM::Role": 1,
  "AWS::Kinesis::Stream": 1,
  "AWS::Lambda::EventSourceMapping": 1,
  "AWS::Lambda::Function": 1,
  "AWS::Logs::LogGroup": 1,
  "AWS::SQS::Queue": 2,
  "AWS::SQS::QueuePolicy": 2,
  "AWS::SecretsManager::Secret": 1,
};
// DynamoDB Streams: no Kinesis stream, and no alarm on replication into it.
const { "AWS::Kinesis::Stream": _stream, ...STREAMS_TYPES } = {
  ...KINESIS_TYPES,
  "AWS::CloudWatch::Alarm": 5,
};
const EXPECTED_TYPES = { kinesis: KINESIS_TYPES, "dynamodb-streams": STREAMS_TYPES };

describe.each(VARIANTS)("the %s stack", (variant) => {
  const [pkg, source] = variant.split("/") as ["zip" | "container", "kinesis" | "dynamodb-streams"];
  const kinesis = source === "kinesis";
  const get = () => synthVariant(variant);

  it("holds exactly the expected resources", async () => {
    const s = await get();
    const counts: Record<string, number> = {};
    for (const r of Object.values(resources(s))) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    expect(counts).toEqual(EXPECTED_TYPES[source]);
  });

  it("the table streams its changes the way the apply pipeline needs", async () => {
    const { template } = await get();
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "table-testdrive",
      KeySchema: [
        { AttributeName: "device", KeyType: "HASH" },
        { AttributeName: "timestamp", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      ...(kinesis
        ? {
            KinesisStreamSpecification: {
              ApproximateCreationDateTimePrecision: "MICROSECOND",
              StreamArn: { "Fn::GetAtt": [Match.stringLikeRegexp("Stream"), "Arn"] },
            },
            StreamSpecification: Match.absent(),
          }
        : {
            StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
            KinesisStreamSpecification: Match.absent(),
          }),
    });
    if (kinesis) {
      template.hasResourceProperties("AWS::Kinesis::Stream", {
        Name: "dynamodb-cdc",
        StreamModeDetails: { StreamMode: "ON_DEMAND" },
        StreamEncryption: { EncryptionType: "KMS", KeyId: "alias/aws/kinesis" },
        RetentionPeriodHours: 24,
      });
    }
  });

  it("the event source mapping reports partial failures, retries a finite number of times, and sends what it gives up on to the on-failure queue", async () => {
    const s = await get();
    const onFailure = logicalId(s, "AWS::SQS::Queue", "OnFailure");
    s.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86_400,
      ParallelizationFactor: 1,
      BatchSize: kinesis ? 2500 : 1000,
      MaximumBatchingWindowInSeconds: 1,
      StartingPosition: "TRIM_HORIZON",
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [onFailure, "Arn"] } } },
      EventSourceArn: kinesis
        ? { "Fn::GetAtt": [logicalId(s, "AWS::Kinesis::Stream", "Stream"), "Arn"] }
        : { "Fn::GetAtt": [logicalId(s, "AWS::DynamoDB::Table", "Table"), "StreamArn"] },
    });
    const mapping = Object.values(resources(s)).find(
      (r) => r.Type === "AWS::Lambda::EventSourceMapping",
    );
    const retries = mapping?.Properties?.MaximumRetryAttempts as number;
    expect(retries).toBeGreaterThanOrEqual(0);
  });

  it("the function reads its database from the secret, sends dead letters to its queue, and outlasts the sink's retries", async () => {
    const s = await get();
    const secret = logicalId(s, "AWS::SecretsManager::Secret", "TargetSecret");
    const deadLetters = logicalId(s, "AWS::SQS::Queue", "DeadLetters");
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Architectures: ["arm64"],
      MemorySize: 1024,
      Timeout: 300,
      Environment: {
        Variables: {
          TARGET_SECRET_ARN: { Ref: secret },
          TARGET_TABLE: "transactions",
          DEAD_LETTER_URL: { Ref: deadLetters },
          KEY_SCHEMA: "device:S,timestamp:S",
        },
      },
      ...(pkg === "zip"
        ? {
            Runtime: `nodejs${LAMBDA_NODE_MAJOR}.x`,
            Handler: "index.handler",
            Code: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp("\\.zip$") },
          }
        : {
            PackageType: "Image",
            Code: { ImageUri: Match.anyValue() },
            Runtime: Match.absent(),
          }),
    });
    expect(300).toBeGreaterThanOrEqual(minimumTimeoutSeconds());
    s.template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("keeps no secret in the template: the secret's value is generated by AWS, never written", async () => {
    const s = await get();
    s.template.hasResourceProperties("AWS::SecretsManager::Secret", {
      SecretString: Match.absent(),
      GenerateSecretString: Match.anyValue(),
    });
    const text = JSON.stringify(s.json);
    // No URL with credentials, no password-like key, no plaintext secret property anywhere.
    expect(text).not.toMatch(/[a-z]+:\/\/[^/"\s:@]+:[^/"\s@]+@/i);
    expect(text).not.toMatch(/"(SecretString|Password|MasterUserPassword)"/);
    for (const fn of Object.values(resources(s)).filter(
      (r) => r.Type === "AWS::Lambda::Function",
    )) {
      const vars =
        (fn.Properties?.Environment as { Variables: Record<string, unknown> } | undefined)
          ?.Variables ?? {};
      expect(Object.keys(vars)).not.toContain("TARGET_URL");
      expect(Object.keys(vars)).not.toContain("CRATEDB_SQLALCHEMY_URL");
    }
  });

  it("both queues are encrypted, refuse plain HTTP, and keep messages 14 days", async () => {
    const { template } = await get();
    template.resourcePropertiesCountIs(
      "AWS::SQS::Queue",
      { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 },
      2,
    );
    template.resourcePropertiesCountIs(
      "AWS::SQS::QueuePolicy",
      {
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Effect: "Deny",
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            }),
          ],
        },
      },
      2,
    );
  });

  it("alarms on lag, function errors and throttles, both queues and (Kinesis) failed replication; a dashboard shows the function's metrics", async () => {
    const s = await get();
    const alarms = Object.values(resources(s)).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    const names = alarms.map((a) =>
      a.Properties?.MetricName ? a.Properties.MetricName : JSON.stringify(a.Properties?.Metrics),
    );
    expect(names.filter((n) => n === "IteratorAge")).toHaveLength(1);
    expect(names.filter((n) => n === "Errors")).toHaveLength(1);
    expect(names.filter((n) => n === "Throttles")).toHaveLength(1);
    expect(names.filter((n) => n === "ApproximateNumberOfMessagesVisible")).toHaveLength(2);
    expect(names.filter((n) => String(n).includes("FailedToReplicateRecordCount"))).toHaveLength(
      kinesis ? 1 : 0,
    );
    for (const alarm of alarms) {
      expect(alarm.Properties?.TreatMissingData).toBe("notBreaching");
      expect(String(alarm.Properties?.AlarmDescription).length).toBeGreaterThan(20);
    }
    const body = JSON.stringify(
      Object.values(resources(s)).find((r) => r.Type === "AWS::CloudWatch::Dashboard")?.Properties,
    );
    for (const metric of [
      "Records",
      "Applied",
      "Superseded",
      "Stale",
      "Duplicates",
      "Failed",
      "LagMs",
      "IteratorAge",
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain('\\"dynacrate\\"');
  });

  it("grants least privilege: the function may read its secret and nothing else, and no managed policy", async () => {
    const s = await get();
    const secret = logicalId(s, "AWS::SecretsManager::Secret", "TargetSecret");
    const role = Object.values(resources(s)).find((r) => r.Type === "AWS::IAM::Role");
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
    const statements = Object.values(resources(s))
      .filter((r) => r.Type === "AWS::IAM::Policy")
      .flatMap(
        (p) =>
          (p.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
      );
    const actions = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
    for (const st of statements) {
      expect(st.Effect).toBe("Allow");
      for (const action of actions(st)) expect(action).not.toMatch(/\*/);
      if (actions(st).some((a) => a.startsWith("secretsmanager:"))) {
        expect(st.Resource).toEqual({ Ref: secret });
        expect(actions(st).sort()).toEqual([
          "secretsmanager:DescribeSecret",
          "secretsmanager:GetSecretValue",
        ]);
      }
      if (st.Resource === "*") expect(actions(st)).toEqual(["dynamodb:ListStreams"]);
      for (const action of actions(st)) {
        expect(action).toMatch(/^(secretsmanager|sqs|kinesis|dynamodb|logs):/);
      }
    }
    const secretStatements = statements.filter((st) =>
      actions(st).some((a) => a.startsWith("secretsmanager:")),
    );
    expect(secretStatements).toHaveLength(1);
    // The function reads a Kinesis stream's retention to keep tombstones at least that long.
    const readsStream = statements.find((st) => actions(st).includes("kinesis:GetRecords"));
    if (source === "kinesis")
      expect(actions(readsStream as Statement)).toContain("kinesis:DescribeStreamSummary");
    else expect(readsStream).toBeUndefined();
  });

  it("keeps what holds data when the stack is destroyed", async () => {
    const s = await get();
    for (const type of [
      "AWS::DynamoDB::Table",
      "AWS::SQS::Queue",
      "AWS::SecretsManager::Secret",
      "AWS::Logs::LogGroup",
      ...(kinesis ? ["AWS::Kinesis::Stream"] : []),
    ]) {
      const held = Object.values(resources(s)).filter((r) => r.Type === type);
      expect(held.length).toBeGreaterThan(0);
      for (const r of held) expect(r.DeletionPolicy, type).toBe("Retain");
    }
  });
});

describe("options", () => {
  it("dataRemoval: destroy deletes the data holders with the stack; an existing secret is referenced, not created; alarms notify the given topic", async () => {
    const base = variantConfig("zip/kinesis");
    const secretArn = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:cratedb-AbCdEf";
    const topicArn = "arn:aws:sns:eu-central-1:123456789012:ops-alerts";
    const s = await synth("options", {
      ...base,
      props: {
        ...base.props,
        dataRemoval: "destroy",
        target: { ...base.props.target, secretArn },
        mapping: {
          parallelizationFactor: 4,
          startingPosition: { timestamp: "2026-01-31T12:00:00.000Z" },
          retryAttempts: 0,
        },
        function: { architecture: "x86_64", reservedConcurrency: 5, timeoutSeconds: 600 },
        alarms: { topicArn },
      },
    });
    const alarms = Object.values(resources(s)).filter((r) => r.Type === "AWS::CloudWatch::Alarm");
    expect(alarms).toHaveLength(6);
    for (const alarm of alarms) expect(alarm.Properties?.AlarmActions).toEqual([topicArn]);
    for (const type of ["AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Kinesis::Stream"]) {
      for (const r of Object.values(resources(s)).filter((x) => x.Type === type))
        expect(r.DeletionPolicy, type).toBe("Delete");
    }
    s.template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ TARGET_SECRET_ARN: secretArn }) },
      Architectures: ["x86_64"],
      ReservedConcurrentExecutions: 5,
      Timeout: 600,
    });
    s.template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: secretArn,
          }),
        ]),
      },
    });
    s.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ParallelizationFactor: 4,
      StartingPosition: "AT_TIMESTAMP",
      StartingPositionTimestamp: Date.parse("2026-01-31T12:00:00Z") / 1000,
      MaximumRetryAttempts: 0,
    });
  });

  it("target.refreshIntervalMs reaches the function as SINK_REFRESH_INTERVAL_MS", async () => {
    const base = variantConfig("zip/kinesis");
    const s = await synth("refresh-interval", {
      ...base,
      props: { ...base.props, target: { ...base.props.target, refreshIntervalMs: 200 } },
    });
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ SINK_REFRESH_INTERVAL_MS: "200" }) },
    });
  });

  it("target.history and target.historyPartition reach the function as HISTORY and HISTORY_PARTITION", async () => {
    const base = variantConfig("zip/kinesis");
    const s = await synth("history", {
      ...base,
      props: {
        ...base.props,
        target: { ...base.props.target, history: true, historyPartition: "day" },
      },
    });
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ HISTORY: "true", HISTORY_PARTITION: "day" }),
      },
    });
  });

  it("an existing table gets its Kinesis streaming destination switched on with MICROSECOND precision at deployment", async () => {
    const base = variantConfig("zip/kinesis");
    const s = await synth("existing-table", {
      ...base,
      props: {
        ...base.props,
        table: { existing: "orders", partitionKey: { name: "id", type: "S" } },
      },
    });
    s.template.resourceCountIs("AWS::DynamoDB::Table", 0);
    const custom = Object.values(resources(s)).find((r) => r.Type === "Custom::AWS");
    const create = JSON.stringify(custom?.Properties?.Create);
    expect(create).toContain("EnableKinesisStreamingDestination");
    expect(create).toContain('\\"ApproximateCreationDateTimePrecision\\":\\"MICROSECOND\\"');
    expect(JSON.stringify(custom?.Properties?.Delete)).toContain(
      "DisableKinesisStreamingDestination",
    );
    s.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ KEY_SCHEMA: "id:S" }) },
    });
  });
});
