// Items of a table snapshot (a parallel Scan, or a DynamoDB export) as typed
// changes, and the version rule that lets a snapshot hand off to the change
// stream without losing a write.
//
// The rule: a snapshot row's version is older than the version of any change
// made at or after the snapshot's cut time. Stream versions start with the
// change's time in microseconds (version.ts): Kinesis stamps milliseconds or
// microseconds; DynamoDB Streams whole seconds, rounded down. So a change at
// or after the cut is stamped at least floor-to-the-second(cut), and the
// snapshot's version is one microsecond before that, with no tie-breaker
// (".000", below every sequence number). Then, applied through the same guard:
// - a change made after the cut always replaces the snapshot row;
// - a change older than the cut never replaces it, unless it is stamped after
//   the snapshot's version, and then it is in the replayed stream window,
//   whose last change of the item is the item's true state.
// The cut is the snapshot's start minus a margin for clock skew and, for an
// export, for its fuzzy cut time (see docs/SEMANTICS.md, G13).

import { RecordError } from "../errors.ts";
import { checkKeys } from "./parse-change.ts";
import type { AttributeMap, Change } from "./types.ts";
import { makeVersion } from "./version.ts";

/** The whole second at or before `cutMs`: where the relay starts and below which snapshot versions sit. */
export function snapshotCutSecondMs(cutMs: number): number {
  return Math.floor(cutMs / 1000) * 1000;
}

/** The version of every row of a snapshot cut at `cutMs` (epoch milliseconds). */
export function snapshotVersion(cutMs: number): string {
  return makeVersion(snapshotMicros(cutMs));
}

/** The time part of a snapshot row's version, in microseconds. */
export function snapshotMicros(cutMs: number): number {
  return snapshotCutSecondMs(cutMs) * 1000 - 1;
}

/** The fields every row of one snapshot shares. */
export interface Snapshot {
  /** The table's key attribute names, partition key first. */
  keyNames: readonly string[];
  /** The snapshot's cut, epoch milliseconds (already minus its margin). */
  cutMs: number;
}

/**
 * One snapshot item (wire form: binary as base64) as an INSERT change.
 * Throws RecordError, naming the item by `ref`, when a key attribute is
 * missing or not an S, N or B value.
 */
export function snapshotChange(item: unknown, snapshot: Snapshot, ref: string): Change {
  const fail = (field: string | undefined, problem: string): never => {
    throw new RecordError(ref, field, problem);
  };
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    return fail("Item", "must be a map of attribute values");
  }
  const image = item as AttributeMap;
  const keys: AttributeMap = {};
  for (const name of snapshot.keyNames) {
    const value = image[name];
    if (value === undefined) {
      fail(
        `Item.${name}`,
        `key attribute ${name} is missing; the table's key is ${snapshot.keyNames.join(", ")}`,
      );
    }
    keys[name] = value as AttributeMap[string];
  }
  // The same checks as a change record's Keys, reported on the item's fields.
  checkKeys(keys, (field, problem) => fail(field?.replace(/^dynamodb\.Keys/, "Item"), problem));
  return snapshotRow("insert", keys, image, snapshot.cutMs, ref);
}

/**
 * The delete of a key at a snapshot's version: `dynacrate verify --repair`
 * removes a row the source lacks with it, under the same rule as a snapshot row.
 */
export function snapshotRemoval(keys: AttributeMap, cutMs: number, ref: string): Change {
  return snapshotRow("remove", keys, undefined, cutMs, ref);
}

function snapshotRow(
  operation: "insert" | "remove",
  keys: AttributeMap,
  image: AttributeMap | undefined,
  cutMs: number,
  ref: string,
): Change {
  const micros = snapshotMicros(cutMs);
  return {
    operation,
    source: "full-load",
    tableName: undefined,
    eventId: undefined,
    keys,
    newImage: image,
    oldImage: undefined,
    version: makeVersion(micros),
    timestampMicros: micros,
    position: undefined,
    ttlDelete: false,
    ref,
  };
}
