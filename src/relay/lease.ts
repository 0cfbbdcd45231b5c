// A relay's lease on (stream, target table), kept in the target database
// (src/sql/leases.ts): one relay holds it and reads the stream; the others
// stand by and take it once it expires or is given up. Each taking raises the
// lease's epoch, and checkpoints are written under the epoch (fenced), so a
// relay that lost its lease can no longer write one.

import { hostname } from "node:os";
import { DynacrateError } from "../errors.ts";
import type { Sink } from "../sink/sink.ts";
import {
  createLeaseTable,
  insertLease,
  LEASE_TABLE,
  type LeaseRow,
  readLease,
  saveFencedCheckpoint,
  updateLease,
} from "../sql/leases.ts";
import type { Statement } from "../sql/statement.ts";

/** The lease was taken over (or expired) while this relay thought it held it. */
export class LeaseLostError extends DynacrateError {
  override name = "LeaseLostError";
}

/** What a standing-by relay learns of the lease. */
export interface LeaseHolder {
  holder: string;
  /** Milliseconds until it expires, by the database's clock. */
  expiresInMs: number;
}

/** A name for this process: the host (a pod's name on Kubernetes), the pid and a random part. */
export function holderName(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

export class Lease {
  /** The epoch this relay holds the lease under; undefined while it does not. */
  private epoch: number | undefined;
  private created = false;

  constructor(
    private readonly sink: Sink,
    private readonly stream: string,
    private readonly target: string,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  get held(): boolean {
    return this.epoch !== undefined;
  }

  /** Takes the lease if it is free, expired or already ours; else says who holds it. */
  async acquire(): Promise<true | LeaseHolder> {
    const { dialect } = this.sink;
    if (!this.created) {
      await this.sink.query(createLeaseTable(dialect)).catch(
        // Relays started at once on a new database create it at once, and
        // PostgreSQL refuses all but the first; once more finds it there.
        () => this.sink.query(createLeaseTable(dialect)),
      );
      // CrateDB: a table just created answers reads once its shards started; the refresh waits for them.
      const refresh = dialect.refresh(LEASE_TABLE);
      if (refresh) await this.sink.query(refresh);
      this.created = true;
    }
    const row = await this.read();
    if (!row) {
      const won = await this.sink.query(
        insertLease(dialect, this.stream, this.target, this.holder, this.ttlMs),
      );
      if (won.length > 0) {
        this.epoch = 1;
        return true;
      }
      return this.acquire();
    }
    const ours = row.holder === this.holder && row.epoch === this.epoch;
    if (!ours && row.expiresAt > row.now)
      return { holder: row.holder, expiresInMs: row.expiresAt - row.now };
    const epoch = ours ? row.epoch : row.epoch + 1;
    if (await this.write(row, { holder: this.holder, epoch, ttlMs: this.ttlMs })) {
      this.epoch = epoch;
      return true;
    }
    // Another relay changed the row between the read and the write.
    const now = await this.read();
    return now
      ? { holder: now.holder, expiresInMs: Math.max(0, now.expiresAt - now.now) }
      : this.acquire();
  }

  /** Extends the lease by its time to live; throws LeaseLostError when another holds it now. */
  async renew(): Promise<void> {
    const epoch = this.epoch;
    if (epoch === undefined) throw new LeaseLostError("the lease is not held");
    const row = await this.read();
    if (
      !row ||
      row.holder !== this.holder ||
      row.epoch !== epoch ||
      row.expiresAt <= row.now ||
      !(await this.write(row, { holder: this.holder, epoch, ttlMs: this.ttlMs }))
    ) {
      this.epoch = undefined;
      throw new LeaseLostError(
        `the lease of ${this.stream} into ${this.target} was lost${row && row.holder !== this.holder ? ` to ${row.holder}` : " (it expired)"}`,
      );
    }
  }

  /** Gives the lease up (a clean stop), so that a standing-by relay takes it at its next look. */
  async release(): Promise<void> {
    const epoch = this.epoch;
    this.epoch = undefined;
    if (epoch === undefined) return;
    const row = await this.read();
    if (row && row.holder === this.holder && row.epoch === epoch)
      await this.write(row, { holder: this.holder, epoch, ttlMs: 0 });
  }

  /** A checkpoint's statement, written only under this lease (see saveFencedCheckpoint). */
  checkpoint(shard: string, position: string | undefined, finished: boolean): Statement {
    const epoch = this.epoch;
    if (epoch === undefined) throw new LeaseLostError("the lease is not held");
    return saveFencedCheckpoint(
      this.sink.dialect,
      this.stream,
      this.target,
      shard,
      position,
      finished,
      {
        holder: this.holder,
        epoch,
      },
    );
  }

  /** The lease was lost: a fenced checkpoint wrote nothing. */
  lost(): LeaseLostError {
    this.epoch = undefined;
    return new LeaseLostError(
      `the lease of ${this.stream} into ${this.target} was lost: the checkpoint was not written`,
    );
  }

  private async read(): Promise<LeaseRow | undefined> {
    const [row] = await this.sink.query<Record<keyof LeaseRow, unknown>>(
      readLease(this.sink.dialect, this.stream, this.target),
    );
    if (!row) return undefined;
    // PostgreSQL's driver gives BIGINT as text.
    return {
      holder: String(row.holder),
      epoch: Number(row.epoch),
      expiresAt: Number(row.expiresAt),
      now: Number(row.now),
      seq: Number(row.seq),
      term: Number(row.term),
    };
  }

  private async write(
    row: LeaseRow,
    next: { holder: string; epoch: number; ttlMs: number },
  ): Promise<boolean> {
    const written = await this.sink.query(
      updateLease(this.sink.dialect, this.stream, this.target, row, next),
    );
    return written.length > 0;
  }
}
