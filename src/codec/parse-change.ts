// Turns one change record (Kinesis Data Streams for DynamoDB, or DynamoDB
// Streams in its Lambda or GetRecords shape) into a typed Change. Attribute
// values are checked here only as far as the key goes; images are validated
// when they are written (attribute-json.ts), in the same pass that encodes them.

import { RecordError } from "../errors.ts";
import { binary, describe, typeOf } from "./attribute-json.ts";
import { canonicalNumber, NumberProblem } from "./decimal.ts";
import { appendSegment, FieldProblem } from "./field-problem.ts";
import type { AttributeMap, Change, ChangeSource, Operation } from "./types.ts";
import { makeVersion, type Tick } from "./version.ts";

/** What the transport knows about a record: its position in the stream, a name for errors. */
export interface Envelope {
  /** The Kinesis sequence number of the record that carried this change. */
  position?: string | undefined;
  /** How to name the record in errors when it has no eventID (e.g. "line 12"). */
  ref?: string | undefined;
  /**
   * The record's place in its capture (its line number, as decimal digits):
   * the tie-breaker of a Kinesis record that carries no sequence number, so
   * that two changes of one item in the same tick order by line, whatever
   * the batch boundaries.
   */
  order?: string | undefined;
}

/** eventName -> operation (shared with transcode.ts, which must decide alike). */
export const OPERATIONS = new Map<unknown, Operation>([
  ["INSERT", "insert"],
  ["MODIFY", "modify"],
  ["REMOVE", "remove"],
]);
/** A DynamoDB Streams SequenceNumber. */
export const SEQUENCE = /^\d{1,128}$/;

/** Decodes one change record; throws RecordError naming the record and field. */
export function parseChange(record: unknown, envelope: Envelope = {}): Change {
  const fallbackRef = unnamedRef(envelope);
  if (typeof record !== "object" || record === null || Array.isArray(record)) {
    throw new RecordError(
      fallbackRef,
      undefined,
      `a change record must be a JSON object, got ${describe(record)}`,
    );
  }
  const r = record as Record<string, unknown>;
  const eventId = typeof r.eventID === "string" ? r.eventID : undefined;
  const ref = changeRef(eventId, envelope);
  const fail = (field: string | undefined, problem: string): never => {
    throw new RecordError(ref, field, problem);
  };

  if (r.eventSource !== "aws:dynamodb") {
    fail(
      "eventSource",
      `unknown eventSource ${describe(r.eventSource)}; a DynamoDB change record has "aws:dynamodb"`,
    );
  }
  const operation = OPERATIONS.get(r.eventName);
  if (!operation) {
    return fail(
      "eventName",
      `unknown eventName ${describe(r.eventName)}; expected INSERT, MODIFY or REMOVE`,
    );
  }
  const d = r.dynamodb;
  if (typeof d !== "object" || d === null || Array.isArray(d)) {
    return fail("dynamodb", "missing: a change record carries its change in `dynamodb`");
  }
  const dynamodb = d as Record<string, unknown>;

  const keys = checkKeys(dynamodb.Keys, fail);
  const newImage = image(dynamodb.NewImage, "dynamodb.NewImage", fail);
  const oldImage = image(dynamodb.OldImage, "dynamodb.OldImage", fail);
  if (operation !== "remove" && !newImage) {
    // DynamoDB Streams records say their view type; Kinesis records do not.
    const view =
      typeof dynamodb.StreamViewType === "string"
        ? dynamodb.StreamViewType
        : "KEYS_ONLY or OLD_IMAGE";
    fail(
      "dynamodb.NewImage",
      `missing on ${r.eventName}: a stream of view type ${view} carries no new image; ` +
        `set the stream's view type to NEW_IMAGE or NEW_AND_OLD_IMAGES`,
    );
  }

  if (newImage && operation !== "remove") checkImageKeys(keys, newImage, fail);

  const streamSequence = dynamodb.SequenceNumber;
  if (streamSequence === undefined && isStreamsRecord(r, dynamodb)) {
    // Without its sequence number a DynamoDB Streams record has no order
    // (its timestamp is whole seconds): a made-up one could put it behind
    // an older change of the item, which would then win.
    fail(
      "dynamodb.SequenceNumber",
      "missing on a DynamoDB Streams record: it orders the changes of an item",
    );
  }
  let source: ChangeSource;
  let micros: number;
  let tick: Tick = "microsecond";
  let position: string | undefined;
  if (streamSequence !== undefined) {
    // DynamoDB Streams: the timestamp is in whole seconds, useless for order;
    // the sequence number orders the records of one item.
    if (typeof streamSequence !== "string" || !SEQUENCE.test(streamSequence)) {
      fail("dynamodb.SequenceNumber", `must be a decimal string, got ${describe(streamSequence)}`);
    }
    source = "dynamodb-streams";
    micros = streamsMicros(dynamodb.ApproximateCreationDateTime, fail);
    position = streamSequence as string;
  } else {
    source = "kinesis";
    micros = kinesisMicros(
      dynamodb.ApproximateCreationDateTime,
      dynamodb.ApproximateCreationDateTimePrecision,
      fail,
    );
    tick = kinesisTick(
      dynamodb.ApproximateCreationDateTime,
      dynamodb.ApproximateCreationDateTimePrecision,
    );
    position = envelope.position;
  }

  const ttlDelete = operation === "remove" && isTtlIdentity(r.userIdentity);

  return {
    operation,
    source,
    tableName: typeof r.tableName === "string" ? r.tableName : undefined,
    eventId,
    keys,
    newImage: operation === "remove" ? undefined : newImage,
    oldImage,
    version: makeVersion(micros, position ?? envelope.order, tick),
    timestampMicros: micros,
    position,
    ttlDelete,
    ref,
  };
}

/** How errors name a record that has no eventID. */
function unnamedRef(envelope: Envelope): string {
  return envelope.ref ?? (envelope.position ? `at ${envelope.position}` : "(unnamed)");
}

/** How errors and logs name a change: its eventID and the transport's name, or the latter alone. */
export function changeRef(eventId: string | undefined, envelope: Envelope): string {
  return eventId ? `${eventId}${envelope.ref ? ` (${envelope.ref})` : ""}` : unnamedRef(envelope);
}

/** The `userIdentity` DynamoDB puts on Time to Live deletes. */
export function isTtlIdentity(value: unknown): boolean {
  const identity = value as Record<string, unknown> | null | undefined;
  return (
    typeof identity === "object" &&
    identity !== null &&
    identity.type === "Service" &&
    identity.principalId === "dynamodb.amazonaws.com"
  );
}

export type Fail = (field: string | undefined, problem: string) => never;

/** Key attributes are only S, N or B (DynamoDB's rule); the key is never empty. */
export function checkKeys(value: unknown, fail: Fail): AttributeMap {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("dynamodb.Keys", "missing: every change record carries the item's key in `Keys`");
  }
  let count = 0;
  for (const name in value) {
    count++;
    const av = (value as Record<string, unknown>)[name];
    try {
      const tag = typeOf(av);
      const v = (av as Record<string, unknown>)[tag];
      if (tag === "S") {
        if (typeof v !== "string" || v === "")
          throw new FieldProblem("a key string must be non-empty text");
      } else if (tag === "N") canonicalNumber(v);
      else if (tag === "B") binary(v);
      else throw new FieldProblem(`key attributes are S, N or B, got ${tag}`);
    } catch (error) {
      const problem =
        error instanceof FieldProblem || error instanceof NumberProblem
          ? error.message
          : String(error);
      fail(appendSegment("dynamodb.Keys", name), problem);
    }
  }
  if (count === 0) fail("dynamodb.Keys", "is empty: a change must name the item it changes");
  return value as AttributeMap;
}

/**
 * A DynamoDB Streams record, known by what only those carry: the stream's
 * ARN or view type (a Kinesis Data Streams for DynamoDB record has neither).
 */
export function isStreamsRecord(
  record: Record<string, unknown>,
  dynamodb: Record<string, unknown>,
): boolean {
  return record.eventSourceARN !== undefined || dynamodb.StreamViewType !== undefined;
}

/** Whether a key attribute written in an image is the one in Keys (numbers by value). */
export function sameKeyValue(key: unknown, value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const k = key as Record<string, unknown>;
  const v = value as Record<string, unknown>;
  const tag = Object.keys(k)[0] as string;
  if (Object.keys(v).length !== 1 || !Object.hasOwn(v, tag)) return false;
  if (tag !== "N") return v[tag] === k[tag];
  try {
    return canonicalNumber(v[tag]) === canonicalNumber(k[tag]);
  } catch {
    return false;
  }
}

/** A NewImage names its item's key again; one that names another item is not this change. */
function checkImageKeys(keys: AttributeMap, newImage: AttributeMap, fail: Fail): void {
  for (const name in keys) {
    if (!Object.hasOwn(newImage, name)) continue;
    if (!sameKeyValue(keys[name], newImage[name])) {
      fail(
        appendSegment("dynamodb.NewImage", name),
        `key attribute disagrees with dynamodb.Keys (${JSON.stringify(newImage[name])} in NewImage, ${JSON.stringify(keys[name])} in Keys)`,
      );
    }
  }
}

function image(value: unknown, field: string, fail: Fail): AttributeMap | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    return fail(field, `must be a map of attribute values, got ${describe(value)}`);
  }
  return value as AttributeMap;
}

/**
 * Kinesis Data Streams for DynamoDB stamps milliseconds or microseconds; the
 * precision field says which, and without it the number of digits does
 * (13 for milliseconds, 16 for microseconds).
 */
export function kinesisMicros(value: unknown, precision: unknown, fail: Fail): number {
  const field = "dynamodb.ApproximateCreationDateTime";
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    return fail(field, `must be a number, got ${describe(value)}`);
  }
  if (
    precision !== undefined &&
    precision !== null &&
    precision !== "MICROSECOND" &&
    precision !== "MILLISECOND"
  ) {
    fail(
      "dynamodb.ApproximateCreationDateTimePrecision",
      `must be MILLISECOND or MICROSECOND, got ${describe(precision)}`,
    );
  }
  return kinesisTick(value, precision) === "microsecond"
    ? Math.trunc(value)
    : Math.trunc(value * 1000);
}

/** How finely a Kinesis record was stamped: its precision field, or without it its digits. */
export function kinesisTick(value: unknown, precision: unknown): Tick {
  if (precision === "MICROSECOND") return "microsecond";
  if (precision === "MILLISECOND") return "millisecond";
  return typeof value === "number" && value >= 1e15 ? "microsecond" : "millisecond";
}

/** DynamoDB Streams: epoch seconds in the Lambda shape, a Date or ISO text from GetRecords. */
export function streamsMicros(value: unknown, fail: Fail): number {
  const field = "dynamodb.ApproximateCreationDateTime";
  if (typeof value === "number" && Number.isFinite(value) && value >= 0)
    return Math.trunc(value * 1e6);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime() * 1000;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms * 1000;
  }
  return fail(field, `must be epoch seconds or an ISO timestamp, got ${describe(value)}`);
}
