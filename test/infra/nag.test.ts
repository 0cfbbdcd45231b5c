// cdk-nag's AWS Solutions pack over every variant of the stack: no finding
// is left unacknowledged, and every acknowledgement carries its reason
// (src/infra/nag-acknowledgements.ts), and only the rules the construct is
// known to trip are acknowledged.

import { Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { afterAll, describe, expect, it } from "vitest";
import { REASONS } from "../../src/infra/nag-acknowledgements.ts";
import { removeOutdirs, synth, synthVariant, VARIANTS, variantConfig } from "./variants.ts";

afterAll(removeOutdirs);

interface Acknowledgement {
  id: string;
  reason: string;
}

/** Every acknowledgement recorded in the construct tree (metadata `{[id]: reason}`), with its path. */
function acknowledgements(root: IConstruct): Array<Acknowledgement & { path: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      // CDK qualifies the id with where the rule comes from ("Annotation::AwsSolutions-SMG4").
      .map(([id, reason]) => ({ id: id.replace(/^\w+::/, ""), reason, path: c.node.path })),
  );
}

describe.each(VARIANTS)("cdk-nag AwsSolutions on the %s stack", (variant) => {
  it("reports no finding that is not acknowledged", async () => {
    const { app } = await synthVariant(variant);
    const report = new AwsSolutionsChecks(app).validateScope(app);
    const open = report.violations.map(
      (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
    );
    expect(open).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("acknowledges only the rules it trips, each with its reason", async () => {
    const { app } = await synthVariant(variant);
    const acks = acknowledgements(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-/);
      expect(Object.values(REASONS)).toContain(ack.reason);
      expect(ack.reason.length).toBeGreaterThan(60);
    }
    const ids = new Set(acks.map((a) => a.id));
    expect(ids.has("AwsSolutions-SMG4")).toBe(true);
    expect(ids.has("AwsSolutions-SQS3")).toBe(true);
    expect(ids.has("AwsSolutions-IAM5[Resource::*]")).toBe(variant.endsWith("dynamodb-streams"));
  });
});

describe("cdk-nag AwsSolutions on a stack over an existing table", () => {
  it("reports no finding that is not acknowledged (the provider function that enables its Kinesis streaming destination)", async () => {
    const base = variantConfig("zip/kinesis");
    const { app } = await synth("existing-table", {
      ...base,
      props: {
        ...base.props,
        table: { existing: "orders", partitionKey: { name: "id", type: "S" } },
      },
    });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    const ids = acknowledgements(app).map((a) => a.id);
    expect(ids).toContain(
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    );
    for (const ack of acknowledgements(app)) expect(Object.values(REASONS)).toContain(ack.reason);
  });
});
