// Random change histories of a few items, the records DynamoDB would emit for
// them, and the state a correct replica must end in. Used by the property
// tests of the apply pipeline.

import fc from "fast-check";
import type { AttributeMap } from "../../src/codec/types.ts";

export interface Put {
  kind: "put";
  key: string;
  value: number;
  tag: string;
}
export interface Delete {
  kind: "delete";
  key: string;
}
export type Operation = Put | Delete;

export const KEYS = ["a", "b", "c", "d"];

export const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("put" as const),
      key: fc.constantFrom(...KEYS),
      value: fc.integer({ min: -1000, max: 1000 }),
      tag: fc.string({ maxLength: 6 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("delete" as const), key: fc.constantFrom(...KEYS) }),
    weight: 1,
  },
);

export interface Emitted {
  record: Record<string, unknown>;
  /** Order of the change in the source: what delivery may shuffle. */
  seq: number;
}

function item(op: Put): AttributeMap {
  return { id: { S: op.key }, value: { N: String(op.value) }, tag: { S: op.tag } };
}

/**
 * The Kinesis Data Streams for DynamoDB records the history produces (a delete
 * of a missing item produces none, as in DynamoDB) and the final state.
 */
export function emit(
  history: Operation[],
  startMicros = 1_720_000_000_000_000,
): {
  records: Emitted[];
  final: Map<string, { value: number; tag: string }>;
} {
  const state = new Map<string, Put>();
  const records: Emitted[] = [];
  history.forEach((op, i) => {
    const before = state.get(op.key);
    if (op.kind === "delete" && !before) return;
    const dynamodb: Record<string, unknown> = {
      ApproximateCreationDateTime: startMicros + i * 10,
      ApproximateCreationDateTimePrecision: "MICROSECOND",
      Keys: { id: { S: op.key } },
      SizeBytes: 100,
    };
    if (before) dynamodb.OldImage = item(before);
    if (op.kind === "put") {
      dynamodb.NewImage = item(op);
      state.set(op.key, op);
    } else state.delete(op.key);
    records.push({
      seq: i,
      record: {
        awsRegion: "us-east-1",
        eventID: `event-${i}`,
        eventName: op.kind === "delete" ? "REMOVE" : before ? "MODIFY" : "INSERT",
        userIdentity: null,
        recordFormat: "application/json",
        tableName: "items",
        eventSource: "aws:dynamodb",
        dynamodb,
      },
    });
  });
  const final = new Map([...state].map(([key, op]) => [key, { value: op.value, tag: op.tag }]));
  return { records, final };
}

/** A delivery as Kinesis may make it: some records twice, some out of order, in batches. */
export const deliveryArb = (count: number) =>
  fc.record({
    duplicates: fc.array(fc.nat({ max: Math.max(0, count - 1) }), { maxLength: count }),
    swaps: fc.array(fc.tuple(fc.nat({ max: Math.max(0, count - 1) }), fc.nat({ max: 6 })), {
      maxLength: count,
    }),
    batchSizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 10 }),
  });

export function deliver<T>(
  records: T[],
  plan: { duplicates: number[]; swaps: [number, number][]; batchSizes: number[] },
): T[][] {
  const stream = [...records];
  for (const i of plan.duplicates)
    if (records[i] !== undefined) stream.splice(Math.min(stream.length, i + 3), 0, records[i] as T);
  // Local reordering: Kinesis for DynamoDB delivers nearly in order, with records moved a few places.
  for (const [i, distance] of plan.swaps) {
    const j = Math.min(stream.length - 1, i + distance);
    if (i < stream.length) [stream[i], stream[j]] = [stream[j] as T, stream[i] as T];
  }
  const batches: T[][] = [];
  let at = 0;
  let b = 0;
  while (at < stream.length) {
    const size = plan.batchSizes[b++ % plan.batchSizes.length] as number;
    batches.push(stream.slice(at, at + size));
    at += size;
  }
  return batches;
}
