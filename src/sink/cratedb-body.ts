// Builds the JSON bodies of CrateDB's `POST /_sql` by hand. The codec hands
// `pk`, `data` and `aux` over as RawJson (JSON text whose numbers are exactly
// as they must arrive); a JSON.parse + JSON.stringify round trip would turn
// `42.0` into `42` (making a DYNAMIC sub-column BIGINT, FACTS.md section 5) and
// round `12345678901234567890.5`. So RawJson is spliced in byte for byte and
// only ordinary values go through JSON.stringify.

import { InternalError } from "../errors.ts";
import { RawJson } from "../sql/statement.ts";

/** `{"stmt": ..., "args": [...]}`: one statement with positional parameters. */
export function sqlBody(stmt: string, args: readonly unknown[]): string {
  return args.length === 0
    ? `{"stmt":${JSON.stringify(stmt)}}`
    : `{"stmt":${JSON.stringify(stmt)},"args":${toJson(args)}}`;
}

/** `{"stmt": ..., "bulk_args": [[...], ...]}`: one INSERT/UPDATE/DELETE run once per parameter list. */
export function bulkSqlBody(stmt: string, bulkArgs: readonly (readonly unknown[])[]): string {
  let out = `{"stmt":${JSON.stringify(stmt)},"bulk_args":[`;
  for (let i = 0; i < bulkArgs.length; i++) {
    if (i > 0) out += ",";
    out += toJson(bulkArgs[i]);
  }
  return `${out}]}`;
}

/**
 * One parameter value as JSON text. Refuses what JSON.stringify would quietly
 * turn into something else (NaN and Infinity into `null`, a bigint into an
 * exception, a class instance into `{}`), so a wrong value fails here, named,
 * instead of landing in the database.
 */
export function toJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof RawJson) {
    // An empty text would make the whole body invalid JSON; everything else is
    // trusted (the codec wrote it), as re-parsing each row costs what the raw
    // splice saves. Invalid text makes CrateDB refuse the request (4000), which
    // the pipeline then narrows down to the row.
    if (value.json.length === 0) throw new InternalError("a RawJson parameter holds no JSON text");
    return value.json;
  }
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) {
        throw new InternalError(`${value} can not be sent to CrateDB as a JSON number`);
      }
      return JSON.stringify(value);
    case "bigint":
      // A JSON integer of any length; CrateDB reads it as BIGINT when it fits.
      return value.toString();
    case "object":
      break;
    default:
      throw new InternalError(`a ${typeof value} can not be sent to CrateDB as a parameter`);
  }
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += toJson(value[i]);
    }
    return `${out}]`;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InternalError("an invalid Date can not be sent to CrateDB");
    // Epoch milliseconds: CrateDB's TIMESTAMP precision, and no time zone to misread.
    return String(ms);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new InternalError(
      `a ${proto?.constructor?.name ?? "object"} can not be sent to CrateDB as a parameter; pass a plain object, an array or RawJson`,
    );
  }
  let out = "{";
  for (const [key, item] of Object.entries(value)) {
    // As JSON.stringify does: an undefined property is left out, not sent as null.
    if (item === undefined) continue;
    if (out.length > 1) out += ",";
    out += `${JSON.stringify(key)}:${toJson(item)}`;
  }
  return `${out}}`;
}
