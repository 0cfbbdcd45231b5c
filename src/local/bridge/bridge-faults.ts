// What the bridge can do to the records it forwards, to imitate Kinesis Data
// Streams for DynamoDB, which delivers a change more than once and out of
// order (docs/FACTS section 1): duplicates, swapped neighbours, records held
// back behind later ones. Seeded, so a failing test repeats exactly.

import { prng } from "../prng.ts";

export interface BridgeFaults {
  /** Seed of the PRNG: the same seed and input give the same faults. */
  seed: number;
  /** Probability that a record is put twice: the copy lands later in the same batch, or in the next. */
  duplicates?: number;
  /** Probability that a record swaps places with its neighbour within a PutRecords batch. */
  swaps?: number;
  /** Probability that a record is held back and put after the changes of the next batch. */
  delays?: number;
}

export interface FaultStats {
  duplicated: number;
  swapped: number;
  delayed: number;
}

export class FaultInjector<T> {
  readonly stats: FaultStats = { duplicated: 0, swapped: 0, delayed: 0 };
  private readonly random: () => number;
  private held: T[] = [];

  constructor(private readonly faults: BridgeFaults) {
    this.random = prng(faults.seed);
  }

  /** Records held back for a later batch. */
  get pending(): number {
    return this.held.length;
  }

  /** The batch as it will be put: held records of earlier batches mixed in, faults applied. */
  apply(batch: T[]): T[] {
    const { duplicates = 0, swaps = 0, delays = 0 } = this.faults;
    const out: T[] = [];
    const later: T[] = [];
    const copies: Array<{ record: T; after: number }> = [];
    for (const record of batch) {
      if (this.random() < delays) {
        later.push(record);
        this.stats.delayed++;
      } else out.push(record);
      if (this.random() < duplicates) {
        this.stats.duplicated++;
        // The copy comes after the original: later in this batch, or in the next one.
        if (this.random() < 0.5) later.push(record);
        else copies.push({ record, after: out.length });
      }
    }
    // Last copy first: inserting at or after its own place moves no earlier original.
    for (const { record, after } of copies.reverse()) {
      out.splice(after + Math.floor(this.random() * (out.length - after + 1)), 0, record);
    }
    // Records held back from the previous batch arrive among this one's, mostly after newer changes.
    for (const record of this.held) {
      out.splice(Math.floor(this.random() * (out.length + 1)), 0, record);
    }
    this.held = later;
    for (let i = 0; i + 1 < out.length; i++) {
      if (this.random() < swaps) {
        [out[i], out[i + 1]] = [out[i + 1] as T, out[i] as T];
        this.stats.swapped++;
        i++;
      }
    }
    return out;
  }

  /** Everything still held back, to put now (the source has nothing new). */
  flush(): T[] {
    const out = this.held;
    this.held = [];
    return out;
  }
}
