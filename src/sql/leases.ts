// Statements of the relays' lease table: which relay holds the right to read
// a stream into a target table, until when, and under which epoch. It lives in
// the target database beside the checkpoints it guards. Times are the
// database's clock (milliseconds since the epoch), so relays on machines whose
// clocks differ agree on when a lease has expired.
//
// Every change of a lease row is conditional on the row being as it was read:
// PostgreSQL by a version column the update checks and raises (a concurrent
// update waits for the row lock, then finds the version changed and updates
// nothing); CrateDB, which has no transactions, by the row's `_seq_no` and
// `_primary_term` (optimistic concurrency control: the write is refused when
// the row changed since it was read). A first lease is an INSERT that does
// nothing on a primary key conflict. Whoever's statement returns a row won.
//
// A checkpoint written under a lease (the fenced checkpoint) is an INSERT from
// a SELECT of the lease row: it writes nothing unless the lease still names
// that holder and epoch and has not expired, at the moment of the write
// (PostgreSQL also locks the lease row for it, so no takeover passes it).

import { CHECKPOINT_TABLE } from "./checkpoints.ts";
import type { Dialect } from "./dialect.ts";
import { createOwnTable } from "./own-table.ts";
import type { Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

export const LEASE_TABLE: TableName = { schema: undefined, name: "dynacrate_leases" };

/** A lease row as read: who holds it, under which epoch, until when, and its version token. */
export interface LeaseRow {
  holder: string;
  epoch: number;
  expiresAt: number;
  /** The database's clock when read (ms). */
  now: number;
  /** PostgreSQL: the version column; CrateDB: `_seq_no`. */
  seq: number;
  /** CrateDB: `_primary_term`; PostgreSQL: 0. */
  term: number;
}

/** The database's clock, milliseconds since the epoch. */
function nowMillis(dialect: Dialect): string {
  return dialect.name === "postgresql"
    ? "(extract(epoch from clock_timestamp()) * 1000)::bigint"
    : "CAST(CURRENT_TIMESTAMP AS BIGINT)";
}

export function createLeaseTable(dialect: Dialect): Statement {
  return createOwnTable(
    dialect,
    LEASE_TABLE,
    {
      stream: "TEXT NOT NULL",
      target: "TEXT NOT NULL",
      holder: "TEXT NOT NULL",
      epoch: "BIGINT NOT NULL",
      expires_at: "BIGINT NOT NULL",
      version: "BIGINT NOT NULL",
    },
    ["stream", "target"],
  );
}

/** The lease of (stream, target): at most one row, see LeaseRow (numbers may come back as text). */
export function readLease(dialect: Dialect, stream: string, target: string): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const token =
    dialect.name === "postgresql"
      ? `${q("version")} AS ${q("seq")}, 0 AS ${q("term")}`
      : `${q("_seq_no")} AS ${q("seq")}, ${q("_primary_term")} AS ${q("term")}`;
  return {
    sql:
      `SELECT ${q("holder")}, ${q("epoch")}, ${q("expires_at")} AS ${q("expiresAt")}, ${nowMillis(dialect)} AS ${q("now")}, ${token} ` +
      `FROM ${dialect.quoteTable(LEASE_TABLE)} WHERE ${q("stream")} = ${p(1)} AND ${q("target")} = ${p(2)}`,
    params: [stream, target],
  };
}

/** A first lease, epoch 1: returns a row when it was taken, none when another was first. */
export function insertLease(
  dialect: Dialect,
  stream: string,
  target: string,
  holder: string,
  ttlMs: number,
): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const key = `${q("stream")}, ${q("target")}`;
  return {
    sql:
      `INSERT INTO ${dialect.quoteTable(LEASE_TABLE)} (${key}, ${q("holder")}, ${q("epoch")}, ${q("expires_at")}, ${q("version")}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, 1, ${nowMillis(dialect)} + ${p(4)}, 1) ON CONFLICT (${key}) DO NOTHING RETURNING ${q("epoch")}`,
    params: [stream, target, holder, ttlMs],
  };
}

/**
 * Sets the lease's holder, epoch and expiry (now + ttlMs; a ttlMs of 0 or
 * less gives it up), if the row is still as `read`: returns a row when it
 * was written, none when the row had changed.
 */
export function updateLease(
  dialect: Dialect,
  stream: string,
  target: string,
  read: Pick<LeaseRow, "seq" | "term">,
  next: { holder: string; epoch: number; ttlMs: number },
): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const unchanged =
    dialect.name === "postgresql"
      ? `${q("version")} = ${p(6)}`
      : `${q("_seq_no")} = ${p(6)} AND ${q("_primary_term")} = ${p(7)}`;
  return {
    sql:
      `UPDATE ${dialect.quoteTable(LEASE_TABLE)} SET ${q("holder")} = ${p(1)}, ${q("epoch")} = ${p(2)}, ` +
      `${q("expires_at")} = ${nowMillis(dialect)} + ${p(3)}, ${q("version")} = ${q("version")} + 1 ` +
      `WHERE ${q("stream")} = ${p(4)} AND ${q("target")} = ${p(5)} AND ${unchanged} RETURNING ${q("epoch")}`,
    params: [
      next.holder,
      next.epoch,
      next.ttlMs,
      stream,
      target,
      read.seq,
      ...(dialect.name === "postgresql" ? [] : [read.term]),
    ],
  };
}

/** Every lease row of a target (dynacrate status), with the database's clock. */
export function readLeases(dialect: Dialect): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `SELECT ${q("stream")}, ${q("target")}, ${q("holder")}, ${q("epoch")}, ${q("expires_at")} AS ${q("expiresAt")}, ${nowMillis(dialect)} AS ${q("now")} FROM ${dialect.quoteTable(LEASE_TABLE)}`,
    params: [],
  };
}

/**
 * A shard's checkpoint, written only while `holder` holds the lease of
 * (stream, target) under `epoch` and it has not expired: returns a row when
 * written, none when the lease was lost.
 */
export function saveFencedCheckpoint(
  dialect: Dialect,
  stream: string,
  target: string,
  shard: string,
  position: string | undefined,
  finished: boolean,
  lease: { holder: string; epoch: number },
): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const pg = dialect.name === "postgresql";
  const key = `${q("stream")}, ${q("target")}, ${q("shard")}`;
  const values = pg
    ? `${p(1)}::text, ${p(2)}::text, ${p(3)}::text, ${p(4)}::text, ${p(5)}::boolean, ${p(6)}::timestamptz`
    : `${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}`;
  return {
    sql:
      `INSERT INTO ${dialect.quoteTable(CHECKPOINT_TABLE)} (${key}, ${q("position")}, ${q("finished")}, ${q("updated_at")}) ` +
      `${pg ? "" : "("}SELECT ${values} FROM ${dialect.quoteTable(LEASE_TABLE)} ` +
      `WHERE ${q("stream")} = ${p(7)} AND ${q("target")} = ${p(8)} AND ${q("holder")} = ${p(9)} AND ${q("epoch")} = ${p(10)} ` +
      `AND ${q("expires_at")} > ${nowMillis(dialect)}${pg ? " FOR SHARE" : ")"} ` +
      `ON CONFLICT (${key}) DO UPDATE SET ${q("position")} = excluded.${q("position")}, ` +
      `${q("finished")} = excluded.${q("finished")}, ${q("updated_at")} = excluded.${q("updated_at")} RETURNING ${q("shard")}`,
    params: [
      stream,
      target,
      shard,
      position ?? null,
      finished,
      pg ? new Date().toISOString() : Date.now(),
      // Placeholders are numbered in the order they appear (CrateDB's `?` are positional).
      stream,
      target,
      lease.holder,
      lease.epoch,
    ],
  };
}
