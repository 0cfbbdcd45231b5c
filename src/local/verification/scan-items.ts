// Reads every item of a DynamoDB table, page by page, in the JSON wire form
// (binary values as base64) that change records and sinks use.

import { type AttributeValue, type DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { AttributeMap } from "../../codec/types.ts";
import { wireAttributeMap } from "../../source/streams-record.ts";

export async function scanItems(
  client: DynamoDBClient,
  tableName: string,
): Promise<AttributeMap[]> {
  const items: AttributeMap[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    // Consistent: the check after a run must see the last write.
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) items.push(wireAttributeMap(item) as AttributeMap);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
