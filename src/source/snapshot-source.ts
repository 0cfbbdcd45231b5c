// What a full load reads from: a table snapshot split into parts (the
// segments of a parallel Scan, the data files of a DynamoDB export), each an
// ordered sequence of pages that can be resumed after any page.

import type { KeySchema } from "../codec/key-schema.ts";
import type { RecordError } from "../errors.ts";

export interface SnapshotPage {
  /** Items in their JSON wire form (binary as base64), as the codec reads them. */
  items: unknown[];
  /** How errors and dead letters name item `index` of this page. */
  ref(index: number): string;
  /** Where the part continues after this page; undefined when the part is read to its end. */
  next: string | undefined;
}

export interface SnapshotInfo {
  /** The DynamoDB table, when known. */
  tableName: string | undefined;
  /** The key schema, when the source carries it (DescribeTable); an export does not. */
  keySchema: KeySchema | undefined;
  /** How many items the snapshot holds (approximate for a table), for progress. */
  itemCount: number | undefined;
  /** The snapshot's own cut time (an export's ExportTime); undefined for a scan, which starts now. */
  snapshotTimeMs: number | undefined;
}

export interface SnapshotSource {
  /** Names the snapshot in the load progress table, e.g. `dynamodb://orders`. */
  readonly id: string;
  describe(): Promise<SnapshotInfo>;
  /** The parts, each read by one reader; checked to exist before anything is loaded. */
  parts(): Promise<string[]>;
  /** The pages of a part after position `from` (from its start when undefined). */
  read(part: string, from: string | undefined, signal: AbortSignal): AsyncIterable<SnapshotPage>;
}

/** An item a reader could not read (a data line that is not JSON): the load dead-letters it. */
export class UnreadableItem {
  constructor(
    readonly error: RecordError,
    /** The text as read, for the dead-letter file. */
    readonly text: string,
  ) {}
}
