// The error classes of dynacrate: one base class, and subclasses that carry what
// a caller needs to act (which record, which field, retry or not).

/** Base class of every error dynacrate throws on purpose. */
export class DynacrateError extends Error {
  override name = "DynacrateError";
}

/**
 * A change record that can never be applied as it is: malformed JSON, an
 * unknown event, an attribute value that is not a DynamoDB value. Retrying
 * will not help; the record belongs in a dead-letter destination.
 */
export class RecordError extends DynacrateError {
  override name = "RecordError";
  /** What identifies the record: its eventID, sequence number or input line. */
  readonly record: string;
  /** Where in the record the problem is, as a dotted path (`dynamodb.NewImage.price.N`). */
  readonly field: string | undefined;

  constructor(record: string, field: string | undefined, problem: string, options?: ErrorOptions) {
    super(`record ${record}${field ? `, field ${field}` : ""}: ${problem}`, options);
    this.record = record;
    this.field = field;
  }
}

/**
 * A record the routes place in no target table (its table is not in
 * --table-map, or is not the --source-table). Its table, when it names one,
 * lets a run whose every record is refused say which tables it saw.
 */
export class RoutingRefusal extends RecordError {
  override name = "RoutingRefusal";
  readonly sourceTable: string | undefined;

  constructor(record: string, field: string | undefined, problem: string, sourceTable?: string) {
    super(record, field, problem);
    this.sourceTable = sourceTable;
  }
}

/** Settings that can not work: a bad sink URL, a table name, a key schema. */
export class ConfigError extends DynacrateError {
  override name = "ConfigError";
}

/**
 * A broken promise inside dynacrate, or between it and code that calls its
 * library: a bug. Never a record's fault and never an outage, so it is neither
 * dead-lettered nor retried; the command stops and says to report it.
 */
export class InternalError extends DynacrateError {
  override name = "InternalError";
}

/** The local stack (DynamoDB Local, the emulators, embedded PostgreSQL) could not start or answer. */
export class LocalStackError extends DynacrateError {
  override name = "LocalStackError";
}

/**
 * The change stream can not be read and waiting will not help: the stream is
 * missing, access is denied, or a checkpoint names a position it no longer has.
 */
export class SourceError extends DynacrateError {
  override name = "SourceError";
}
