// Coalescing: of several changes to one item in a batch only the newest can
// matter, so only it is written first. This is what makes duplicates and
// reordered records inside a batch harmless, and keeps one row per key per
// statement (PostgreSQL refuses to update a row twice in one INSERT ... ON
// CONFLICT). The older changes of the key are kept, newest first, as the
// fallbacks: when the database refuses the newest (a value it can not hold),
// the newest one it takes is applied instead, so a refused change never
// loses the changes before it (docs/SEMANTICS.md, G4).

import type { EncodedRow } from "../codec/row.ts";
import { compareVersions } from "../codec/version.ts";

/** The changes of one key in a batch. */
export interface KeyChanges<T extends { row: EncodedRow }> {
  key: string;
  /** Changes of distinct versions, newest first: the first is written, the others are fallbacks. */
  candidates: T[];
  /** Earlier delivered copies of a candidate's version: the same change twice (duplicates). */
  copies: T[];
}

/** Groups a batch by key, in the order the keys first appeared. */
export function coalesce<T extends { row: EncodedRow }>(entries: T[]): KeyChanges<T>[] {
  const groups = new Map<string, KeyChanges<T>>();
  for (const entry of entries) {
    const group = groups.get(entry.row.key);
    if (!group) groups.set(entry.row.key, { key: entry.row.key, candidates: [entry], copies: [] });
    else group.candidates.push(entry);
  }
  for (const group of groups.values()) {
    if (group.candidates.length === 1) continue;
    // Newest first; of equal versions the later delivered copy stays (it carries the same change).
    const sorted = [...group.candidates].reverse();
    sorted.sort((a, b) => compareVersions(b.row.version, a.row.version));
    const candidates: T[] = [];
    for (const entry of sorted) {
      const last = candidates.at(-1);
      if (last && last.row.version === entry.row.version) group.copies.push(entry);
      else candidates.push(entry);
    }
    group.candidates = candidates;
  }
  return [...groups.values()];
}
