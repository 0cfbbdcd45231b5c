// The synthesized templates of every variant, checked against what
// CloudFormation accepts and what AWS's policy-as-code rules require:
//   - the CloudFormation resource specification (@aws-cdk/aws-service-spec):
//     every resource type exists, every property is known and of the right
//     type, required properties are there, every Fn::GetAtt names a real
//     attribute (test/infra/spec-check.ts);
//   - AWS Control Tower's proactive controls, run by cfn-guard through
//     @cdklabs/cdk-validator-cfnguard. The rules left out, each with its
//     reason, are in LEFT_OUT below.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAwsServiceSpec } from "@aws-cdk/aws-service-spec";
import { CfnGuardValidator } from "@cdklabs/cdk-validator-cfnguard";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SpecChecker } from "./spec-check.ts";
import { removeOutdirs, synthVariant, VARIANTS } from "./variants.ts";

/** Control Tower controls this stack does not follow (by control id), and why. */
const LEFT_OUT: Record<string, string> = {
  // cloudwatch_alarm_action_check
  "CT.CLOUDWATCH.PR.1":
    "Alarms notify the SNS topic of alarms.topicArn when one is given (tested in construct.test.ts); the stack does not invent a destination for the user's on-call.",
  // cloudwatch_log_group_retention_period_check
  "CT.CLOUDWATCH.PR.2":
    "The function's logs are operational, not an audit trail: 30 days by default, function.logRetentionDays for longer.",
  // cloudwatch_log_group_encrypted_check
  "CT.CLOUDWATCH.PR.3":
    "CloudWatch Logs encrypts every log group at rest; a customer-managed KMS key would add a key policy to maintain, and no secret reaches the logs (the function's logger redacts them).",
  // dynamodb_table_encrypted_kms_check
  "CT.DYNAMODB.PR.2":
    "DynamoDB encrypts every table at rest (AWS owned key); a KMS key adds per-request cost and is the table owner's choice.",
  // lambda_inside_vpc_check
  "CT.LAMBDA.PR.3":
    "The target (e.g. CrateDB Cloud) is reached over TLS on the internet; a VPC is needed only for a database inside one, and depends on the user's network.",
  // sqs_dlq_check
  "CT.SQS.PR.1":
    "Both queues are themselves the last stop for failed records (the function's dead letters, the mapping's on-failure destination); a queue behind them would only move the messages.",
};

const work = mkdtempSync(join(tmpdir(), "dynacrate-spec-"));
const templates = new Map<string, Record<string, unknown>>();
let app: IConstruct;
beforeAll(async () => {
  for (const variant of VARIANTS) templates.set(variant, (await synthVariant(variant)).json);
  app = (await synthVariant("zip/kinesis")).app;
}, 120_000);
afterAll(() => {
  removeOutdirs();
  rmSync(work, { recursive: true, force: true });
});

describe("the CloudFormation resource specification", () => {
  let checker: SpecChecker;
  beforeAll(async () => {
    checker = new SpecChecker(await loadAwsServiceSpec());
  }, 60_000);

  it.each(VARIANTS)("the %s template conforms: types, properties, attributes", (variant) => {
    const template = templates.get(variant) as Parameters<SpecChecker["check"]>[0];
    expect(checker.check(template)).toEqual([]);
    expect(Object.keys(template.Resources ?? {}).length).toBeGreaterThan(15);
  });

  it("finds what is wrong: an unknown type, an unknown property, a wrong type, a missing required property, an attribute a resource lacks", () => {
    const template = structuredClone(templates.get("zip/kinesis")) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const byType = (type: string) =>
      Object.entries(template.Resources).find(([, r]) => r.Type === type) as [
        string,
        { Type: string; Properties: Record<string, unknown> },
      ];
    const [mappingId, mapping] = byType("AWS::Lambda::EventSourceMapping");
    mapping.Properties.MaximumRetryAttempts = "ten";
    mapping.Properties.ReportBatchItemFailures = true;
    const [, fn] = byType("AWS::Lambda::Function");
    delete fn.Properties.Role;
    const [queueId] = byType("AWS::SQS::Queue");
    mapping.Properties.DestinationConfig = {
      OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Url"] } },
    };
    template.Resources.Extra = { Type: "AWS::Lambda::Funktion", Properties: {} };
    const problems = checker.check(template);
    expect(problems).toEqual(
      expect.arrayContaining([
        `${mappingId}.Properties.MaximumRetryAttempts: expected an integer, got "ten"`,
        `${mappingId}.Properties.ReportBatchItemFailures: unknown property`,
        expect.stringMatching(/\.Properties\.Role: required, missing$/),
        expect.stringMatching(/: AWS::SQS::Queue has no attribute Url$/),
        "Extra: resource type AWS::Lambda::Funktion does not exist",
      ]),
    );
    expect(problems).toHaveLength(5);
  });
});

describe("AWS Control Tower rules (cfn-guard)", () => {
  it("every variant passes every rule not left out, and each rule left out is one the stack trips", () => {
    const paths = [...templates].map(([variant, template]) => {
      const file = join(work, `${variant.replace("/", "-")}.template.json`);
      writeFileSync(file, JSON.stringify(template));
      return file;
    });
    const all = new CfnGuardValidator({}).validate({ templatePaths: paths, appConstruct: app });
    // A violation's description starts with its control id: "[CT.SQS.PR.1]: Require ...".
    const controlOf = (description = "") => /^\[([A-Z0-9.]+)\]/.exec(description)?.[1];
    const tripped = new Set(all.violations.map((v) => controlOf(v.description)));
    expect([...tripped].sort()).toEqual(Object.keys(LEFT_OUT).sort());
    for (const reason of Object.values(LEFT_OUT)) expect(reason.length).toBeGreaterThan(60);

    // The validator names rules by their file, e.g. ct-sqs-pr-1.
    const disabledRules = Object.keys(LEFT_OUT).map((id) => id.toLowerCase().replaceAll(".", "-"));
    const report = new CfnGuardValidator({ disabledRules }).validate({
      templatePaths: paths,
      appConstruct: app,
    });
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });
});
