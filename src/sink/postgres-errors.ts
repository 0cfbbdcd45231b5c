// What PostgreSQL's errors mean for the pipeline: one table of SQLSTATE classes
// (the first two characters) and of the codes within them that differ from
// their class, each classed as a row's, a request's (batch) or the sink's
// failure (see FailureScope in sink-error.ts). PostgreSQL fails a whole
// statement for any error, so `row` and `batch` both make the pipeline split
// the batch until the refused row stands alone.
// Source: PostgreSQL 18, "Appendix A. PostgreSQL Error Codes".

import { classes, type ErrorClass, kindOf, SinkError } from "./sink-error.ts";

const { row, retry, stop } = classes;
const { batch } = classes;

/** Every SQLSTATE class that is an error (00, 01 and 02 are not). */
export const POSTGRES_ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map([
  ["03", stop("the statement is incomplete")],
  ["08", retry("the connection failed")],
  ["09", row("a trigger on the table refused the row")],
  ["0A", stop("the database does not support this statement (PostgreSQL 11 or later is needed)")],
  ["0B", stop("invalid transaction initiation")],
  ["0F", stop("locator exception")],
  ["0L", stop("invalid grantor")],
  ["0P", stop("invalid role specification")],
  ["0Z", stop("diagnostics exception")],
  ["20", stop("case not found")],
  ["21", batch("a statement touched a row twice")],
  ["22", row("a value is not valid data for the database")],
  ["23", row("the row breaks a constraint of the table")],
  ["24", stop("invalid cursor state")],
  ["25", stop("invalid transaction state")],
  ["26", stop("invalid SQL statement name")],
  ["27", row("a trigger changed the row in a way that is not allowed")],
  ["28", stop("check the user name and password")],
  ["2B", stop("dependent privilege descriptors still exist")],
  ["2D", stop("invalid transaction termination")],
  ["2F", stop("an SQL routine failed")],
  ["34", stop("invalid cursor name")],
  ["38", row("an external routine refused the row")],
  ["39", row("an external routine invocation refused the row")],
  ["3B", stop("savepoint exception")],
  ["3D", stop("the database does not exist; check the URL")],
  ["3F", stop("the schema does not exist", true)],
  ["40", retry("the transaction was rolled back (serialization failure or deadlock)")],
  ["42", stop("the statement does not fit the table or the user's privileges")],
  ["44", row("the row breaks a view's WITH CHECK OPTION")],
  ["53", retry("the database is short of resources")],
  ["54", row("the row exceeds a limit of the database")],
  ["55", stop("an object is not in the state the statement needs")],
  ["57", retry("an operator or a timeout interrupted the statement")],
  ["58", retry("a system error on the database server")],
  ["72", retry("snapshot too old")],
  ["F0", stop("a configuration file error on the server")],
  ["HV", stop("a foreign data wrapper failed")],
  ["P0", row("a PL/pgSQL trigger raised an error for the row")],
  ["XX", retry("an internal error of the database")],
]);

/** Codes whose meaning differs from their class's. */
export const POSTGRES_ERROR_CODES: ReadonlyMap<string, ErrorClass> = new Map([
  ["23505", row("a unique index other than the key's refused the row")],
  ["25006", stop("the server is read-only (a standby); point the sink at the primary")],
  ["25P03", retry("the session was idle in a transaction too long")],
  ["40002", row("a deferred constraint refused the row")],
  ["42P01", stop("the table does not exist; check the table name", true)],
  [
    "42P10",
    stop("the state table lacks the key the statement names; was it created by another tool?"),
  ],
  ["53200", batch("the database ran out of memory for this request")],
  ["53400", stop("a configuration limit of the server was reached")],
  ["54000", row("a value is too large for the database (e.g. a key over the index row limit)")],
  ["54001", batch("the statement is too complex")],
  ["54011", stop("the table has too many columns")],
  ["54023", batch("the statement has too many arguments")],
  ["55006", retry("another session uses the object")],
  ["55P03", retry("a lock was not available")],
  ["57P04", stop("the database was dropped")],
  ["58P01", stop("a file the server needs does not exist")],
  ["XX001", stop("the database's data is corrupted")],
  ["XX002", stop("an index of the database is corrupted")],
]);

/** The class of a SQLSTATE: the code's own entry, else its class's; unknown classes stop. */
export function postgresErrorClass(code: string): ErrorClass {
  return (
    POSTGRES_ERROR_CODES.get(code) ??
    POSTGRES_ERROR_CLASSES.get(code.slice(0, 2)) ??
    stop("an error PostgreSQL does not document")
  );
}

/** Translates a driver error into a SinkError by its SQLSTATE; no SQLSTATE is a network fault. */
export function translate(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const e = error as { code?: unknown; message?: unknown };
  const message = `PostgreSQL: ${typeof e?.message === "string" ? e.message : String(error)}`;
  const code = typeof e?.code === "string" ? e.code : undefined;
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    const entry = postgresErrorClass(code);
    const kind = kindOf(entry);
    return new SinkError(kind, kind === "fatal" ? `${message}; ${entry.hint}` : message, code, {
      cause: error,
      missingRelation: entry.missingRelation ?? false,
    });
  }
  // No SQLSTATE: a socket error, a timeout, a connection that ended.
  return new SinkError("transient", message, code, { cause: error });
}
