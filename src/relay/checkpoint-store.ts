// Checkpoints of the relay: the last applied position of each shard, in the
// target database. Written only after a batch is applied, so a restart (after
// a crash too) resumes at or before the first unapplied record.

import type { Sink } from "../sink/sink.ts";
import {
  createCheckpointTable,
  loadCheckpoints,
  refreshCheckpoints,
  saveCheckpoint,
} from "../sql/checkpoints.ts";

export interface Checkpoint {
  position: string | undefined;
  /** The shard is closed and was read to its end: its children may start. */
  finished: boolean;
}

export class CheckpointStore {
  private ready: Promise<void> | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly stream: string,
  ) {}

  private prepare(): Promise<void> {
    this.ready ??= this.sink.query(createCheckpointTable(this.sink.dialect)).then(
      () => undefined,
      (error) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  async load(): Promise<Map<string, Checkpoint>> {
    await this.prepare();
    const refresh = refreshCheckpoints(this.sink.dialect);
    if (refresh) await this.sink.query(refresh);
    const rows = await this.sink.query<{
      shard: string;
      position: string | null;
      finished: boolean;
    }>(loadCheckpoints(this.sink.dialect, this.stream));
    return new Map(
      rows.map((r) => [r.shard, { position: r.position ?? undefined, finished: r.finished }]),
    );
  }

  async save(shard: string, checkpoint: Checkpoint): Promise<void> {
    await this.prepare();
    await this.sink.query(
      saveCheckpoint(
        this.sink.dialect,
        this.stream,
        shard,
        checkpoint.position,
        checkpoint.finished,
      ),
    );
  }
}
