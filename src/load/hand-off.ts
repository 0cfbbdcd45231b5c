// The hand-off from a full load to the change stream: before reading, check
// that the table's changes are being captured (else writes made during the
// load are lost); after loading, relay from a position before the snapshot's
// cut, so every change the snapshot may lack is applied through the version
// guard (docs/SEMANTICS.md, G13).

import {
  DescribeKinesisStreamingDestinationCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamSummaryCommand,
  type DescribeStreamSummaryCommandOutput,
  type KinesisClient,
  ResourceNotFoundException,
} from "@aws-sdk/client-kinesis";
import { snapshotCutSecondMs } from "../codec/snapshot.ts";
import { errorMessage } from "../error-text.ts";
import { ConfigError, SourceError } from "../errors.ts";
import { describeTable } from "../source/dynamodb-scan.ts";
import { DYNAMODB_STREAMS_RETENTION_HOURS } from "../source/stream-source.ts";

export interface StreamCheck {
  /** The relay's --source. */
  stream: string;
  /** How long the stream keeps a change. */
  retentionHours: number;
  /** Said to the user when the check could not be completed (an emulator without the API). */
  note: string | undefined;
}

/**
 * Checks that `stream` (kinesis://<stream> or dynamodb-streams://<table>)
 * receives the changes of `table`; throws ConfigError naming the fix.
 */
export async function checkStream(
  stream: string,
  table: string,
  clients: { dynamodb: DynamoDBClient; kinesis: () => KinesisClient },
): Promise<StreamCheck> {
  const match = /^(kinesis|dynamodb-streams):\/\/(.+)$/.exec(stream);
  if (!match)
    throw new ConfigError(
      `--stream must be kinesis://<stream> or dynamodb-streams://<table>, got ${stream}`,
    );
  const name = match[2] as string;
  if (match[1] === "dynamodb-streams") {
    const description = await describeTable(clients.dynamodb, name);
    const spec = description.StreamSpecification;
    if (!spec?.StreamEnabled || !description.LatestStreamArn) {
      throw new ConfigError(
        `table ${name} has no DynamoDB stream, so writes made during the load would be lost: turn it on first ` +
          `(aws dynamodb update-table --table-name ${name} --stream-specification StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES)`,
      );
    }
    if (spec.StreamViewType !== "NEW_IMAGE" && spec.StreamViewType !== "NEW_AND_OLD_IMAGES") {
      throw new ConfigError(
        `the stream of table ${name} has view type ${spec.StreamViewType}, which carries no new images: set NEW_AND_OLD_IMAGES (or NEW_IMAGE)`,
      );
    }
    return { stream, retentionHours: DYNAMODB_STREAMS_RETENTION_HOURS, note: undefined };
  }
  const kinesis = clients.kinesis();
  let summary: DescribeStreamSummaryCommandOutput;
  try {
    summary = await kinesis.send(
      new DescribeStreamSummaryCommand(
        name.startsWith("arn:") ? { StreamARN: name } : { StreamName: name },
      ),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException)
      throw new ConfigError(`Kinesis stream ${name} does not exist`, { cause: error });
    throw error;
  }
  const arn = summary.StreamDescriptionSummary?.StreamARN;
  const retentionHours = summary.StreamDescriptionSummary?.RetentionPeriodHours ?? 24;
  let destinations: Array<{ StreamArn?: string; DestinationStatus?: string }>;
  try {
    const out = await clients.dynamodb.send(
      new DescribeKinesisStreamingDestinationCommand({ TableName: table }),
    );
    destinations = out.KinesisDataStreamDestinations ?? [];
  } catch (error) {
    const code = (error as { name?: string }).name ?? "";
    if (code === "ResourceNotFoundException") throw error;
    // DynamoDB Local has no Kinesis streaming (its bridge plays that part).
    return {
      stream,
      retentionHours,
      note: `could not confirm that table ${table} streams into ${name} (${code}: ${errorMessage(error)})`,
    };
  }
  if (!destinations.some((d) => d.StreamArn === arn && d.DestinationStatus === "ACTIVE")) {
    throw new ConfigError(
      `table ${table} does not stream its changes into Kinesis stream ${name}, so writes made during the load would be lost: turn it on first ` +
        `(aws dynamodb enable-kinesis-streaming-destination --table-name ${table} --stream-arn ${arn ?? name} ` +
        `--enable-kinesis-streaming-configuration ApproximateCreationDateTimePrecision=MICROSECOND)`,
    );
  }
  return { stream, retentionHours, note: undefined };
}

/**
 * The relay's --from for a snapshot cut at `cutMs`: a Kinesis stream is read
 * from a second before the cut's whole second (AT_TIMESTAMP); DynamoDB
 * Streams, which can not start at a time, from its trim horizon.
 */
export function relayFrom(stream: string, cutMs: number): string {
  return stream.startsWith("kinesis://")
    ? new Date(snapshotCutSecondMs(cutMs) - 1000).toISOString()
    : "trim-horizon";
}

/** Throws when the stream no longer holds the changes from the cut on: the hand-off would lose them. */
export function checkRetention(check: StreamCheck, cutMs: number, now = Date.now()): void {
  const ageHours = (now - cutMs) / 3_600_000;
  if (ageHours >= check.retentionHours) {
    throw new SourceError(
      `the snapshot's cut (${new Date(cutMs).toISOString()}) is ${ageHours.toFixed(1)} h old and ${check.stream} keeps changes for ${check.retentionHours} h: ` +
        "changes made since may be gone from the stream; load a newer snapshot",
    );
  }
}
