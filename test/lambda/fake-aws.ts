// FAKE AWS endpoints for the Lambda tests: a local HTTP server that speaks
// just enough of the AWS JSON 1.0 / 1.1 protocols (POST /, the operation in
// the `x-amz-target` header) to stand in for SQS (AmazonSQS.SendMessageBatch)
// and Secrets Manager (secretsmanager.GetSecretValue), and for a Kinesis that
// denies DescribeStreamSummary (as IAM does without the permission; the local
// Kinesis emulator checks no permissions). It is a fake because no SQS,
// Secrets Manager or IAM can run here; the real AWS SDK v3 clients talk to it
// (pointed at it with `endpoint` and dummy credentials), so request and answer
// shapes, MD5 checks of SQS and error decoding are the SDK's own.
// It does not check signatures.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export interface SqsEntry {
  Id: string;
  MessageBody: string;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export interface FakeAws {
  url: string;
  /** A queue URL on this endpoint. */
  queueUrl(name?: string): string;
  /** Every message accepted, in order, with its queue. */
  messages: Array<SqsEntry & { queueUrl: string }>;
  /** SendMessageBatch calls received (accepted or not). */
  sqsCalls: number;
  /** Entries whose body matches are answered as failed (per-entry failure). */
  refuseWhen: ((entry: SqsEntry) => boolean) | undefined;
  /** When set, every SendMessageBatch call fails whole with HTTP 500. */
  sqsDown: boolean;
  /** SecretId -> SecretString. */
  secrets: Map<string, string>;
  /** GetSecretValue calls received. */
  secretCalls: number;
  /** DescribeStreamSummary calls received (each one denied). */
  describeStreamCalls: number;
  sqsClient(): SQSClient;
  /** A Kinesis client whose DescribeStreamSummary is denied. */
  deniedKinesisClient(): KinesisClient;
  secretsClient(): SecretsManagerClient;
  close(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret-key" };

export async function startFakeAws(): Promise<FakeAws> {
  const fake: Omit<
    FakeAws,
    "url" | "close" | "sqsClient" | "secretsClient" | "deniedKinesisClient" | "queueUrl"
  > = {
    messages: [],
    sqsCalls: 0,
    refuseWhen: undefined,
    sqsDown: false,
    secrets: new Map(),
    secretCalls: 0,
    describeStreamCalls: 0,
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error) =>
      reply(res, 500, "1.0", { __type: "InternalError", message: String(error) }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<
      string,
      unknown
    >;
    const target = String(req.headers["x-amz-target"] ?? "");

    if (target === "AmazonSQS.SendMessageBatch") {
      fake.sqsCalls++;
      if (fake.sqsDown) {
        reply(res, 500, "1.0", {
          __type: "com.amazonaws.sqs#InternalError",
          message: "the fake SQS is down",
        });
        return;
      }
      const entries = body.Entries as SqsEntry[];
      const successful: unknown[] = [];
      const failed: unknown[] = [];
      for (const entry of entries) {
        if (fake.refuseWhen?.(entry)) {
          failed.push({
            Id: entry.Id,
            Code: "InternalError",
            Message: "refused by the fake",
            SenderFault: false,
          });
          continue;
        }
        fake.messages.push({ ...entry, queueUrl: String(body.QueueUrl) });
        successful.push({
          Id: entry.Id,
          MessageId: createHash("sha1")
            .update(entry.Id + entry.MessageBody)
            .digest("hex"),
          // The SDK checks this MD5 against the body it sent.
          MD5OfMessageBody: createHash("md5").update(entry.MessageBody, "utf8").digest("hex"),
        });
      }
      reply(res, 200, "1.0", { Successful: successful, Failed: failed });
      return;
    }

    if (target === "secretsmanager.GetSecretValue") {
      fake.secretCalls++;
      const id = String(body.SecretId);
      const secret = fake.secrets.get(id);
      if (secret === undefined) {
        reply(res, 400, "1.1", {
          __type: "ResourceNotFoundException",
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      reply(res, 200, "1.1", {
        ARN: id.startsWith("arn:")
          ? id
          : `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
        Name: id,
        SecretString: secret,
        VersionId: "00000000-0000-0000-0000-000000000001",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 1_720_742_633,
      });
      return;
    }

    if (target === "Kinesis_20131202.DescribeStreamSummary") {
      fake.describeStreamCalls++;
      reply(res, 400, "1.1", {
        __type: "AccessDeniedException",
        message: `User: arn:aws:sts::123456789012:assumed-role/dynacrate-lambda/fn is not authorized to perform: kinesis:DescribeStreamSummary on resource: ${String(body.StreamARN ?? body.StreamName)}`,
      });
      return;
    }

    reply(res, 400, "1.0", {
      __type: "UnknownOperationException",
      message: `the fake does not speak ${target}`,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const common = {
    region: "us-east-1",
    endpoint: url,
    credentials: CREDENTIALS,
    // The SDK's HTTP/2-capable default is not what these clients use against a plain HTTP/1.1 server.
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  };
  return Object.assign(fake, {
    url,
    queueUrl: (name = "dead-letters") => `${url}/123456789012/${name}`,
    sqsClient: () => new SQSClient(common),
    secretsClient: () => new SecretsManagerClient(common),
    deniedKinesisClient: () => new KinesisClient(common),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

function reply(res: ServerResponse, status: number, version: "1.0" | "1.1", body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": `application/x-amz-json-${version}`,
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": "fake-request",
  });
  res.end(text);
}
