// AWS SDK v3 clients wired for local emulators (DynamoDB Local, kinesis-mock): dummy credentials, HTTP/1.1.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export interface LocalClientOptions {
  /** Region sent in the request signature; emulators namespace data by it. Default "us-east-1". */
  region?: string;
  /** Total tries per call (1 = no retry). Default 3: emulators are local, so a few quick retries cover a busy JVM. */
  maxAttempts?: number;
}

// DynamoDB Local (since 2.0) rejects access key ids that are not purely alphanumeric.
// kinesis-mock reads a 12-digit key id as an account id; any other id maps to its default account.
const credentials = { accessKeyId: "dynacratelocal", secretAccessKey: "dynacratelocal" };

function commonConfig(endpoint: string, options: LocalClientOptions) {
  return {
    endpoint,
    region: options.region ?? "us-east-1",
    credentials,
    maxAttempts: options.maxAttempts ?? 3,
    // The SDK's default handler for Kinesis speaks HTTP/2, which both emulators answer with "Protocol error".
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 2_000,
      // Without throwOnRequestTimeout a stuck emulator only logs a warning and the call hangs.
      requestTimeout: 30_000,
      throwOnRequestTimeout: true,
    }),
  };
}

export function localDynamoDbClient(
  endpoint: string,
  options: LocalClientOptions = {},
): DynamoDBClient {
  return new DynamoDBClient(commonConfig(endpoint, options));
}

export function localStreamsClient(
  endpoint: string,
  options: LocalClientOptions = {},
): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient(commonConfig(endpoint, options));
}

export function localKinesisClient(
  endpoint: string,
  options: LocalClientOptions = {},
): KinesisClient {
  return new KinesisClient(commonConfig(endpoint, options));
}
