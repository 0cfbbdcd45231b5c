// Checkpoints of the relay: the last applied position of each shard, per
// target table, in the target database. Written only after a batch is
// applied, so a restart (after a crash too) resumes at or before the first
// unapplied record.
//
// Checkpoints describe what the target table holds, so before resuming from
// them the store checks that the table is there: a target that was dropped
// or emptied while its checkpoints say otherwise stops the relay with a
// message, unless the user asked to start over. A routed stream keeps its
// checkpoints under its first target, but that target may never get a record
// (a --table-map entry of a table the stream does not carry): there the check
// passes when any target the routes name holds rows.

import { OnceUntilFailure } from "../cache-until-failure.ts";
import { ConfigError } from "../errors.ts";
import { targetCaseHint } from "../sink/case-hint.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import {
  anyStateRow,
  CHECKPOINT_TABLE,
  createCheckpointTable,
  deleteCheckpoints,
  deleteLegacyCheckpoints,
  LEGACY_CHECKPOINT_TABLE,
  loadCheckpoints,
  loadLegacyCheckpoints,
  refreshTable,
  saveCheckpoint,
} from "../sql/checkpoints.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import type { Lease } from "./lease.ts";

export interface Checkpoint {
  position: string | undefined;
  /** The shard is closed and was read to its end: its children may start. */
  finished: boolean;
}

export interface LoadOptions {
  /** Forget this target's checkpoints of the stream and start from `--from`. */
  reset?: boolean;
  /** Told what was done (checkpoints carried over from the earlier layout, a reset). */
  notice?: (message: string) => void;
}

/** Checkpoints say the target holds a stream's changes, but it is missing or empty. */
export class CheckpointMismatchError extends ConfigError {
  override name = "CheckpointMismatchError";
}

type Row = { shard: string; position: string | null; finished: boolean };

export class CheckpointStore {
  /** The checkpoint table, created once; a failed creation is tried again by the next call. */
  private readonly ready = new OnceUntilFailure(async () => {
    await this.sink.query(createCheckpointTable(this.sink.dialect));
  });
  private readonly targetName: string;

  /** The tables whose rows the checkpoints stand for: `target`, and the other routed targets. */
  private readonly holders: TableName[];

  constructor(
    private readonly sink: Sink,
    private readonly stream: string,
    target: TableName,
    others: TableName[] = [],
    /** When given, checkpoints are written only while this lease is held (fenced). */
    private readonly lease?: Lease,
  ) {
    this.targetName = formatTableName(target);
    this.holders = [target, ...others.filter((t) => formatTableName(t) !== this.targetName)];
  }

  async load(options: LoadOptions = {}): Promise<Map<string, Checkpoint>> {
    await this.ready.get();
    const { dialect } = this.sink;
    if (options.reset) {
      // Told only when there was something to forget (not on a load's first hand-off).
      await this.refresh(CHECKPOINT_TABLE);
      const held = await this.sink.query(loadCheckpoints(dialect, this.stream, this.targetName));
      await this.sink.query(deleteCheckpoints(dialect, this.stream, this.targetName));
      if (held.length > 0)
        options.notice?.(
          `checkpoints of ${this.stream} into ${this.targetName} forgotten: starting over`,
        );
      return new Map();
    }
    await this.refresh(CHECKPOINT_TABLE);
    let rows = await this.sink.query<Row>(loadCheckpoints(dialect, this.stream, this.targetName));
    const holds = await this.targetsHold();
    if (rows.length === 0 && holds === "rows") rows = await this.adoptLegacy(options);
    const applied = rows.filter((r) => r.position !== null);
    if (applied.length > 0 && holds !== "rows") {
      const states = this.holders.map((t) => formatTableName(stateTable(t)));
      throw new CheckpointMismatchError(
        `the checkpoints of ${this.stream} into ${this.targetName} say ${applied.length} shard(s) were applied ` +
          `(table ${CHECKPOINT_TABLE.name}), but ` +
          (states.length === 1
            ? `the table ${states[0]} ${holds === "missing" ? `does not exist${await targetCaseHint(this.sink, this.holders[0] as TableName)}` : "is empty"}: it was dropped or emptied after them. `
            : `none of the tables ${states.join(", ")} holds a row: they were dropped or emptied after them. `) +
          "Resuming would leave out everything before the checkpoints. Start over with --reset-checkpoints " +
          "(reads the stream again from --from), or restore the table.",
      );
    }
    return new Map(
      rows.map((r) => [r.shard, { position: r.position ?? undefined, finished: r.finished }]),
    );
  }

  /** Writes a shard's checkpoint; under a lease that was lost, writes nothing and throws LeaseLostError. */
  async save(shard: string, checkpoint: Checkpoint): Promise<void> {
    await this.ready.get();
    if (this.lease) {
      const written = await this.sink.query(
        this.lease.checkpoint(shard, checkpoint.position, checkpoint.finished),
      );
      if (written.length === 0) throw this.lease.lost();
      return;
    }
    await this.sink.query(
      saveCheckpoint(
        this.sink.dialect,
        this.stream,
        this.targetName,
        shard,
        checkpoint.position,
        checkpoint.finished,
      ),
    );
  }

  /** Whether any target's state table has rows; else whether one exists, empty. */
  private async targetsHold(): Promise<"rows" | "empty" | "missing"> {
    let holds: "empty" | "missing" = "missing";
    for (const table of this.holders) {
      const found = await this.holds(table);
      if (found === "rows") return found;
      if (found === "empty") holds = found;
    }
    return holds;
  }

  /** Whether a target's state table has rows, none, or does not exist. */
  private async holds(table: TableName): Promise<"rows" | "empty" | "missing"> {
    try {
      await this.refresh(stateTable(table));
      const rows = await this.sink.query(anyStateRow(this.sink.dialect, table));
      return rows.length > 0 ? "rows" : "empty";
    } catch (error) {
      if (error instanceof SinkError && error.missingRelation) return "missing";
      throw error;
    }
  }

  /**
   * The earlier layout kept one checkpoint per (stream, shard), whatever the
   * target. Its positions are carried over to the first target that holds
   * rows, then removed, so that no second target takes them as its own (a
   * second relay into another table starts from `--from`).
   */
  private async adoptLegacy(options: LoadOptions): Promise<Row[]> {
    const { dialect } = this.sink;
    let legacy: Row[];
    try {
      await this.refresh(LEGACY_CHECKPOINT_TABLE);
      legacy = await this.sink.query<Row>(loadLegacyCheckpoints(dialect, this.stream));
    } catch (error) {
      if (error instanceof SinkError && error.missingRelation) return [];
      throw error;
    }
    if (legacy.length === 0) return [];
    for (const row of legacy) {
      await this.save(row.shard, { position: row.position ?? undefined, finished: row.finished });
    }
    await this.sink.query(deleteLegacyCheckpoints(dialect, this.stream));
    options.notice?.(
      `checkpoints of ${this.stream} carried over from ${LEGACY_CHECKPOINT_TABLE.name} to ${this.targetName} ` +
        `(${legacy.length} shard(s)); they now live in ${CHECKPOINT_TABLE.name}, per target`,
    );
    return legacy;
  }

  private async refresh(table: TableName): Promise<void> {
    const refresh = refreshTable(this.sink.dialect, table);
    if (refresh) await this.sink.query(refresh);
  }
}
