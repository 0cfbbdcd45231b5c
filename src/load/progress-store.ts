// The progress of a full load, in the target database (table
// dynacrate_load_progress): for each part, the position up to which its items
// are applied, written only after they are; and for the job, the snapshot's
// cut time, so a resumed load stamps its rows with the same version and hands
// off to the stream from the same point.

import { OnceUntilFailure } from "../cache-until-failure.ts";
import type { Sink } from "../sink/sink.ts";
import {
  clearLoadProgress,
  createLoadProgressTable,
  loadLoadProgress,
  refreshLoadProgress,
  saveLoadProgress,
} from "../sql/load-progress.ts";

export interface PartProgress {
  /** The part goes on after this position; undefined: from its start. */
  position: string | undefined;
  /** Items of the part applied so far (over all runs). */
  items: number;
  finished: boolean;
}

/** What the job row holds (part ""), as JSON in its position column. */
export interface JobRecord {
  /** The snapshot's cut, epoch milliseconds, its margin subtracted. */
  cutMs: number;
  /** The parts of the snapshot: a resume must read the same ones. */
  parts: string[];
}

const JOB_PART = "";

export class LoadProgressStore {
  /** The progress table, created once; a failed creation is tried again by the next call. */
  private readonly ready = new OnceUntilFailure(() =>
    this.sink.query(createLoadProgressTable(this.sink.dialect)),
  );

  constructor(
    private readonly sink: Sink,
    readonly job: string,
  ) {}

  private async refresh(): Promise<void> {
    const refresh = refreshLoadProgress(this.sink.dialect);
    if (refresh) await this.sink.query(refresh);
  }

  /** The job and its parts' progress, or undefined when no load of this job was recorded. */
  async load(): Promise<
    { job: JobRecord; finished: boolean; parts: Map<string, PartProgress> } | undefined
  > {
    await this.ready.get();
    await this.refresh();
    const rows = await this.sink.query<{
      part: string;
      position: string | null;
      items: number | string;
      finished: boolean;
    }>(loadLoadProgress(this.sink.dialect, this.job));
    const jobRow = rows.find((r) => r.part === JOB_PART);
    if (!jobRow?.position) return undefined;
    const parts = new Map<string, PartProgress>();
    for (const r of rows) {
      if (r.part === JOB_PART) continue;
      parts.set(r.part, {
        position: r.position ?? undefined,
        items: Number(r.items),
        finished: r.finished,
      });
    }
    return { job: JSON.parse(jobRow.position) as JobRecord, finished: jobRow.finished, parts };
  }

  /** Starts the job afresh: forgets earlier progress, records the cut and the parts. */
  async start(job: JobRecord): Promise<void> {
    await this.ready.get();
    await this.refresh();
    await this.sink.query(clearLoadProgress(this.sink.dialect, this.job));
    await this.saveJob(job, 0, false);
  }

  async save(part: string, progress: PartProgress): Promise<void> {
    await this.sink.query(saveLoadProgress(this.sink.dialect, this.job, part, progress));
  }

  /** Marks the whole job done; only a load that read every part to its end gets here. */
  async finish(job: JobRecord, items: number): Promise<void> {
    await this.saveJob(job, items, true);
  }

  private async saveJob(job: JobRecord, items: number, finished: boolean): Promise<void> {
    await this.sink.query(
      saveLoadProgress(this.sink.dialect, this.job, JOB_PART, {
        position: JSON.stringify(job),
        items,
        finished,
      }),
    );
  }
}
