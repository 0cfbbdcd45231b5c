// What a running relay has done and how it stands, counted in one place: the
// totals its summary line prints, the outcomes per target table, each shard's
// lag and last checkpoint, retries and outage time, whether the source and
// the sink answered last time, and when each part of it last moved. The relay
// writes it; the command line's summary, the metrics and the health checks
// read it, so that no number is counted twice.

import {
  addCounts,
  type BatchResult,
  type Counts,
  tableCounts,
  zeroCounts,
} from "../pipeline/batch-result.ts";

/** What the relay returns when it stops. */
export interface RelayStats extends Counts {
  deadLettered: number;
  shards: number;
}

/** Outcomes of the records of one target table, since the relay started. */
export interface TableTotals {
  applied: number;
  superseded: number;
  stale: number;
  duplicates: number;
  /** Records that change no row (a change of no interest, such as a MongoDB event without a document). */
  ignored: number;
  deadLettered: number;
  /** Records of attempts the sink failed (an outage); each was tried again, so it counts again. */
  failed: number;
  roundedNumbers: number;
  routedToAux: number;
}

export interface ShardState {
  /** The age of the newest change of the last applied batch, ms. */
  lagMs?: number;
  /** How far the last read was behind the shard's newest record, ms (Kinesis). */
  behindMs?: number;
  /** When the shard's checkpoint was last written (Date.now()). */
  checkpointAt?: number;
}

/** Which side of the relay a retry was for. */
export type RetryCause = "sink" | "source";

export class RelayTally {
  readonly totals: RelayStats = { ...zeroCounts(), deadLettered: 0, shards: 0 };
  readonly tables = new Map<string, TableTotals>();
  readonly shards = new Map<string, ShardState>();
  readonly retries: Record<RetryCause, number> = { sink: 0, source: 0 };
  /** Whether the last call to each side succeeded; undefined before the first. */
  sinkUp: boolean | undefined;
  sourceUp: boolean | undefined;
  /** Under a lease (--standby): whether this relay holds it; undefined without one. */
  leaseHeld: boolean | undefined;
  /** When the sink last answered (this.now()); 0 before it first did. */
  private sinkAnsweredAt = 0;
  /** Outages of the sink that ended, ms in all. */
  private outageMs = 0;
  private outageSince: number | undefined;
  /** When each running part (a shard's reader, the main loop "") last moved. */
  private readonly movedAt = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A batch applied (and its refused records dead-lettered); `table` takes a result without per-table counts. */
  batch(result: BatchResult, deadLettered: number, table: string): void {
    addCounts(this.totals, result);
    this.totals.deadLettered += deadLettered;
    for (const part of result.tables ?? [tableCounts(table, result)]) {
      const totals = this.table(part.table);
      totals.applied += part.applied;
      totals.superseded += part.superseded;
      totals.stale += part.stale;
      totals.duplicates += part.duplicates;
      totals.ignored += part.skipped - part.superseded - part.stale - part.duplicates;
      // Every refused record of an applied batch went to the dead-letter destination.
      totals.deadLettered += part.refused;
      totals.roundedNumbers += part.roundedNumbers;
      totals.routedToAux += part.routedToAux;
    }
  }

  /** An attempt at a batch that the sink failed: its records are tried again. */
  attemptFailed(result: BatchResult, table: string): void {
    for (const part of result.tables ?? [tableCounts(table, result)])
      if (part.failed > 0) this.table(part.table).failed += part.failed;
  }

  shard(id: string): ShardState {
    let state = this.shards.get(id);
    if (!state) {
      state = {};
      this.shards.set(id, state);
    }
    return state;
  }

  checkpointed(shard: string): void {
    this.shard(shard).checkpointAt = this.now();
  }

  /** Milliseconds since the shard's checkpoint was last written; undefined before the first. */
  checkpointAgeMs(shard: string): number | undefined {
    const at = this.shards.get(shard)?.checkpointAt;
    return at === undefined ? undefined : this.now() - at;
  }

  retry(cause: RetryCause): void {
    this.retries[cause]++;
  }

  /** The sink answered: an outage, if one was under way, is over. */
  sinkAnswered(): void {
    this.sinkUp = true;
    this.sinkAnsweredAt = this.now();
    if (this.outageSince !== undefined) {
      this.outageMs += this.now() - this.outageSince;
      this.outageSince = undefined;
    }
  }

  /** The sink could not be reached (a transient failure): an outage starts, unless one is under way. */
  sinkFailed(): void {
    this.sinkUp = false;
    this.outageSince ??= this.now();
  }

  /** Milliseconds since the sink last answered (Infinity before it first did). */
  sinceSinkAnswered(): number {
    return this.sinkAnsweredAt === 0 ? Number.POSITIVE_INFINITY : this.now() - this.sinkAnsweredAt;
  }

  sourceAnswered(): void {
    this.sourceUp = true;
  }

  sourceFailed(): void {
    this.sourceUp = false;
  }

  /** Seconds the sink was down, the outage under way included. */
  outageSeconds(): number {
    const current = this.outageSince === undefined ? 0 : this.now() - this.outageSince;
    return (this.outageMs + current) / 1000;
  }

  /** A part of the relay did something (read, applied, waited out a retry): it is not stuck. */
  moved(part = ""): void {
    this.movedAt.set(part, this.now());
  }

  /** A part stopped: it can not be stuck any more. */
  stopped(part: string): void {
    this.movedAt.delete(part);
  }

  /** The part that has not moved for the longest time, and for how long (ms); undefined when none runs. */
  stillest(): { part: string; ms: number } | undefined {
    let found: { part: string; ms: number } | undefined;
    const now = this.now();
    for (const [part, at] of this.movedAt)
      if (!found || now - at > found.ms) found = { part, ms: now - at };
    return found;
  }

  private table(name: string): TableTotals {
    let totals = this.tables.get(name);
    if (!totals) {
      totals = {
        applied: 0,
        superseded: 0,
        stale: 0,
        duplicates: 0,
        ignored: 0,
        deadLettered: 0,
        failed: 0,
        roundedNumbers: 0,
        routedToAux: 0,
      };
      this.tables.set(name, totals);
    }
    return totals;
  }
}
