// Which relation names reach each database as written. PostgreSQL cuts an
// identifier to 63 bytes with only a notice (two long names could then meet
// in one), holds no NUL, and its UTF-8 text can not carry an unpaired UTF-16
// surrogate (the driver would send U+FFFD in its place). CrateDB refuses
// some characters in table and schema names, and a table whose index name
// (`schema.table`, or `table` in `doc`) exceeds 255 bytes (checked on 6.4.3:
// "Index name is too long, (256 > 255)"); its system schemas are read-only.
// The set-up check (sink/set-up-check.ts) asks before anything is created, so
// a bad name is one error at start-up, not a failure of every record.

import { stateTable, type TableName } from "./table-name.ts";

const POSTGRES_MAX_BYTES = 63;
const CRATE_MAX_INDEX_BYTES = 255;

/** dynacrate's longest suffix of a target's name in PostgreSQL: its tombstone index. */
export const POSTGRES_INDEX_SUFFIX = "__tombstones";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Characters a PostgreSQL name can not carry. */
function postgresCharacters(name: string, what: string): string | undefined {
  if (name.includes("\u0000"))
    return `${what} ${JSON.stringify(name)} holds a NUL character, which a PostgreSQL name can not hold`;
  if (LONE_SURROGATE.test(name))
    return `${what} ${JSON.stringify(name)} holds an unpaired UTF-16 surrogate, which UTF-8 can not carry (it would arrive as U+FFFD)`;
  return undefined;
}

/** `name` plus the longest suffix dynacrate adds to it must fit PostgreSQL's 63 bytes. */
function postgresLength(name: string, suffix: string, what: string): string | undefined {
  const length = bytes(name) + bytes(suffix);
  if (length <= POSTGRES_MAX_BYTES) return undefined;
  const derived = suffix
    ? ` (${what} ${name}${suffix} would be ${length} bytes)`
    : ` (${length} bytes)`;
  return (
    `${JSON.stringify(name)} is too long for PostgreSQL${derived}: PostgreSQL cuts names to ${POSTGRES_MAX_BYTES} bytes, ` +
    `so it would be stored under another name; choose a name of at most ${POSTGRES_MAX_BYTES - bytes(suffix)} bytes in UTF-8`
  );
}

function postgresSchema(schema: string | undefined): string[] {
  if (schema === undefined) return [];
  const problem = postgresCharacters(schema, "schema") ?? postgresLength(schema, "", "schema");
  if (problem) return [`schema ${problem}`];
  // CREATE SCHEMA refuses the prefix (42939); pg_catalog and pg_toast are the system's.
  if (schema.toLowerCase().startsWith("pg_"))
    return [`schema ${schema}: PostgreSQL reserves names starting with pg_ for its own schemas`];
  return [];
}

/** The names a PostgreSQL target creates: the view, `<name>__state`, and the longest, `<name>__tombstones`. */
export function postgresTargetProblems(table: TableName): string[] {
  const problem =
    postgresCharacters(table.name, "table name") ??
    postgresLength(table.name, POSTGRES_INDEX_SUFFIX, "its tombstone index");
  return [...postgresSchema(table.schema), ...(problem ? [problem] : [])];
}

export function postgresTableProblems(table: TableName): string[] {
  const problem =
    postgresCharacters(table.name, "table name") ?? postgresLength(table.name, "", "table");
  return [...postgresSchema(table.schema), ...(problem ? [problem] : [])];
}

// CrateDB refuses these in table and schema names ("Must not contain ...",
// InvalidRelationName, 4002), and a name with a leading "_" is its own.
const CRATE_ILLEGAL = /[\\/*?"<>|\s,#.]/;
const CRATE_READ_ONLY = new Set(["sys", "information_schema", "pg_catalog", "blob"]);

/** A CrateDB table or schema name with a character CrateDB refuses, or its leading "_". */
export function crateNameProblem(name: string, what: string): string | undefined {
  if (CRATE_ILLEGAL.test(name) || name.startsWith("_"))
    return (
      `${what} ${JSON.stringify(name)} is not allowed by CrateDB: it can not start with "_" ` +
      `or hold whitespace or any of \\ / * ? " < > | , # .`
    );
  return undefined;
}

function crateSchema(schema: string | undefined): string[] {
  if (schema === undefined) return [];
  const problem = crateNameProblem(schema, "schema");
  if (problem) return [problem];
  if (CRATE_READ_ONLY.has(schema))
    return [`schema ${schema} is CrateDB's own (read-only or for blobs): choose another schema`];
  return [];
}

/** The index CrateDB keeps a table in: `schema.table`, or `table` in the default schema `doc`. */
function crateIndexProblem(table: TableName, what: string, given: string): string | undefined {
  const index =
    table.schema === undefined || table.schema === "doc"
      ? table.name
      : `${table.schema}.${table.name}`;
  const length = bytes(index);
  if (length <= CRATE_MAX_INDEX_BYTES) return undefined;
  const room = CRATE_MAX_INDEX_BYTES - (length - bytes(given));
  return (
    `${what} ${index} is ${length} bytes in UTF-8, beyond CrateDB's ${CRATE_MAX_INDEX_BYTES} for a schema and table name: ` +
    `choose a name of at most ${Math.max(room, 0)} bytes`
  );
}

/** The names a CrateDB target creates: the view and the state table. */
export function crateTargetProblems(table: TableName): string[] {
  const problems = crateSchema(table.schema);
  const name = crateNameProblem(table.name, "table name");
  if (name) return [...problems, name];
  const index = crateIndexProblem(stateTable(table), "the state table", table.name);
  return index ? [...problems, index] : problems;
}

export function crateTableProblems(table: TableName): string[] {
  const problems = crateSchema(table.schema);
  const name = crateNameProblem(table.name, "table name");
  if (name) return [...problems, name];
  const index = crateIndexProblem(table, "the table", table.name);
  return index ? [...problems, index] : problems;
}
