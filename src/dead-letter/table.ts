// The dead-letter table (DEAD_LETTER_TABLE): failed records stored in the
// sink itself, beside the replicated table, so they can be queried, fixed and
// replayed with SQL. Created when missing. Written through the sink's query
// (bound parameters, identifiers through the dialect's quoting function).
//
// `record` is JSON text, not jsonb / OBJECT: the records that land here are
// the ones the database refused, e.g. a string holding U+0000, which jsonb can
// not store. Query it with `record::jsonb` where it parses.

import { OnceUntilFailure } from "../cache-until-failure.ts";
import { errorMessage } from "../error-text.ts";
import type { Sink } from "../sink/sink.ts";
import type { Dialect } from "../sql/dialect.ts";
import type { Statement } from "../sql/statement.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";
import {
  type DeadLetter,
  type DeadLetterDestination,
  type DeadLetterOutcome,
  refuseAll,
} from "./destination.ts";

const COLUMNS = ["position", "ref", "reason", "field", "event_source_arn", "record"] as const;
// PostgreSQL allows 65535 parameters per statement.
const ROWS_PER_INSERT = 1000;

/** The table's DDL for a dialect. */
export function createDeadLetterTable(dialect: Dialect, table: TableName): Statement[] {
  return dialect.createDeadLetterTable(table);
}

/** One INSERT of many letters, `failed_at` set by the database's clock. */
export function insertDeadLetters(
  dialect: Dialect,
  table: TableName,
  letters: DeadLetter[],
): Statement {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const params: unknown[] = [];
  const placeholder = () => dialect.placeholder(params.length);
  const rows = letters.map((letter) => {
    const values = [
      letter.position,
      letter.ref,
      letter.reason,
      letter.field,
      letter.eventSourceARN,
      JSON.stringify(letter.record) ?? null,
    ];
    const marks = values.map((value) => {
      params.push(value === undefined ? null : textSafe(value));
      return placeholder();
    });
    return `(${marks.join(", ")}, CURRENT_TIMESTAMP)`;
  });
  return {
    sql: `INSERT INTO ${dialect.quoteTable(table)} (${[...COLUMNS, "failed_at"].map(q).join(", ")}) VALUES ${rows.join(", ")}`,
    params,
  };
}

// PostgreSQL text can not hold U+0000; JSON.stringify already escapes it in
// `record`, and a reason or ref holding one gets the same escape.
function textSafe(value: string | null): string | null {
  return value === null ? null : value.replaceAll("\u0000", "\\u0000");
}

export class TableDeadLetters implements DeadLetterDestination {
  readonly name: string;
  private readonly sink: Sink;
  private readonly table: TableName;
  /** The table, created once; a failed creation is tried again with the next letters. */
  private readonly ready = new OnceUntilFailure(async () => {
    for (const statement of createDeadLetterTable(this.sink.dialect, this.table))
      await this.sink.query(statement);
  });

  constructor(sink: Sink, table: TableName) {
    this.sink = sink;
    this.table = table;
    this.name = `table ${formatTableName(table)}`;
  }

  async send(letters: DeadLetter[]): Promise<DeadLetterOutcome> {
    const outcome: DeadLetterOutcome = { sent: new Set(), refused: new Map() };
    if (letters.length === 0) return outcome;
    try {
      await this.ready.get();
    } catch (error) {
      refuseAll(letters, `could not create the dead-letter table: ${errorMessage(error)}`, outcome);
      return outcome;
    }
    for (let start = 0; start < letters.length; start += ROWS_PER_INSERT) {
      const chunk = letters.slice(start, start + ROWS_PER_INSERT);
      try {
        await this.sink.query(insertDeadLetters(this.sink.dialect, this.table, chunk));
        for (const letter of chunk) outcome.sent.add(letter.index);
      } catch (error) {
        refuseAll(
          chunk,
          `could not write to the dead-letter table: ${errorMessage(error)}`,
          outcome,
        );
      }
    }
    return outcome;
  }
}
