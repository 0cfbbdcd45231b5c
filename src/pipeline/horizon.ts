// The tombstone horizon of a target table: tombstones written before it may
// have been purged, so a change older than it could bring a deleted item back.
// Such a change is refused with a reason (a dead letter), never applied.
// The horizon is kept in the target database (sql/purges.ts), so that every
// writer of the table (relay, Lambda, replay) refuses alike.

import { RecordError } from "../errors.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import { createPurgeTable, loadHorizon, newestPurgeable, raiseHorizon } from "../sql/purges.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";

/** A change older than the tombstone horizon: refused, as its item may have been deleted since. */
export class HorizonError extends RecordError {
  override name = "HorizonError";
}

/** How often a writer looks for a purge by another writer of the same table. */
const RELOAD_MS = 60_000;

export class TombstoneHorizon {
  /** The newest version a purge removed; "" while none did. */
  private version = "";
  private loadedAt = Number.NEGATIVE_INFINITY;
  private readonly target: string;

  constructor(
    private readonly sink: Sink,
    private readonly table: TableName,
  ) {
    this.target = formatTableName(table);
  }

  /** The horizon: the newest version of a purged tombstone; "" while none was purged. */
  async current(now = Date.now()): Promise<string> {
    if (now - this.loadedAt < RELOAD_MS) return this.version;
    try {
      const rows = await this.sink.query<{ horizon: string }>(
        loadHorizon(this.sink.dialect, this.target),
      );
      this.raise(rows[0]?.horizon ?? "");
    } catch (error) {
      // No purge ever ran against this database.
      if (!(error instanceof SinkError && error.missingRelation)) throw error;
    }
    this.loadedAt = now;
    return this.version;
  }

  /**
   * Records the newest tombstone a purge of those written before `before`
   * removes; called before the purge runs, so that no writer applies a change
   * the purge leaves unguarded.
   */
  async purging(before: Date): Promise<void> {
    const rows = await this.sink.query<{ newest: string | null }>(
      newestPurgeable(this.sink.dialect, this.table, before),
    );
    const newest = rows[0]?.newest;
    if (!newest) return;
    await this.sink.query(createPurgeTable(this.sink.dialect));
    await this.sink.query(raiseHorizon(this.sink.dialect, this.target, newest));
    this.raise(newest);
  }

  /** The refusal of a change older than the horizon. */
  refusal(ref: string, changeMicros: number): HorizonError {
    return new HorizonError(
      ref,
      "dynamodb.ApproximateCreationDateTime",
      `${new Date(changeMicros / 1000).toISOString()} is older than a deleted item's tombstone that was purged from ` +
        `${this.target} (version ${this.version}): applying this change could bring a deleted item back, so it is ` +
        "set aside. Keep tombstones longer than the oldest change you apply (the stream's retention, or the age " +
        "of replayed dead letters)",
    );
  }

  private raise(version: string): void {
    if (version > this.version) this.version = version;
  }
}
