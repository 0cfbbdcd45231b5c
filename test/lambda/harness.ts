// Test harness for the Lambda handler: a handler built from an environment,
// whose log and metrics lines are collected instead of printed, plus small
// helpers over the Lambda event fixtures.

import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  createHandler,
  type HandlerOptions,
  type LambdaHandler,
} from "../../src/lambda/create-handler.ts";

export interface TestLambda extends LambdaHandler {
  /** Every line written, in order (logs and metrics). */
  lines: string[];
  /** The log lines, parsed (metrics lines left out). */
  logs(): Array<Record<string, unknown>>;
  /** The Embedded Metric Format lines, parsed. */
  metrics(): Array<Record<string, unknown>>;
  /** The last `batch` log line. */
  lastBatch(): Record<string, unknown> | undefined;
}

/**
 * No Kinesis behind it (a closed port): the function's one DescribeStreamSummary
 * per container fails at once, without looking for AWS credentials, and the
 * function keeps the configured tombstone retention (stream-retention.test.ts
 * asks the local Kinesis emulator).
 */
function noKinesis(): KinesisClient {
  return new KinesisClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    credentials: { accessKeyId: "AKIDNONE", secretAccessKey: "none" },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

export function testLambda(
  env: Record<string, string>,
  options: Omit<HandlerOptions, "env" | "writeLine"> = {},
): TestLambda {
  const lines: string[] = [];
  const lambda = createHandler({
    env,
    writeLine: (line) => lines.push(line),
    kinesisClient: noKinesis(),
    ...options,
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    ...lambda,
    lines,
    logs: () => parsed().filter((l) => !("_aws" in l)),
    metrics: () => parsed().filter((l) => "_aws" in l),
    lastBatch: () =>
      parsed()
        .filter((l) => l.msg === "batch")
        .at(-1),
  };
}

/** The sequence number Lambda would report for record `i` of an event (Kinesis or DynamoDB Streams). */
export function sequenceOf(event: { Records: unknown[] }, i: number): string {
  const record = event.Records[i] as {
    kinesis?: { sequenceNumber: string };
    dynamodb?: { SequenceNumber?: string };
  };
  const sequence = record.kinesis?.sequenceNumber ?? record.dynamodb?.SequenceNumber;
  if (!sequence) throw new Error(`record ${i} has no sequence number`);
  return sequence;
}
