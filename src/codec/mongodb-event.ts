// Decodes one MongoDB change event (as `watch()` yields it, in Extended JSON;
// or as an Atlas database trigger sends it through Amazon EventBridge) into
// the pipeline's typed change and the sink's row. The layout is the
// reference's: the document's `_id` as text in `oid` (the state table's key,
// `pk = {"oid": ...}`), the whole document in `data`.
//
// insert, update, replace -> the event's fullDocument (for update, what
// `fullDocument: "updateLookup"` or a post-image gives); delete -> tombstone;
// drop, rename, dropDatabase, invalidate and DDL events -> no row.

import { errorMessage } from "../error-text.ts";
import { RecordError } from "../errors.ts";
import { describe, memberPrefix } from "./attribute-json.ts";
import { type EjsonWriteContext, oidOf, timestampParts, writeEjson } from "./extended-json.ts";
import { FieldProblem } from "./field-problem.ts";
import { canonicalKey, type EncodedRow, type RowFormat } from "./row.ts";
import type { SourceRecord } from "./source-record.ts";
import type { Change, Operation } from "./types.ts";

/** The key schema of every MongoDB target table: the `_id` as text. */
export const MONGODB_KEY_SCHEMA = [{ name: "oid", type: "S" as const }];

const OPERATIONS = new Map<unknown, Operation>([
  ["insert", "insert"],
  ["update", "modify"],
  ["replace", "modify"],
  ["delete", "remove"],
]);

/** Events that change no document: the stream goes on (or, for the terminal ones, ends). */
const NO_ROW = new Set([
  "drop",
  "rename",
  "dropDatabase",
  "invalidate",
  "create",
  "createIndexes",
  "dropIndexes",
  "modify",
  "shardCollection",
  "reshardCollection",
  "refineCollectionShardKey",
  "createSearchIndex",
  "updateSearchIndex",
  "dropSearchIndex",
]);

/** Events after which a change stream on a collection returns nothing more. */
export const TERMINAL_EVENTS = new Set(["drop", "rename", "dropDatabase", "invalidate"]);

/**
 * The version of a change (see version.ts for the layout it shares): 17
 * digits of the cluster time's seconds in microseconds, ".", the cluster
 * time's increment in 10 digits, then the resume token's hex digits (upper
 * case), which order the events of one cluster time (a transaction's) as the
 * server does. A copied document (no token) sorts before every event of its
 * cluster time.
 */
export function mongoVersion(seconds: number, increment: number, token = ""): string {
  const time = String(seconds * 1_000_000).padStart(17, "0");
  return `${time}.${String(increment).padStart(10, "0")}${token.toUpperCase()}`;
}

/** An event as the pipeline sees it: the EventBridge envelope unwrapped. */
function eventOf(payload: unknown): Record<string, unknown> | undefined {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return undefined;
  const p = payload as Record<string, unknown>;
  // An Atlas trigger through EventBridge: {"detail-type": "MongoDB Database Trigger for db.coll", "detail": {...}}.
  if (p.detail !== undefined && typeof p["detail-type"] === "string") {
    const d = p.detail;
    return typeof d === "object" && d !== null && !Array.isArray(d)
      ? (d as Record<string, unknown>)
      : undefined;
  }
  return p;
}

/** The resume token's text (`_id._data`) of an event, if it has one. */
export function resumeTokenData(event: unknown): string | undefined {
  const data = (eventOf(event)?._id as { _data?: unknown } | undefined)?._data;
  return typeof data === "string" ? data : undefined;
}

/**
 * The pipeline's decoder for MongoDB change events (see RecordDecoder):
 * the row, undefined for an event that changes no document, or a RecordError
 * naming the event and field.
 */
export function decodeMongoRecord(
  record: SourceRecord,
  format: RowFormat,
  check?: (change: Change) => void,
): EncodedRow | undefined {
  if (record.error) throw record.error;
  const event = eventOf(record.payload);
  const token = resumeTokenData(record.payload);
  const ref = record.ref ?? (token ? `token ${token}` : (record.position ?? "(unnamed)"));
  const fail = (field: string | undefined, problem: string, cause?: unknown): never => {
    throw new RecordError(ref, field, problem, cause === undefined ? undefined : { cause });
  };
  if (!event)
    return fail(undefined, `a change event must be a JSON object, got ${describe(record.payload)}`);

  const type = event.operationType;
  if (typeof type !== "string" || type === "")
    return fail("operationType", `is missing or empty; a change event names its operationType`);
  const operation = OPERATIONS.get(type);
  if (!operation) {
    if (NO_ROW.has(type)) return undefined;
    return fail(
      "operationType",
      `unknown operationType ${JSON.stringify(type)}; expected insert, update, replace, delete (or an event that changes no document: ${[...NO_ROW].join(", ")})`,
    );
  }

  let cluster: { t: number; i: number };
  try {
    const ct = event.clusterTime as { $timestamp?: unknown } | undefined;
    cluster = timestampParts(ct?.$timestamp ?? ct);
  } catch (error) {
    return fail("clusterTime", errorMessage(error), error);
  }

  const ns = event.ns as { db?: unknown; coll?: unknown } | undefined;
  const tableName =
    typeof ns?.db === "string" && typeof ns.coll === "string" ? `${ns.db}.${ns.coll}` : undefined;

  const full = event.fullDocument;
  const hasFull = typeof full === "object" && full !== null && !Array.isArray(full);
  if (operation !== "remove" && !hasFull) {
    if (operation === "modify" && full === null) {
      // updateLookup found no document: it was deleted since, and that delete follows in the stream.
      return undefined;
    }
    return fail(
      "fullDocument",
      full === undefined
        ? `a ${type} event without fullDocument: open the change stream with fullDocument: "updateLookup" (or "required" with post-images)`
        : `must be a document, got ${describe(full)}`,
    );
  }

  // documentKey holds _id (and a sharded collection's shard key). mongo-java-server
  // puts the update's specification there instead: the full document's _id names it then.
  const keyDoc = event.documentKey as Record<string, unknown> | undefined;
  let id: unknown = keyDoc && typeof keyDoc === "object" ? keyDoc._id : undefined;
  let idField = "documentKey._id";
  if (id === undefined && hasFull) {
    id = (full as Record<string, unknown>)._id;
    idField = "fullDocument._id";
  }
  if (id === undefined)
    return fail("documentKey._id", "is missing: the event does not name its document");
  let oid: string;
  try {
    oid = oidOf(id);
  } catch (error) {
    if (error instanceof FieldProblem) return fail(error.path(idField), error.message, error);
    throw error;
  }

  const seconds = cluster.t;
  const wall = wallMillis(event.wallTime);
  const change: Change = {
    operation,
    source: "mongodb",
    tableName,
    eventId: token,
    keys: { oid: { S: oid } },
    newImage: undefined,
    oldImage: undefined,
    version: mongoVersion(seconds, cluster.i, token),
    timestampMicros: wall !== undefined ? wall * 1000 : seconds * 1_000_000,
    position: token ?? record.position,
    ttlDelete: false,
    ref,
  };
  const updateDescription = event.updateDescription;
  const before = event.fullDocumentBeforeChange;
  if (updateDescription !== undefined || (before !== undefined && before !== null))
    change.mongo = { updateDescription, before: before ?? undefined };
  check?.(change);

  const ctx: EjsonWriteContext = { numbers: format.numbers, rounded: 0 };
  let data: string | null = null;
  let aux: string | null = null;
  if (operation !== "remove") {
    try {
      ({ data, aux } = writeFullDocument(full as Record<string, unknown>, ctx));
    } catch (error) {
      if (error instanceof FieldProblem)
        return fail(error.path("fullDocument"), error.message, error);
      throw error;
    }
  }
  return mongoRow(change, oid, data, aux, ctx.rounded);
}

function mongoRow(
  change: Change,
  oid: string,
  data: string | null,
  aux: string | null,
  roundedNumbers: number,
): EncodedRow {
  return {
    key: canonicalKey(change.keys),
    pk: `{"oid":${JSON.stringify(oid)}}`,
    data,
    aux,
    version: change.version,
    deleted: change.operation === "remove",
    roundedNumbers,
    change,
  };
}

/**
 * The document as `data`, and its top-level arrays whose elements are of
 * different JSON types as `aux` (CrateDB can not index those: the same rule
 * as for DynamoDB lists).
 */
function writeFullDocument(
  doc: Record<string, unknown>,
  ctx: EjsonWriteContext,
): { data: string; aux: string } {
  let data = "{";
  let aux = "{";
  for (const name in doc) {
    let json: string;
    try {
      json = writeEjson(doc[name], ctx, 1);
    } catch (error) {
      return FieldProblem.within(error, name);
    }
    if (json.charCodeAt(0) === 91 && isMixedArray(doc[name] as unknown[]))
      aux += (aux.length === 1 ? "" : ",") + memberPrefix(name) + json;
    else data += (data.length === 1 ? "" : ",") + memberPrefix(name) + json;
  }
  return { data: `${data}}`, aux: `${aux}}` };
}

/** An array whose written elements are not all of one JSON type (nulls aside). */
function isMixedArray(list: unknown[]): boolean {
  if (!Array.isArray(list) || list.length < 2) return false;
  let kind: string | undefined;
  for (const element of list) {
    const k = jsonKind(element);
    if (k === "null") continue;
    if (kind === undefined) kind = k;
    else if (k !== kind) return true;
  }
  return false;
}

/** The JSON type an Extended JSON value is written as. */
function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v !== "object") return typeof v;
  for (const key in v) {
    switch (key) {
      case "$numberInt":
      case "$numberLong":
      case "$date":
        return "number";
      case "$numberDouble":
      case "$numberDecimal": {
        const text = (v as Record<string, unknown>)[key];
        return typeof text === "string" && /^-?(?:NaN|Inf)/i.test(text) ? "string" : "number";
      }
      case "$oid":
      case "$binary":
      case "$uuid":
      case "$regularExpression":
      case "$symbol":
      case "$minKey":
      case "$maxKey":
        return "string";
      case "$undefined":
        return "null";
      default:
        return "object";
    }
  }
  return "object";
}

function wallMillis(v: unknown): number | undefined {
  const d = (v as { $date?: unknown } | null | undefined)?.$date ?? v;
  if (typeof d === "string") {
    const ms = Date.parse(d);
    return Number.isNaN(ms) ? undefined : ms;
  }
  if (typeof d === "number") return d;
  const long = (d as { $numberLong?: unknown } | null | undefined)?.$numberLong;
  return typeof long === "string" ? Number(long) : undefined;
}

/**
 * What the change history keeps of a MongoDB event beyond its full document:
 * the document before the change (a pre-image, where the collection has them
 * on) and the update's description (fields set, fields removed, arrays
 * truncated), each as JSON text; null where the event has none.
 */
export function mongoHistoryParts(
  change: Change,
  format: RowFormat,
): { before: string | null; updateDescription: string | null } {
  const parts = change.mongo;
  if (!parts) return { before: null, updateDescription: null };
  const write = (value: unknown, field: string): string | null => {
    if (value === undefined || value === null) return null;
    if (typeof value !== "object" || Array.isArray(value))
      throw new RecordError(change.ref, field, `must be a document, got ${describe(value)}`);
    try {
      return writeEjson(value, { numbers: format.numbers, rounded: 0 }, 0);
    } catch (error) {
      if (error instanceof FieldProblem)
        throw new RecordError(change.ref, error.path(field), error.message, { cause: error });
      throw error;
    }
  };
  return {
    before: write(parts.before, "fullDocumentBeforeChange"),
    updateDescription: write(parts.updateDescription, "updateDescription"),
  };
}

/**
 * A copied document (the initial copy) as a row, at `version`: one older than
 * every change event from the copy's start on (see mongoVersion), so the
 * change stream replayed from there wins over the copy.
 */
export function encodeMongoDocument(
  doc: unknown,
  version: string,
  format: RowFormat,
  ref: string,
): EncodedRow {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new RecordError(ref, undefined, `a document must be a JSON object, got ${describe(doc)}`);
  const d = doc as Record<string, unknown>;
  const fail = (error: unknown, prefix: string): never => {
    if (error instanceof FieldProblem)
      throw new RecordError(ref, error.path(prefix), error.message, { cause: error });
    throw error;
  };
  let oid = "";
  try {
    oid = oidOf(d._id);
  } catch (error) {
    fail(error, "_id");
  }
  const ctx: EjsonWriteContext = { numbers: format.numbers, rounded: 0 };
  let written = { data: "{}", aux: "{}" };
  try {
    written = writeFullDocument(d, ctx);
  } catch (error) {
    fail(error, "document");
  }
  const change: Change = {
    operation: "insert",
    source: "full-load",
    tableName: undefined,
    eventId: undefined,
    keys: { oid: { S: oid } },
    newImage: undefined,
    oldImage: undefined,
    version,
    timestampMicros: Number(version.slice(0, 17)),
    position: undefined,
    ttlDelete: false,
    ref,
  };
  return mongoRow(change, oid, written.data, written.aux, ctx.rounded);
}
