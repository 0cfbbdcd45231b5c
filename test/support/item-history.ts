// Histories of whole items for property tests of what reaches a sink: each
// operation puts an item (drawn by the caller's arbitrary) or removes its key,
// and `emitItems` turns a history into the Kinesis Data Streams for DynamoDB
// records that carry it, with the items the source holds at its end.

import fc from "fast-check";
import type { AttributeMap, AttributeValue } from "../../src/codec/types.ts";

/**
 * Values nested to a few levels: the scalars given, maps keyed by `names`
 * (reused at every level, so that types collide across items and depths),
 * lists of anything (of one type, mixed, of maps, of lists), and `more`.
 */
export function nestedValueArb(
  names: string[],
  scalar: fc.Arbitrary<AttributeValue>,
  more: fc.Arbitrary<AttributeValue>[] = [],
): fc.Arbitrary<AttributeValue> {
  return fc.letrec<{ value: AttributeValue; map: AttributeValue; list: AttributeValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      tie("map"),
      tie("list"),
      ...more,
    ) as fc.Arbitrary<AttributeValue>,
    map: fc
      .dictionary(fc.constantFrom(...names), tie("value") as fc.Arbitrary<AttributeValue>, {
        maxKeys: 3,
      })
      .map((M) => ({ M })),
    list: fc
      .array(tie("value") as fc.Arbitrary<AttributeValue>, { maxLength: 3 })
      .map((L) => ({ L })),
  })).value;
}

export type ItemOp = { key: string; item: AttributeMap | undefined };

/** Puts (weighted `putWeight` to 1) and removes over `keys` (a, b and c). */
export function itemOpArb(
  itemArb: (id: string) => fc.Arbitrary<AttributeMap>,
  putWeight = 4,
  keys: string[] = ["a", "b", "c"],
): fc.Arbitrary<ItemOp> {
  return fc
    .constantFrom(...keys)
    .chain((key) =>
      fc.oneof(
        { arbitrary: itemArb(key).map((item) => ({ key, item })), weight: putWeight },
        { arbitrary: fc.constant({ key, item: undefined }), weight: 1 },
      ),
    );
}

/**
 * Kinesis Data Streams for DynamoDB records of a history, and the final items
 * by key. The key attribute is `id`, its value `{S: key}` unless `keyValue`
 * says otherwise; keys equal under `identity` are one item.
 */
export function emitItems(
  history: ItemOp[],
  keyValue: (key: string) => AttributeValue = (key) => ({ S: key }),
  identity: (key: string) => string = (key) => key,
): {
  records: unknown[];
  final: Map<string, AttributeMap>;
} {
  const state = new Map<string, AttributeMap>();
  const records: unknown[] = [];
  history.forEach((op, i) => {
    const id = identity(op.key);
    const before = state.get(id);
    if (!op.item && !before) return;
    const dynamodb: Record<string, unknown> = {
      ApproximateCreationDateTime: 1_720_000_000_000_000 + i * 10,
      ApproximateCreationDateTimePrecision: "MICROSECOND",
      Keys: { id: keyValue(op.key) },
    };
    if (op.item) {
      dynamodb.NewImage = op.item;
      state.set(id, op.item);
    } else state.delete(id);
    records.push({
      eventID: `event-${i}`,
      eventName: op.item ? (before ? "MODIFY" : "INSERT") : "REMOVE",
      eventSource: "aws:dynamodb",
      tableName: "items",
      dynamodb,
    });
  });
  return { records, final: state };
}
