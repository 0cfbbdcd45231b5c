// A SQL dialect: renders dynacrate's few statements for one database.

import type { NumberFormat } from "../codec/decimal.ts";
import type { KeySchema } from "../codec/key-schema.ts";
import type { EncodedRow, RowFormat } from "../codec/row.ts";
import type { HistoryStatements } from "./history.ts";
import type { BatchWrite, Statement } from "./statement.ts";
import type { TableName } from "./table-name.ts";

/**
 * The layout of a state table. `key-hash`: the primary key is a hash of the
 * canonical key (PostgreSQL, any DynamoDB key fits). `text-key`: on CrateDB,
 * a numeric key attribute is a primary key as its exact decimal text in
 * `pk_text` (any DynamoDB number fits), a DOUBLE in `pk` for queries.
 * `pk-key`: the primary key is `pk` itself (CrateDB's sub-columns, numeric
 * ones NUMERIC(38, 0) or DOUBLE; PostgreSQL tables created before key_hash;
 * both kept working as they are).
 */
export type TableLayout = "key-hash" | "text-key" | "pk-key";

/** A privilege dynacrate needs: to create its tables in a schema, or to use an existing table. */
/** Settings of the tables dynacrate creates, where the database has them. */
export interface TableSettings {
  /**
   * CrateDB: how often a table's new writes become visible to searches, in
   * milliseconds (`refresh_interval`; CrateDB's default is 1000).
   */
  refreshIntervalMs?: number | undefined;
}

export type Privilege = "CREATE" | "SELECT" | "INSERT" | "UPDATE" | "DELETE";

/** Where a privilege is needed: a schema (CREATE) or a table. */
export type PrivilegeObject = { schema: string } | { table: TableName };

export interface Dialect {
  readonly name: "cratedb" | "postgresql";
  /** How rows are encoded for this database, given the user's number format. */
  rowFormat(numbers?: NumberFormat): RowFormat;
  /** The one quoting function of the dialect: every identifier goes through it. */
  quoteIdentifier(name: string): string;
  quoteTable(table: TableName): string;
  /** The view's columns, in order: `pk`, `data`, `aux`, and any the dialect adds. */
  readonly viewColumns: readonly string[];
  /**
   * The relations named like the view and the state table, in the schema the
   * names resolve to: rows `{name, kind, definition}` with kind `BASE TABLE`,
   * `VIEW`, `FOREIGN`, ... and a view's definition (see sink/target-check.ts).
   */
  lookupRelations(table: TableName): Statement;
  /**
   * The relations of the table's schema whose names equal the table's, or its
   * state table's, but for case: rows `{name}`, for a message that names a
   * table differing only in case ("Forum" beside "forum").
   */
  relationsInAnyCase(table: TableName): Statement;
  /**
   * Why the names dynacrate creates for the target `table` (its view, its
   * state table, any index) would not reach this database as written: too
   * long (cut short), characters it refuses or changes, a schema it reserves.
   * One sentence per problem; empty when every name survives.
   */
  targetNameProblems(table: TableName): string[];
  /** The same for a table dynacrate creates under the name given (the dead-letter table). */
  tableNameProblems(table: TableName): string[];
  /**
   * One row `{user, schema, exists, can_create}`: the current user, the schema
   * (`schema`, or the one unqualified names go to), whether it exists, and
   * whether the user may create tables in it (or create it, when it does not).
   */
  schemaPrivileges(schema: string | undefined): Statement;
  /** One row `{select, insert, update, delete}`: the current user's privileges on an existing table. */
  tablePrivileges(table: TableName): Statement;
  /** The statement that grants a missing privilege, for the message that names it. */
  grantText(privileges: Privilege[], on: PrivilegeObject, user: string): string;
  /** The columns of a table or view: rows `{column_name, data_type}`, sub-columns included. */
  lookupColumns(table: TableName): Statement;
  /** Statements that create the state table and the user's view, if missing. */
  createTable(
    table: TableName,
    keySchema: KeySchema | undefined,
    settings?: TableSettings,
  ): Statement[];
  /**
   * What ends the CREATE TABLE of every table dynacrate creates (state,
   * checkpoints, purges, load progress, dead letters): CrateDB's replica
   * setting, and the refresh interval where one is given; empty for PostgreSQL.
   */
  tableSettings(settings?: TableSettings): string;
  /**
   * Writes rows (distinct keys) guarded by version: a row is written only if
   * its version is newer than the one stored for its key, so duplicates and
   * late, older changes change nothing, even under concurrent writers.
   */
  upsert(
    table: TableName,
    rows: EncodedRow[],
    keySchema: KeySchema | undefined,
    now: Date,
    layout?: TableLayout,
  ): BatchWrite;
  /** Removes tombstones written before `before`. */
  purgeTombstones(table: TableName, before: Date): Statement;
  /** The live rows, as users see them. */
  selectLive(table: TableName): Statement;
  /**
   * The live rows with `pk`, `data` and `aux` as JSON text, so that no number
   * is rounded by a driver's JSON parser (the demo, verify, tests).
   */
  selectLiveText(table: TableName): Statement;
  /** The n-th bound parameter's mark (1-based): `$1` or `?`. */
  placeholder(n: number): string;
  /**
   * The statement that makes the table's last writes visible to searches
   * (CrateDB's REFRESH TABLE), or undefined where they always are.
   */
  refresh(table: TableName): Statement | undefined;
  /**
   * A dead-letter table's DDL: position, ref, reason, field,
   * event_source_arn, record (JSON text, stored unindexed) and failed_at.
   */
  createDeadLetterTable(table: TableName): Statement[];
  /** The change history's table, append and queries (--history). */
  readonly history: HistoryStatements;
}
