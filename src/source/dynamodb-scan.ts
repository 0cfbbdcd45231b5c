// Reads a DynamoDB table by parallel Scan: one part per segment, pages of at
// most 1 MB (DynamoDB's limit), each resumable from its LastEvaluatedKey.

import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import type { KeySchema, KeyType } from "../codec/key-schema.ts";
import { SourceError } from "../errors.ts";
import { nearTableHint } from "../near-name.ts";
import type { SnapshotInfo, SnapshotPage, SnapshotSource } from "./snapshot-source.ts";
import { wireAttributeMap } from "./streams-record.ts";

export interface ScanOptions {
  segments: number;
  consistentRead?: boolean;
  /** Items per Scan call (DynamoDB's Limit); without it, pages of up to 1 MB. */
  pageSize?: number | undefined;
}

export class DynamoDbScanSource implements SnapshotSource {
  readonly id: string;

  constructor(
    private readonly client: DynamoDBClient,
    readonly table: string,
    private readonly options: ScanOptions,
  ) {
    this.id = `dynamodb://${table}`;
  }

  async describe(): Promise<SnapshotInfo> {
    const table = await describeTable(this.client, this.table);
    return {
      tableName: this.table,
      keySchema: tableKeySchema(table),
      itemCount: table.ItemCount,
      snapshotTimeMs: undefined,
    };
  }

  async parts(): Promise<string[]> {
    return Array.from({ length: this.options.segments }, (_, i) => String(i));
  }

  async *read(part: string, from: string | undefined, signal: AbortSignal) {
    const segment = Number(part);
    let start = from === undefined ? undefined : sdkKey(JSON.parse(from));
    let page = 0;
    do {
      if (signal.aborted) return;
      const out = await this.client.send(
        new ScanCommand({
          TableName: this.table,
          Segment: segment,
          TotalSegments: this.options.segments,
          ConsistentRead: this.options.consistentRead ?? false,
          ExclusiveStartKey: start,
          ...(this.options.pageSize ? { Limit: this.options.pageSize } : {}),
        }),
        { abortSignal: signal },
      );
      page++;
      const items = (out.Items ?? []).map(wireAttributeMap);
      start = out.LastEvaluatedKey;
      const at = page;
      const result: SnapshotPage = {
        items,
        ref: (index) => `segment ${segment} page ${at} item ${index}`,
        // The key after which the segment goes on, in wire form so it can be stored as text.
        next: start ? JSON.stringify(wireAttributeMap(start)) : undefined,
      };
      yield result;
    } while (start);
  }
}

/** DescribeTable; a missing table is a SourceError naming it. */
export async function describeTable(
  client: DynamoDBClient,
  table: string,
): Promise<TableDescription> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    if (!out.Table) throw new SourceError(`DescribeTable of ${table} answered no table`);
    return out.Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      const region = await client.config.region().catch(() => "?");
      throw new SourceError(
        `table ${table} does not exist in region ${region}${nearTableHint(table, await tableNames(client))}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The account's table names in the region (the first 1,000), or none when they can not be listed. */
async function tableNames(client: DynamoDBClient): Promise<string[]> {
  const names: string[] = [];
  let start: string | undefined;
  try {
    do {
      const out = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
      names.push(...(out.TableNames ?? []));
      start = out.LastEvaluatedTableName;
    } while (start && names.length < 1000);
  } catch {
    // Listing may be denied where describing is allowed: the message then names no other table.
  }
  return names;
}

/** The key schema of a table description, partition key first. */
export function tableKeySchema(table: TableDescription): KeySchema {
  const types = new Map(
    (table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]),
  );
  return [...(table.KeySchema ?? [])]
    .sort((a, b) => (a.KeyType === "HASH" ? -1 : b.KeyType === "HASH" ? 1 : 0))
    .map((k) => ({ name: k.AttributeName as string, type: types.get(k.AttributeName) as KeyType }));
}

/** A stored key (wire form: binary as base64) back in the SDK's form. */
function sdkKey(wire: Record<string, Record<string, string>>): Record<string, AttributeValue> {
  const key: Record<string, AttributeValue> = {};
  for (const [name, av] of Object.entries(wire)) {
    key[name] =
      av.B !== undefined ? { B: Buffer.from(av.B, "base64") } : (av as unknown as AttributeValue);
  }
  return key;
}
