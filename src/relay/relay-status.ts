// What `dynacrate status` reports of a target database: per target table its
// rows, tombstones and newest change, each stream's shard checkpoints with
// their age, whether a relay holds the lease, and what a dead-letter table
// holds. Read only; a table that does not exist reads as empty.

import { versionMicros } from "../codec/version.ts";
import type { Sink } from "../sink/sink.ts";
import { SinkError } from "../sink/sink-error.ts";
import { CHECKPOINT_TABLE } from "../sql/checkpoints.ts";
import { LEASE_TABLE, readLeases } from "../sql/leases.ts";
import type { Statement } from "../sql/statement.ts";
import { allCheckpoints, deadLetterSummary, stateSummary } from "../sql/status.ts";
import { formatTableName, parseTableName, stateTable, type TableName } from "../sql/table-name.ts";

export interface ShardStatus {
  shard: string;
  position: string | null;
  /** Closed and read to its end. */
  finished: boolean;
  checkpointAt: string;
  ageSeconds: number;
}

export interface LeaseStatus {
  holder: string;
  epoch: number;
  /** False once it expired (its relay stopped or died; a standing-by one takes it). */
  held: boolean;
  expiresInSeconds: number;
}

export interface StreamStatus {
  stream: string;
  shards: ShardStatus[];
  lease: LeaseStatus | null;
}

export interface TargetStatus {
  table: string;
  /** Null when the state table does not exist. */
  rows: number | null;
  tombstones: number | null;
  /** The time of the newest change applied (its ApproximateCreationDateTime). */
  lastChangeAt: string | null;
  /** When a change was last written into the table. */
  lastWrittenAt: string | null;
  streams: StreamStatus[];
}

export interface DeadLetterStatus {
  table: string;
  /** Null when the table does not exist. */
  count: number | null;
  newestAt: string | null;
}

export interface Status {
  targets: TargetStatus[];
  deadLetters?: DeadLetterStatus;
}

export interface StatusOptions {
  /** Targets to report even without checkpoints or a lease. */
  tables?: TableName[];
  deadLetterTable?: TableName;
  now?: number;
}

export async function readStatus(sink: Sink, options: StatusOptions = {}): Promise<Status> {
  const now = options.now ?? Date.now();
  type Row = Record<string, unknown>;
  const checkpoints = (await rows<Row>(sink, CHECKPOINT_TABLE, allCheckpoints(sink.dialect))) ?? [];
  const leases = (await rows<Row>(sink, LEASE_TABLE, readLeases(sink.dialect))) ?? [];
  const names = new Set<string>((options.tables ?? []).map(formatTableName));
  for (const row of [...checkpoints, ...leases]) names.add(String(row.target));
  const targets: TargetStatus[] = [];
  for (const name of [...names].sort()) {
    const streams = new Map<string, StreamStatus>();
    const stream = (id: string) => {
      let s = streams.get(id);
      if (!s) {
        s = { stream: id, shards: [], lease: null };
        streams.set(id, s);
      }
      return s;
    };
    for (const row of checkpoints.filter((r) => String(r.target) === name)) {
      const at = time(row.updated_at);
      stream(String(row.stream)).shards.push({
        shard: String(row.shard),
        position: row.position === null || row.position === undefined ? null : String(row.position),
        finished: row.finished === true,
        checkpointAt: new Date(at).toISOString(),
        ageSeconds: Math.max(0, Math.round((now - at) / 1000)),
      });
    }
    for (const row of leases.filter((r) => String(r.target) === name)) {
      const left = Number(row.expiresAt) - Number(row.now);
      stream(String(row.stream)).lease = {
        holder: String(row.holder),
        epoch: Number(row.epoch),
        held: left > 0,
        expiresInSeconds: Math.max(0, Math.round(left / 1000)),
      };
    }
    targets.push({ ...(await stateOf(sink, name)), streams: [...streams.values()] });
  }
  const status: Status = { targets };
  if (options.deadLetterTable) {
    const table = options.deadLetterTable;
    const [row] =
      (await rows<{ n: unknown; newest: unknown }>(
        sink,
        table,
        deadLetterSummary(sink.dialect, table),
      )) ?? [];
    status.deadLetters = {
      table: formatTableName(table),
      count: row ? Number(row.n) : null,
      newestAt: row?.newest == null ? null : new Date(time(row.newest)).toISOString(),
    };
  }
  return status;
}

async function stateOf(sink: Sink, name: string): Promise<Omit<TargetStatus, "streams">> {
  const table = parseTableName(name);
  const groups = await rows<{ deleted: unknown; n: unknown; newest: unknown; written: unknown }>(
    sink,
    stateTable(table),
    stateSummary(sink.dialect, table),
  );
  if (!groups)
    return { table: name, rows: null, tombstones: null, lastChangeAt: null, lastWrittenAt: null };
  const live = groups.find((g) => g.deleted === false || g.deleted === "f");
  const dead = groups.find((g) => g.deleted === true || g.deleted === "t");
  const newest = groups
    .map((g) => String(g.newest ?? ""))
    .sort()
    .at(-1);
  const written = groups.map((g) => (g.written == null ? 0 : time(g.written)));
  return {
    table: name,
    rows: Number(live?.n ?? 0),
    tombstones: Number(dead?.n ?? 0),
    lastChangeAt: newest ? new Date(versionMicros(newest) / 1000).toISOString() : null,
    lastWrittenAt: written.some((w) => w > 0) ? new Date(Math.max(...written)).toISOString() : null,
  };
}

/** The statement's rows after a refresh of `table` (CrateDB); undefined when the table does not exist. */
async function rows<T>(
  sink: Sink,
  table: TableName,
  statement: Statement,
): Promise<T[] | undefined> {
  try {
    const refresh = sink.dialect.refresh(table);
    if (refresh) await sink.query(refresh);
    return await sink.query<T>(statement);
  } catch (error) {
    if (error instanceof SinkError && error.missingRelation) return undefined;
    throw error;
  }
}

/** A timestamp as the drivers give it: a Date (PostgreSQL), epoch ms (CrateDB) or text. */
function time(value: unknown): number {
  return value instanceof Date
    ? value.getTime()
    : typeof value === "number"
      ? value
      : Date.parse(String(value));
}
