// One change as a row of the change history (`<table>__history`, --history):
// what happened to which key, when, and the item after (and, where the stream
// carries it, before) the change. Pure: the dialects render it.

import { createHash } from "node:crypto";
import { RecordError } from "../errors.ts";
import { type JsonWriteContext, writeMap } from "./attribute-json.ts";
import { FieldProblem } from "./field-problem.ts";
import { mongoHistoryParts } from "./mongodb-event.ts";
import type { EncodedRow, RowFormat } from "./row.ts";
import type { AttributeMap } from "./types.ts";

/** insert, modify, remove, or `snapshot` for an item written by a full load. */
export type HistoryOperation = "insert" | "modify" | "remove" | "snapshot";

export interface HistoryRow {
  /**
   * What identifies the change, so that a change delivered twice is stored
   * once: its eventID (a MongoDB event's resume token); without one (a capture
   * of bare records, a snapshot item) the key and the version, which a
   * redelivery repeats, hashed (a key may be longer than an index takes).
   */
  id: string;
  /** The key in its canonical text (row.ts): one text per item. */
  key: string;
  /** The key attributes as JSON, as the state table's `pk` (CrateDB: `pk_text`) holds them. */
  pk: string;
  operation: HistoryOperation;
  /** A delete done by DynamoDB's Time to Live. */
  ttlDelete: boolean;
  /** ApproximateCreationDateTime (a MongoDB event's wall or cluster time), microseconds. */
  timestampMicros: number;
  version: string;
  /** The item after the change, key attributes left out (they are in `pk`); null for a delete. */
  newImage: string | null;
  /**
   * The item before the change, where the stream carries it (OLD_IMAGE
   * views; a MongoDB event's pre-image, fullDocumentBeforeChange).
   */
  oldImage: string | null;
  /** A MongoDB update's updateDescription (fields set, removed, arrays truncated); null otherwise. */
  updateDescription: string | null;
  /** The record's stream position: Kinesis or DynamoDB Streams sequence number, or resume token. */
  position: string | null;
  /** How dynacrate names the record (eventID, and the stream and shard or line it came from). */
  ref: string;
}

/**
 * The history row of an encoded change. Throws RecordError naming the field
 * when the old image (which the state table never reads) is malformed.
 */
export function historyRow(row: EncodedRow, format: RowFormat): HistoryRow {
  const change = row.change;
  const snapshot = change.source === "full-load";
  const mongo = change.source === "mongodb" ? mongoHistoryParts(change, format) : undefined;
  return {
    id:
      change.eventId ??
      `${snapshot ? "snapshot" : "change"} ${keyVersionHash(row.key, row.version)}`,
    key: row.key,
    pk: row.pk,
    operation: snapshot && change.operation === "insert" ? "snapshot" : change.operation,
    ttlDelete: change.ttlDelete,
    timestampMicros: change.timestampMicros,
    version: row.version,
    newImage: row.deleted ? null : joinObjects(row.data ?? "{}", row.aux ?? "{}"),
    oldImage: mongo ? mongo.before : oldImageJson(change.oldImage, change.keys, format, change.ref),
    updateDescription: mongo?.updateDescription ?? null,
    position: change.position ?? null,
    ref: change.ref,
  };
}

function keyVersionHash(key: string, version: string): string {
  return createHash("sha256").update(`${key} ${version}`, "utf8").digest("hex");
}

/** `{a} + {b}` as one JSON object: the row's `data` and `aux` make the whole item again. */
function joinObjects(data: string, aux: string): string {
  if (aux.length <= 2) return data;
  if (data.length <= 2) return aux;
  return `${data.slice(0, -1)},${aux.slice(1)}`;
}

function oldImageJson(
  image: AttributeMap | undefined,
  keys: AttributeMap,
  format: RowFormat,
  ref: string,
): string | null {
  if (image === undefined) return null;
  const rest: AttributeMap = {};
  for (const name in image) if (!Object.hasOwn(keys, name)) rest[name] = image[name] as never;
  const ctx: JsonWriteContext = { numbers: format.numbers, rounded: 0 };
  try {
    return writeMap(rest, ctx, 0);
  } catch (error) {
    if (error instanceof FieldProblem)
      throw new RecordError(ref, error.path("dynamodb.OldImage"), error.message, { cause: error });
    throw error;
  }
}
