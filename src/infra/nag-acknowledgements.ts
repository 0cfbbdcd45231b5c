// The cdk-nag (AWS Solutions pack) findings this construct accepts, each with
// its reason, recorded through CDK's own Validations API so that the construct
// needs no cdk-nag at run time. test/infra/nag.test.ts runs the pack over
// every variant and fails on any finding that is not acknowledged here.

import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

export interface Acknowledged {
  /** The secret the stack creates; undefined when the user brought one. */
  createdSecret: IConstruct | undefined;
  deadLetterQueue: IConstruct;
  onFailureQueue: IConstruct;
  /** The function's role, when its source is DynamoDB Streams. */
  dynamoStreamsRole: IConstruct | undefined;
}

export const REASONS = {
  secretRotation:
    "The secret holds the credentials of a CrateDB or PostgreSQL database outside AWS's reach, which Secrets Manager can not rotate. Rotate them in the database and put the new value; the function fetches the secret again when the database refuses the old password.",
  deadLetterEnd:
    "This queue is itself the last stop for records that failed (the function's dead letters, or the mapping's on-failure destination); a redrive queue behind it would only move them. Its messages are kept for the retention period and alarmed on.",
  listStreams:
    "dynamodb:ListStreams has no resource-level permissions, so it can only be granted on *; Lambda's DynamoDB Streams event source needs it. Every other stream action is granted on the table's stream ARN only.",
  customResourceProvider:
    "aws-cdk-lib's AwsCustomResource provider function, which switches on an existing table's Kinesis streaming destination at deployment, writes its logs through the AWS managed AWSLambdaBasicExecutionRole; its API permissions are limited to that table and stream.",
} as const;

/** The provider function of the custom resource that enables an existing table's streaming destination. */
export function acknowledgeProvider(provider: IConstruct): void {
  Validations.of(provider).acknowledge({
    id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    reason: REASONS.customResourceProvider,
  });
}

export function acknowledgeFindings(scope: Acknowledged): void {
  if (scope.createdSecret) {
    Validations.of(scope.createdSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason: REASONS.secretRotation,
    });
  }
  for (const queue of [scope.deadLetterQueue, scope.onFailureQueue]) {
    Validations.of(queue).acknowledge({ id: "AwsSolutions-SQS3", reason: REASONS.deadLetterEnd });
  }
  if (scope.dynamoStreamsRole) {
    Validations.of(scope.dynamoStreamsRole).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: REASONS.listStreams,
    });
  }
}
