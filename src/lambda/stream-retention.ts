// The Lambda function keeps tombstones at least as long as its event source
// keeps changes (docs/SEMANTICS.md, "Tombstones and their cleanup"): a Kinesis
// stream says how long in DescribeStreamSummary, asked once per container and
// stream; DynamoDB Streams keeps changes 24 h. TOMBSTONE_RETENTION_HOURS can
// only raise it. Without kinesis:DescribeStreamSummary (or any other failure
// to read it) the function says so once in its log and keeps the configured
// retention (default 168 h): a change older than a tombstone purged meanwhile
// is refused (HorizonError), never applied over it.

import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { Logger } from "../log.ts";
import { keepTombstonesForStream, type TombstoneKeeper } from "../relay/stream-retention.ts";
import { DYNAMODB_STREAMS_RETENTION_HOURS, type StreamSource } from "../source/stream-source.ts";

export class StreamRetention {
  /** Event sources whose retention was asked for in this container. */
  private readonly settled = new Set<string>();
  private kinesis: KinesisClient | undefined;

  constructor(
    private readonly log: Logger,
    kinesis?: KinesisClient,
  ) {
    this.kinesis = kinesis;
  }

  /** Keeps `pipeline`'s tombstones at least the retention of the stream `eventSourceARN` names. */
  async keep(pipeline: TombstoneKeeper, eventSourceARN: string | undefined): Promise<void> {
    if (eventSourceARN === undefined || this.settled.has(eventSourceARN)) return;
    // Asked once per container, whatever the answer: the configured retention is safe meanwhile.
    this.settled.add(eventSourceARN);
    const source = await this.sourceOf(eventSourceARN);
    // An EventBridge event (MongoDB): no stream retention bounds how late a change comes.
    if (!source) return;
    const outcome = await keepTombstonesForStream(source, pipeline);
    if (outcome.unread) {
      this.log.warn("stream retention unknown", {
        eventSourceARN,
        error: outcome.notice,
        hint: "grant the function kinesis:DescribeStreamSummary on the stream, or set TOMBSTONE_RETENTION_HOURS above the stream's retention",
      });
    } else if (outcome.notice) {
      this.log.info("tombstone retention", { eventSourceARN, message: outcome.notice });
    }
  }

  private async sourceOf(
    eventSourceARN: string,
  ): Promise<Pick<StreamSource, "retentionHours"> | undefined> {
    const [, , service, region] = eventSourceARN.split(":");
    if (service === "dynamodb")
      return { retentionHours: async () => DYNAMODB_STREAMS_RETENTION_HOURS };
    if (service !== "kinesis") return undefined;
    // Loaded on demand, as the other AWS clients: only a Kinesis-fed function pays for it.
    const [{ KinesisSource }, sdk] = await Promise.all([
      import("../source/kinesis.ts"),
      import("@aws-sdk/client-kinesis"),
    ]);
    this.kinesis ??= new sdk.KinesisClient(region ? { region } : {});
    // An enhanced fan-out consumer's ARN names its stream before "/consumer/".
    return new KinesisSource(this.kinesis, eventSourceARN.replace(/\/consumer\/.*$/, ""));
  }
}
