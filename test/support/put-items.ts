// Items k0, k1, ... (or from another first index) put on a Kinesis stream as
// DynamoDB change records in one PutRecords call, each keyed by its id: what
// the relay tests read back.

import { type KinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { AttributeMap } from "../../src/codec/types.ts";
import { type KinesisDynamoSpec, kinesisDynamoRecord } from "./fixtures.ts";

/** The change to item `k<i>` (its key given); by default an insert of { id, n: i }. */
export type ItemChange = (i: number, keys: AttributeMap) => Omit<KinesisDynamoSpec, "keys">;

const insert: ItemChange = (i, keys) => ({
  newImage: { ...keys, n: { N: String(i) } },
  micros: 1_720_000_000_000_000 + i,
});

/**
 * Puts items k<first> to k<first+count-1> (k0 to k<count-1> by default); a
 * record the stream refused fails the test.
 */
export async function putItems(
  client: KinesisClient,
  stream: string,
  count: number,
  change: ItemChange = insert,
  first = 0,
): Promise<void> {
  const answer = await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: count }, (_, n) => {
        const i = first + n;
        const keys: AttributeMap = { id: { S: `k${i}` } };
        return {
          PartitionKey: `k${i}`,
          Data: Buffer.from(JSON.stringify(kinesisDynamoRecord({ keys, ...change(i, keys) }))),
        };
      }),
    }),
  );
  if (answer.FailedRecordCount)
    throw new Error(`${stream} refused ${answer.FailedRecordCount} records`);
}
