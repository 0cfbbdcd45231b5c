// One target table is fed from one kind of stream. DynamoDB Streams stamps
// whole seconds and orders one item's changes by its own SequenceNumber;
// Kinesis Data Streams for DynamoDB stamps ms or us and carries no such number:
// inside one second no order holds between the two, so an older Kinesis change
// could win. The first change a writer applies decides the table's kind; a
// record of the other kind is refused with its reason (docs/SEMANTICS.md, G2).

import type { Change } from "../codec/types.ts";
import { RecordError } from "../errors.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";

/** A change from the other kind of stream than the one feeding its table. */
export class MixedSourcesError extends RecordError {
  override name = "MixedSourcesError";
}

const NAMES = { kinesis: "Kinesis Data Streams", "dynamodb-streams": "DynamoDB Streams" } as const;

export class OneStream {
  private kind: keyof typeof NAMES | undefined;

  constructor(private readonly table: TableName) {}

  /** Throws MixedSourcesError when `change` comes from the other kind of stream. */
  check(change: Change): void {
    if (change.source !== "kinesis" && change.source !== "dynamodb-streams") return;
    this.kind ??= change.source;
    if (change.source === this.kind) return;
    const has = change.source === "dynamodb-streams" ? "carries" : "lacks";
    throw new MixedSourcesError(
      change.ref,
      "dynamodb.SequenceNumber",
      `this record ${has} a SequenceNumber, so it comes from ${NAMES[change.source]}, but ` +
        `${formatTableName(this.table)} is fed from ${NAMES[this.kind]} records: their timestamps ` +
        "can not be ordered against each other within one second, so an older change could win. " +
        "Feed one table from one stream (another --table for the other)",
    );
  }
}
