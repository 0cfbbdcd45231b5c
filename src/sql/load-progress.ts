// Statements of the load progress table: for each part of a full load (a scan
// segment, an export data file), the last applied position and how many items
// it has applied, kept in the target database beside the data it describes,
// so an interrupted load resumes where it stopped (`dynacrate load --resume`).

import type { Dialect } from "./dialect.ts";
import { createOwnTable } from "./own-table.ts";
import type { Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

export const LOAD_PROGRESS_TABLE: TableName = {
  schema: undefined,
  name: "dynacrate_load_progress",
};

export function createLoadProgressTable(dialect: Dialect, table = LOAD_PROGRESS_TABLE): Statement {
  return createOwnTable(
    dialect,
    table,
    {
      job: "TEXT NOT NULL",
      part: "TEXT NOT NULL",
      position: "TEXT",
      items: "BIGINT NOT NULL",
      finished: "BOOLEAN NOT NULL",
      updated_at: "TIMESTAMP WITH TIME ZONE NOT NULL",
    },
    ["job", "part"],
  );
}

/** Records one part's progress: everything up to `position` is applied. */
export function saveLoadProgress(
  dialect: Dialect,
  job: string,
  part: string,
  progress: { position: string | undefined; items: number; finished: boolean },
  table = LOAD_PROGRESS_TABLE,
): Statement {
  const q = dialect.quoteIdentifier;
  const p = (n: number) => dialect.placeholder(n);
  const pg = dialect.name === "postgresql";
  const now = pg ? `${p(6)}::timestamptz` : p(6);
  return {
    sql:
      `INSERT INTO ${dialect.quoteTable(table)} (${q("job")}, ${q("part")}, ${q("position")}, ${q("items")}, ${q("finished")}, ${q("updated_at")}) ` +
      `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${now}) ON CONFLICT (${q("job")}, ${q("part")}) DO UPDATE SET ` +
      `${q("position")} = excluded.${q("position")}, ${q("items")} = excluded.${q("items")}, ` +
      `${q("finished")} = excluded.${q("finished")}, ${q("updated_at")} = excluded.${q("updated_at")}`,
    params: [
      job,
      part,
      progress.position ?? null,
      progress.items,
      progress.finished,
      pg ? new Date().toISOString() : Date.now(),
    ],
  };
}

export function loadLoadProgress(
  dialect: Dialect,
  job: string,
  table = LOAD_PROGRESS_TABLE,
): Statement {
  const q = dialect.quoteIdentifier;
  return {
    sql: `SELECT ${q("part")}, ${q("position")}, ${q("items")}, ${q("finished")} FROM ${dialect.quoteTable(table)} WHERE ${q("job")} = ${dialect.placeholder(1)}`,
    params: [job],
  };
}

/** Forgets a job's progress: a load started afresh (without --resume) begins at the start. */
export function clearLoadProgress(
  dialect: Dialect,
  job: string,
  table = LOAD_PROGRESS_TABLE,
): Statement {
  return {
    sql: `DELETE FROM ${dialect.quoteTable(table)} WHERE ${dialect.quoteIdentifier("job")} = ${dialect.placeholder(1)}`,
    params: [job],
  };
}

/** CrateDB shows writes to searches after a refresh; a resumed load must see the last progress. */
export function refreshLoadProgress(
  dialect: Dialect,
  table = LOAD_PROGRESS_TABLE,
): Statement | undefined {
  return dialect.refresh(table);
}
