// DynamoDB Streams records as the AWS SDK returns them (binary as Uint8Array,
// timestamps as Date) turned back into their JSON wire form, which is what the
// codec reads.

/** Replaces binary values (B, BS) with base64 text, recursively through M and L. */
export function wireAttributeMap(map: unknown): unknown {
  if (typeof map !== "object" || map === null) return map;
  const out: Record<string, unknown> = {};
  for (const [name, av] of Object.entries(map)) out[name] = wireValue(av);
  return out;
}

function wireValue(av: unknown): unknown {
  if (typeof av !== "object" || av === null) return av;
  const v = av as Record<string, unknown>;
  if (v.B instanceof Uint8Array) return { B: Buffer.from(v.B).toString("base64") };
  if (Array.isArray(v.BS))
    return {
      BS: v.BS.map((b) => (b instanceof Uint8Array ? Buffer.from(b).toString("base64") : b)),
    };
  if (v.M !== undefined) return { M: wireAttributeMap(v.M) };
  if (Array.isArray(v.L)) return { L: v.L.map(wireValue) };
  return av;
}

/**
 * A GetRecords record in the Lambda event's JSON shape. GetRecords names no
 * table in a record (the stream is one table's); the Lambda event names it in
 * `eventSourceARN`, the stream's ARN, which the reader gives here so that
 * routing by source table (--table-map, a {table} template, --source-table)
 * places the record as it would the Lambda function's.
 */
export function wireStreamsRecord(
  record: Record<string, unknown>,
  streamArn?: string,
): Record<string, unknown> {
  const d = (record.dynamodb ?? {}) as Record<string, unknown>;
  const created = d.ApproximateCreationDateTime;
  // GetRecords names the members of userIdentity `Type` and `PrincipalId`;
  // the Lambda shape (and the codec's TTL check) has `type` and `principalId`.
  const identity = record.userIdentity as { Type?: unknown; PrincipalId?: unknown } | undefined;
  return {
    ...record,
    ...(streamArn !== undefined && record.eventSourceARN === undefined
      ? { eventSourceARN: streamArn }
      : {}),
    ...(identity && (identity.Type !== undefined || identity.PrincipalId !== undefined)
      ? { userIdentity: { type: identity.Type, principalId: identity.PrincipalId } }
      : {}),
    dynamodb: {
      ...d,
      ApproximateCreationDateTime: created instanceof Date ? created.getTime() / 1000 : created,
      Keys: wireAttributeMap(d.Keys),
      ...(d.NewImage ? { NewImage: wireAttributeMap(d.NewImage) } : {}),
      ...(d.OldImage ? { OldImage: wireAttributeMap(d.OldImage) } : {}),
    },
  };
}
