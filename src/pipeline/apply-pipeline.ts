// The apply pipeline: one batch of change records in, guarded writes out.
// The Lambda handler, the relay and `dynacrate replay` are thin shells over it.
//
// decode -> encode -> coalesce by key -> version-guarded write -> split the
// batch on a refused request until the bad row is alone -> per-record result.

import type { NumberFormat } from "../codec/decimal.ts";
import { type HistoryRow, historyRow } from "../codec/history-row.ts";
import { checkGivenKeySchema, type KeySchema, keySchemaOf } from "../codec/key-schema.ts";
import { refuseNul } from "../codec/nul-char.ts";
import type { EncodedRow, RowFormat } from "../codec/row.ts";
import { encodeSourceRecord, type SourceRecord } from "../codec/source-record.ts";
import type { Change } from "../codec/types.ts";
import { errorMessage } from "../error-text.ts";
import { ConfigError, type DynacrateError, InternalError, RecordError } from "../errors.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import type { TableName } from "../sql/table-name.ts";
import type { BatchResult, FailedRecord } from "./batch-result.ts";
import { coalesce, type KeyChanges } from "./coalesce.ts";
import { type HistoryOptions, HistoryWriter } from "./history-writer.ts";
import { TombstoneHorizon } from "./horizon.ts";
import { OneStream } from "./one-stream.ts";

/**
 * Turns one source record into a sink-ready row, calling `check` on the
 * decoded change before encoding it; throws RecordError for a bad record.
 * Undefined means the record changes no row (a MongoDB `drop` event, say)
 * and counts as skipped. DynamoDB's (encodeSourceRecord) is the default;
 * MongoDB has its own.
 */
export type RecordDecoder = (
  record: SourceRecord,
  format: RowFormat,
  check: (change: Change) => void,
) => EncodedRow | undefined;

export interface PipelineOptions {
  table: TableName;
  /** How records are decoded (default: DynamoDB change records). */
  decoder?: RecordDecoder | undefined;
  /** The DynamoDB key schema; without it, the first record's `Keys` decide. */
  keySchema?: KeySchema | undefined;
  /** How numbers are written (see decimal.ts); each dialect has its default. */
  numbers?: NumberFormat | undefined;
  /** Deleted keys are remembered this long, then forgotten (see docs/SEMANTICS.md). */
  tombstoneRetentionMs?: number;
  /** How often at most to purge old tombstones. */
  purgeIntervalMs?: number;
  /** Keep every change in `<table>__history` too (--history); unset: the state table only. */
  history?: HistoryOptions | undefined;
}

/** A week: longer than any lateness seen from Kinesis Data Streams for DynamoDB (minutes). */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

interface Entry {
  index: number;
  row: EncodedRow;
  /** The change's row of the history table, where there is one. */
  history?: HistoryRow;
}

/** A decoded, coalesced batch, ready to be written. */
export interface PreparedBatch {
  records: SourceRecord[];
  /** The changes of each key, newest first. */
  keys: KeyChanges<Entry>[];
  /** Records that change no row. */
  noRow: number;
  /** Records that could not be decoded. */
  failed: FailedRecord[];
  roundedNumbers: number;
  newestMicros: number;
  oldestMicros: number;
  /** What `appendAhead` started: taken by the next `commit`, which starts it anew on a retry. */
  ahead?: Promise<BeforeState> | undefined;
}

/** A key whose changes from `at` on are still to be written (newest first). */
interface Pending {
  group: KeyChanges<Entry>;
  at: number;
}

/** What is left to write once the tables, the horizon and the history have had their say. */
interface BeforeState {
  pending: Pending[];
  failed: FailedRecord[];
}

/** Records an entry of `batch` as failed, in `failed`. */
function failEntries(batch: PreparedBatch, failed: FailedRecord[]) {
  return (entry: Entry, error: DynacrateError, permanent: boolean): void => {
    failed.push(failure(batch.records, entry.index, error, permanent, entry.row.change.ref));
  };
}

function failure(
  records: SourceRecord[],
  index: number,
  error: DynacrateError,
  permanent: boolean,
  changeRef?: string,
): FailedRecord {
  const record = records[index] as SourceRecord;
  const ref =
    error instanceof RecordError
      ? error.record
      : (changeRef ?? record.ref ?? record.position ?? `record ${index}`);
  return { index, ref, position: record.position, error, permanent, payload: record.payload };
}

export class ApplyPipeline {
  readonly sink: Sink;
  readonly table: TableName;
  private keySchema: KeySchema | undefined;
  /** A key schema given up front is checked against the first change's keys, once. */
  private givenKeysChecked: boolean;
  private readonly format: RowFormat;
  private readonly decode: RecordDecoder;
  private retentionMs: number;
  private readonly horizon: TombstoneHorizon;
  private readonly oneStream: OneStream;
  private readonly purgeIntervalMs: number;
  private lastPurge = 0;
  private readonly history: HistoryWriter | undefined;

  constructor(sink: Sink, options: PipelineOptions) {
    this.sink = sink;
    this.table = options.table;
    this.keySchema = options.keySchema;
    this.givenKeysChecked = options.keySchema === undefined;
    this.format = sink.dialect.rowFormat(options.numbers);
    this.decode = options.decoder ?? encodeSourceRecord;
    this.retentionMs = options.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS;
    this.horizon = new TombstoneHorizon(sink, options.table);
    this.oneStream = new OneStream(options.table);
    this.purgeIntervalMs = options.purgeIntervalMs ?? 3600 * 1000;
    this.history = options.history && new HistoryWriter(sink, options.table, options.history);
  }

  /** The key schema in use (given, or learnt from the first record). */
  get keys(): KeySchema | undefined {
    return this.keySchema;
  }

  /** Applies one batch, records in delivery order. Never throws for a bad record. */
  async apply(records: SourceRecord[]): Promise<BatchResult> {
    return this.commit(this.prepare(records));
  }

  /**
   * Checks a decoded change before it is encoded (the decoder's `check`):
   * its keys against the table's key schema (learnt from the first change
   * when none was given), and that it comes from the table's one stream.
   * Throws RecordError.
   */
  readonly check = (change: Change): void => {
    if (!this.givenKeysChecked && this.keySchema) {
      // A wrong --key stops the run here, before its first write, instead of failing every record.
      checkGivenKeySchema(this.keySchema, change.keys, change.ref);
      this.givenKeysChecked = true;
    }
    this.keySchema ??= keySchemaOf(change.keys);
    checkKeys(change.keys, this.keySchema, change.ref);
    this.oneStream.check(change);
  };

  /**
   * The CPU half of `apply`: decodes, encodes and coalesces a batch. Callers
   * that read ahead (replay) prepare the next batch while `commit` of the
   * previous one waits for the database, keeping both busy. A caller that
   * decoded the records already (the router, which reads the change to
   * place it, and ran `check` on it) gives what each decoded to, by index:
   * its row, undefined for none, or the RecordError it failed with.
   */
  prepare(
    records: SourceRecord[],
    decoded?: ReadonlyArray<EncodedRow | RecordError | undefined>,
  ): PreparedBatch {
    const failed: FailedRecord[] = [];
    const entries: Entry[] = [];
    let roundedNumbers = 0;
    let newestMicros = 0;
    let oldestMicros = 0;
    let noRow = 0;
    for (let index = 0; index < records.length; index++) {
      try {
        let row: EncodedRow | undefined;
        if (decoded) {
          const given = decoded[index];
          if (given instanceof RecordError) throw given;
          row = given;
        } else {
          row = this.decode(records[index] as SourceRecord, this.format, this.check);
        }
        if (row === undefined) {
          noRow++;
          continue;
        }
        if (this.format.nulRefusedBy) refuseNul(row, this.format.nulRefusedBy);
        const change = row.change;
        roundedNumbers += row.roundedNumbers;
        newestMicros = Math.max(newestMicros, change.timestampMicros);
        oldestMicros =
          oldestMicros === 0
            ? change.timestampMicros
            : Math.min(oldestMicros, change.timestampMicros);
        entries.push(
          this.history ? { index, row, history: historyRow(row, this.format) } : { index, row },
        );
      } catch (error) {
        if (!(error instanceof RecordError)) throw error;
        failed.push(failure(records, index, error, true));
      }
    }
    return {
      records,
      keys: coalesce(entries),
      noRow,
      failed,
      roundedNumbers,
      newestMicros,
      oldestMicros,
    };
  }

  /**
   * The I/O half of `apply`: writes a prepared batch and reports every record's fate.
   *
   * The newest change of each key is written first, all keys in one request,
   * rows in key order (so concurrent writers lock rows in one order and never
   * deadlock). A change the database refuses for its content fails alone,
   * and the next newest change of its key is written in the next round, until
   * one is taken or none is left: a refused change never loses the older
   * changes of its key, and the result does not depend on batch boundaries.
   * When the sink itself fails, every change of the key not yet applied
   * fails as retryable, so a partial batch response names the first of them.
   */
  async commit(batch: PreparedBatch): Promise<BatchResult> {
    const ahead = batch.ahead;
    batch.ahead = undefined;
    const before = await (ahead ?? this.beforeState(batch));
    const failed = [...batch.failed, ...before.failed];
    const fail = failEntries(batch, failed);
    const counts = {
      applied: 0,
      stale: 0,
      duplicates: 0,
      superseded: 0,
      staleUnknown: false,
      routedToAux: 0,
    };
    for (const group of batch.keys) counts.duplicates += group.copies.length;
    let pending = before.pending;
    while (pending.length > 0) {
      pending.sort((a, b) => (a.group.key < b.group.key ? -1 : a.group.key > b.group.key ? 1 : 0));
      const entries = pending.map((p) => p.group.candidates[p.at] as Entry);
      const refused = new Map<Entry, { error: DynacrateError; permanent: boolean }>();
      const outcome = await this.write(entries, (entry, error, permanent) =>
        refused.set(entry, { error, permanent }),
      );
      counts.applied += outcome.applied;
      counts.stale += outcome.stale;
      counts.duplicates += outcome.duplicates;
      counts.staleUnknown ||= outcome.staleUnknown;
      counts.routedToAux += outcome.routedToAux ?? 0;
      const next: typeof pending = [];
      for (const p of pending) {
        const entry = p.group.candidates[p.at] as Entry;
        const refusal = refused.get(entry);
        const older = p.group.candidates.slice(p.at + 1);
        if (!refusal) {
          // Written, or left out by the guard: the older changes can not matter.
          counts.superseded += older.length;
        } else if (refusal.permanent) {
          fail(entry, refusal.error, true);
          if (older.length > 0) next.push({ group: p.group, at: p.at + 1 });
        } else {
          fail(entry, refusal.error, false);
          for (const rest of older) fail(rest, refusal.error, false);
        }
      }
      pending = next;
    }
    failed.sort((a, b) => a.index - b.index);
    return {
      records: batch.records.length,
      applied: counts.applied,
      skipped: counts.superseded + counts.stale + counts.duplicates + batch.noRow,
      superseded: counts.superseded,
      stale: counts.stale,
      duplicates: counts.duplicates,
      staleUnknown: counts.staleUnknown,
      failed,
      roundedNumbers: batch.roundedNumbers,
      routedToAux: counts.routedToAux,
      newestMicros: batch.newestMicros,
      oldestMicros: batch.oldestMicros,
    };
  }

  /**
   * With --history, starts the part of `commit` that comes before the state
   * table is written (the tables, the horizon, the history append) now, for
   * a caller that writes the previous batch meanwhile (replay): the history
   * of one batch goes in while the rows of the one before are written, and
   * each change's history row is still stored before its row. A change whose
   * history row is stored and whose row is then not written (the caller
   * stops) is a change the history holds and the state table does not yet,
   * as after any failed write; delivered again, it is stored once. The
   * promise returned settles (never rejects) when that part is done; commit
   * reports its failures.
   */
  appendAhead(batch: PreparedBatch): Promise<void> {
    if (!this.history || batch.keys.length === 0) return Promise.resolve();
    batch.ahead ??= this.beforeState(batch);
    return batch.ahead.then(
      () => {},
      () => {},
    );
  }

  /** The tables, the horizon and the history's say on a batch: what is left to write. */
  private async beforeState(batch: PreparedBatch): Promise<BeforeState> {
    const failed: FailedRecord[] = [];
    const fail = failEntries(batch, failed);
    let pending: Pending[] = batch.keys.map((group) => ({ group, at: 0 }));
    if (pending.length > 0) {
      try {
        await this.sink.ensureTable(this.table, this.keySchema);
        await this.history?.ensure();
        // Changes older than the tombstone horizon are refused, newest first like refused rows.
        const horizon = await this.horizon.current();
        if (horizon !== "") {
          pending = pending.flatMap((p) => {
            let at = p.at;
            for (; at < p.group.candidates.length; at++) {
              const change = (p.group.candidates[at] as Entry).row.change;
              if (change.version >= horizon) break;
              fail(
                p.group.candidates[at] as Entry,
                this.horizon.refusal(change.ref, change.timestampMicros),
                true,
              );
            }
            return at < p.group.candidates.length ? [{ group: p.group, at }] : [];
          });
        }
      } catch (error) {
        // A table could not be created: nothing of the batch is applied.
        const sinkError = asSinkError(error);
        for (const { group } of pending)
          for (const entry of group.candidates) fail(entry, sinkError, false);
        pending = [];
      }
    }
    if (this.history && pending.length > 0) pending = await this.appendHistory(pending, fail);
    return { pending, failed };
  }

  /**
   * Appends the pending changes to the history table, and returns what is
   * left to write to the state table: a change whose history row was refused
   * fails alone (its key's older changes stay candidates); a key with a
   * change the sink could not take now fails whole, to be delivered again.
   */
  private async appendHistory(
    pending: Pending[],
    fail: (entry: Entry, error: DynacrateError, permanent: boolean) => void,
  ): Promise<Pending[]> {
    const items = pending.flatMap((p) =>
      p.group.candidates
        .slice(p.at)
        .map((entry) => ({ item: entry, row: entry.history as HistoryRow })),
    );
    const refused = await (this.history as HistoryWriter).append(items);
    if (refused.size === 0) return pending;
    return pending.flatMap((p) => {
      const left = p.group.candidates.slice(p.at);
      const outage = left.map((e) => refused.get(e)).find((r) => r && !r.permanent);
      if (outage) {
        for (const entry of left) fail(entry, outage.error, false);
        return [];
      }
      const kept = left.filter((entry) => {
        const refusal = refused.get(entry);
        if (refusal) fail(entry, refusal.error, true);
        return !refusal;
      });
      return kept.length > 0 ? [{ group: { ...p.group, candidates: kept }, at: 0 }] : [];
    });
  }

  /**
   * Writes rows; when the database refuses the whole request, splits it in
   * halves until the refused row stands alone, so every other row is applied.
   */
  private async write(
    entries: Entry[],
    fail: (entry: Entry, error: DynacrateError, permanent: boolean) => void,
  ): Promise<{
    applied: number;
    stale: number;
    duplicates: number;
    staleUnknown: boolean;
    routedToAux?: number;
  }> {
    try {
      const result = await this.sink.write(
        this.table,
        entries.map((e) => e.row),
        this.keySchema,
      );
      for (const [i, error] of result.failedRows)
        fail(entries[i] as Entry, error, error.kind === "rejected");
      return result;
    } catch (error) {
      const sinkError = asSinkError(error);
      if (sinkError.kind === "rejected" && entries.length > 1) {
        const half = Math.ceil(entries.length / 2);
        const first = await this.write(entries.slice(0, half), fail);
        const second = await this.write(entries.slice(half), fail);
        return {
          applied: first.applied + second.applied,
          stale: first.stale + second.stale,
          duplicates: first.duplicates + second.duplicates,
          staleUnknown: first.staleUnknown || second.staleUnknown,
          routedToAux: (first.routedToAux ?? 0) + (second.routedToAux ?? 0),
        };
      }
      // A refused single row is the record's fault; anything else is the sink's, to retry later.
      for (const entry of entries) fail(entry, sinkError, sinkError.kind === "rejected");
      return { applied: 0, stale: 0, duplicates: 0, staleUnknown: false };
    }
  }

  /**
   * Forgets tombstones older than the retention, at most once per purge
   * interval. Returns true when a purge ran.
   */
  async purgeTombstones(now = Date.now()): Promise<boolean> {
    if (now - this.lastPurge < this.purgeIntervalMs) return false;
    this.lastPurge = now;
    const before = new Date(now - this.retentionMs);
    // The horizon first: from then on, no writer applies a change the purge may leave unguarded.
    await this.horizon.purging(before);
    await this.sink.query(this.sink.dialect.purgeTombstones(this.table, before));
    return true;
  }

  /** The tombstone retention in use (see purgeTombstones). */
  get tombstoneRetentionMs(): number {
    return this.retentionMs;
  }

  /**
   * Keeps tombstones at least `ms`: the relay raises the retention to the
   * stream's, so that no change the stream can still deliver meets a purged
   * tombstone.
   */
  atLeast(ms: number): void {
    if (ms > this.retentionMs) this.retentionMs = ms;
  }
}

/** Every change must carry the table's key attributes, of the declared types, and no others. */
function checkKeys(keys: Record<string, object>, schema: KeySchema, ref: string): void {
  let count = 0;
  for (const _name in keys) count++;
  for (const k of schema) {
    const av = keys[k.name];
    if (!av || !(k.type in av)) {
      throw new RecordError(
        ref,
        `dynamodb.Keys.${k.name}`,
        av
          ? `key attribute ${k.name} has type ${Object.keys(av)[0]}, the table's key schema says ${k.type}`
          : `key attribute ${k.name} is missing; the table's key is ${schema.map((s) => `${s.name}:${s.type}`).join(",")}`,
      );
    }
  }
  if (count !== schema.length) {
    throw new RecordError(
      ref,
      "dynamodb.Keys",
      `has ${Object.keys(keys).join(", ")}; the table's key is ${schema.map((s) => s.name).join(", ")}`,
    );
  }
}

function asSinkError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  if (error instanceof ConfigError)
    return new SinkError("fatal", error.message, undefined, { cause: error });
  // A bug is neither an outage to wait out nor a record's fault: it stops the run.
  if (
    error instanceof InternalError ||
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError
  )
    return new SinkError("fatal", `internal error: ${error.message}`, "INTERNAL", {
      cause: error,
    });
  return new SinkError("transient", `unexpected: ${errorMessage(error)}`, undefined, {
    cause: error,
  });
}
