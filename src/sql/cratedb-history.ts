// The change history on CrateDB: a table partitioned by the month (or day) of
// each change, so that old changes go by dropping a partition, appended with
// ON CONFLICT DO NOTHING on the change's id.

import type { HistoryRow } from "../codec/history-row.ts";
import type { TableSettings } from "./dialect.ts";
import {
  APPENDED_HISTORY_COLUMNS,
  type HistoryPartition,
  type HistoryStatements,
  historyTable,
} from "./history.ts";
import { type BatchWrite, RawJson, type Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

export function crateHistory(
  q: (name: string) => string,
  quoteTable: (table: TableName) => string,
  tableSettings: (settings?: TableSettings) => string,
): HistoryStatements {
  const table = (t: TableName) => quoteTable(historyTable(t));
  // The columns an append writes; `part` is generated from `changed_at`.
  const APPENDED = APPENDED_HISTORY_COLUMNS.map(q);
  return {
    create(t: TableName, partition: HistoryPartition, settings?: TableSettings): Statement[] {
      // Partitioned tables must hold the partition column in their primary
      // key: (change_id, part) is unique as change_id is, because a change's
      // time, and so its partition, is the same every time it is delivered.
      // The images are OBJECT(IGNORED): they take an item of any shape, a name
      // holding any type from one change to the next, odd names and strings
      // over CrateDB's 32 KB term limit, kept whole and readable
      // (`new_image['status']`), not indexed. A typed image column would meet
      // every problem the state table's routing to `aux` works around (G11).
      // `pk` holds each key attribute as text, as `pk_text` of the state table.
      const unit = partition === "day" ? "day" : "month";
      return [
        {
          sql:
            `CREATE TABLE IF NOT EXISTS ${table(t)} (${q("change_id")} TEXT NOT NULL, ${q("key")} TEXT NOT NULL, ` +
            `${q("pk")} OBJECT(DYNAMIC) NOT NULL, ${q("operation")} TEXT NOT NULL, ${q("ttl_delete")} BOOLEAN NOT NULL, ` +
            `${q("changed_at")} TIMESTAMP WITH TIME ZONE NOT NULL, ${q("changed_micros")} BIGINT NOT NULL, ` +
            `${q("version")} TEXT NOT NULL, ${q("new_image")} OBJECT(IGNORED), ${q("old_image")} OBJECT(IGNORED), ` +
            `${q("position")} TEXT, ${q("ref")} TEXT, ${q("recorded_at")} TIMESTAMP WITH TIME ZONE NOT NULL, ` +
            `${q("update_description")} OBJECT(IGNORED), ` +
            `${q("part")} TIMESTAMP WITH TIME ZONE GENERATED ALWAYS AS date_trunc('${unit}', ${q("changed_at")}), ` +
            `PRIMARY KEY (${q("change_id")}, ${q("part")})) PARTITIONED BY (${q("part")})${tableSettings(settings)}`,
          params: [],
        },
      ];
    },

    addColumn(t: TableName, column: string): Statement {
      // Every column added so far is a MongoDB document's JSON, any shape.
      return { sql: `ALTER TABLE ${table(t)} ADD COLUMN ${q(column)} OBJECT(IGNORED)`, params: [] };
    },

    append(t: TableName, rows: HistoryRow[], now: Date): BatchWrite {
      const recorded = now.getTime();
      // One short statement whatever the row count, and an answer per row: a
      // multi-row VALUES text would be parsed and planned anew for every
      // request, and refused (or partly applied) whole for one bad row.
      return {
        kind: "bulk",
        sql:
          `INSERT INTO ${table(t)} (${APPENDED.join(", ")}) VALUES (${APPENDED.map(() => "?").join(", ")}) ` +
          `ON CONFLICT (${q("change_id")}, ${q("part")}) DO NOTHING`,
        bulkArgs: rows.map((row) => [
          row.id,
          row.key,
          new RawJson(row.pk),
          row.operation,
          row.ttlDelete,
          // TIMESTAMP holds milliseconds; changed_micros keeps the stream's precision.
          Math.floor(row.timestampMicros / 1000),
          row.timestampMicros,
          row.version,
          row.newImage === null ? null : new RawJson(row.newImage),
          row.oldImage === null ? null : new RawJson(row.oldImage),
          row.position,
          row.ref,
          recorded,
          row.updateDescription === null ? null : new RawJson(row.updateDescription),
        ]),
      };
    },

    asOf(t: TableName, at: Date): Statement {
      return {
        sql:
          `SELECT CAST(${q("pk")} AS TEXT) AS pk, CAST(${q("new_image")} AS TEXT) AS new_image, ${q("version")} FROM ` +
          `(SELECT ${q("pk")}, ${q("operation")}, ${q("new_image")}, ${q("version")}, ` +
          `row_number() OVER (PARTITION BY ${q("key")} ORDER BY ${q("version")} DESC) AS n ` +
          `FROM ${table(t)} WHERE ${q("changed_at")} <= ?) AS h WHERE n = 1 AND ${q("operation")} <> 'remove'`,
        params: [at.getTime()],
      };
    },

    changesOf(t: TableName, key: string): Statement {
      return {
        sql:
          `SELECT ${q("change_id")}, ${q("operation")}, ${q("version")}, CAST(${q("new_image")} AS TEXT) AS new_image ` +
          `FROM ${table(t)} WHERE ${q("key")} = ? ORDER BY ${q("version")}`,
        params: [key],
      };
    },
  };
}
