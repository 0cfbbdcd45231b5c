// Coalescing: of several changes to one item in a batch only the newest can
// matter, so only it is written. This is what makes duplicates and reordered
// records inside a batch harmless, and keeps one row per key per statement
// (PostgreSQL refuses to update a row twice in one INSERT ... ON CONFLICT).

import type { EncodedRow } from "../codec/row.ts";

export interface Coalesced<T extends { row: EncodedRow }> {
  /** The newest change of each key, in the order their keys first appeared. */
  winners: T[];
  /** Changes superseded by a newer (or equal, later delivered) change of the same key. */
  superseded: T[];
}

export function coalesce<T extends { row: EncodedRow }>(entries: T[]): Coalesced<T> {
  const newest = new Map<string, T>();
  const superseded: T[] = [];
  for (const entry of entries) {
    const current = newest.get(entry.row.key);
    if (!current) {
      newest.set(entry.row.key, entry);
    } else if (entry.row.version >= current.row.version) {
      // Equal versions are the same change delivered twice; the later copy wins harmlessly.
      superseded.push(current);
      newest.set(entry.row.key, entry);
    } else {
      superseded.push(entry);
    }
  }
  return { winners: [...newest.values()], superseded };
}
