// Random change histories of a few items, the records DynamoDB would emit for
// them, and the state a correct replica must end in. Used by the property
// tests of the apply pipeline.

import fc from "fast-check";
import type { AttributeMap } from "../../src/codec/types.ts";

export interface Put extends Timing {
  kind: "put";
  key: string;
  value: number;
  tag: string;
  /** The database refuses this change: its tag is the target's poison value. */
  refused?: boolean;
}
export interface Delete extends Timing {
  kind: "delete";
  key: string;
}
export type Operation = Put | Delete;

/** When a change happened: microseconds after the one before (default 10), and its stamp's precision. */
export interface Timing {
  step?: number;
  millisecond?: boolean;
}

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

/**
 * Changes with ties in their timestamps (step 0), several in one millisecond,
 * MILLISECOND and MICROSECOND stamps mixed (a precision switch), and some
 * that the database refuses.
 */
export const timedOperationArb: fc.Arbitrary<Operation> = fc
  .tuple(
    operationArb,
    fc.constantFrom(0, 0, 1, 10, 250, 999, 1000, 2500),
    fc.boolean(),
    fc.nat({ max: 5 }),
  )
  .map(([op, step, millisecond, refusal]) =>
    op.kind === "put" && refusal === 0
      ? { ...op, step, millisecond, refused: true }
      : { ...op, step, millisecond },
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
 * of a missing item produces none, as in DynamoDB) and the final state of the
 * history with its refused changes removed. A refused put carries `poison`
 * (a value the target database refuses) as its tag; `refused` holds the
 * `seq` of its record.
 */
export function emit(
  history: Operation[],
  startMicros = 1_720_000_000_000_000,
  poison = "",
): {
  records: Emitted[];
  final: Map<string, { value: number; tag: string }>;
  refused: Set<number>;
} {
  const state = new Map<string, Put>();
  const kept = new Map<string, Put>();
  const refused = new Set<number>();
  const records: Emitted[] = [];
  let micros = startMicros;
  history.forEach((op, i) => {
    micros += i === 0 ? 0 : (op.step ?? 10);
    const before = state.get(op.key);
    if (op.kind === "delete" && !before) return;
    const dynamodb: Record<string, unknown> = {
      ApproximateCreationDateTime: op.millisecond ? Math.floor(micros / 1000) : micros,
      ApproximateCreationDateTimePrecision: op.millisecond ? "MILLISECOND" : "MICROSECOND",
      Keys: { id: { S: op.key } },
      SizeBytes: 100,
    };
    if (before) dynamodb.OldImage = item(before);
    if (op.kind === "put") {
      const put = op.refused ? { ...op, tag: poison } : op;
      dynamodb.NewImage = item(put);
      state.set(op.key, put);
      if (op.refused) refused.add(i);
      else kept.set(op.key, op);
    } else {
      state.delete(op.key);
      kept.delete(op.key);
    }
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
  const final = new Map([...kept].map(([key, op]) => [key, { value: op.value, tag: op.tag }]));
  return { records, final, refused };
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
