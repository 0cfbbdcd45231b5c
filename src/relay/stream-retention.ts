// Tombstones outlive every change the stream can still deliver: whoever
// applies a stream (the relay, the Lambda function) keeps its pipeline's
// tombstones at least the stream's retention plus an hour (for the purge
// interval and a stalled shard's last batch). A longer configured retention
// stays; a shorter one is raised. A stream that can not be described keeps
// the configured retention: a change older than a purged tombstone is then
// refused (G2), never applied over it.

import type { SourceError } from "../errors.ts";
import type { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import { permanentSourceError } from "../source/source-fault.ts";
import type { StreamSource } from "../source/stream-source.ts";

export type TombstoneKeeper = Pick<ApplyPipeline, "tombstoneRetentionMs" | "atLeast">;

export interface RetentionOutcome {
  /** What was decided, for a log line; undefined when the retention kept covers the stream already. */
  notice: string | undefined;
  /** The stream could not be described and asking again will not help (access denied, no such stream). */
  permanent: SourceError | undefined;
  /** The stream could not be described (`notice` says why); the configured retention stays. */
  unread: boolean;
}

const hours = (ms: number) => Math.round(ms / 3600_000);

/** Reads how long `source` keeps records and keeps `pipeline`'s tombstones at least that long plus an hour. */
export async function keepTombstonesForStream(
  source: Pick<StreamSource, "retentionHours">,
  pipeline: TombstoneKeeper,
): Promise<RetentionOutcome> {
  let retentionHours: number | undefined;
  try {
    retentionHours = await source.retentionHours?.();
  } catch (error) {
    const permanent = permanentSourceError(error);
    const reason =
      permanent?.message ?? (error instanceof Error ? `${error.name}: ${error.message}` : error);
    return {
      notice:
        `the stream's retention could not be read (${reason}); tombstones kept ` +
        `${hours(pipeline.tombstoneRetentionMs)} h`,
      permanent,
      unread: true,
    };
  }
  if (retentionHours === undefined)
    return { notice: undefined, permanent: undefined, unread: false };
  const atLeast = (retentionHours + 1) * 3600 * 1000;
  if (atLeast <= pipeline.tombstoneRetentionMs)
    return { notice: undefined, permanent: undefined, unread: false };
  const notice =
    `tombstones kept ${retentionHours + 1} h, the stream's retention (${retentionHours} h) plus an hour, ` +
    `instead of ${hours(pipeline.tombstoneRetentionMs)} h`;
  pipeline.atLeast(atLeast);
  return { notice, permanent: undefined, unread: false };
}
