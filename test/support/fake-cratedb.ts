// A fake CrateDB HTTP endpoint for the CrateDB sink's tests. It stands in for a
// CrateDB server because none can run in CI (no registry ships one and there is
// no Docker engine, FACTS.md section 5); test/sink/cratedb-live.test.ts runs
// the same sink against a real CrateDB where CRATEDB_URL is set.
//
// It follows the shapes of CrateDB's reference, "HTTP endpoint"
// (docs/interfaces/http.rst) and FACTS.md section 5:
// - `POST /_sql` with `{"stmt", "args"}` answers `{"cols", "rows", "rowcount",
//   "duration"}`; with `{"stmt", "bulk_args"}` it answers `{"cols": [],
//   "duration", "results": [{"rowcount": n}, ...]}` in request order, HTTP 200
//   even when rows failed; a failed row has `"rowcount": -2` and, as CrateDB
//   5.10+ does for the first failures (at most 10 here), an
//   `"error": {"code", "message"}` object.
// - A request that can not run fails whole with `{"error": {"code",
//   "message"}}` and the HTTP status that CrateDB derives from the code (its
//   first three digits: 4003 -> 400, 4041 -> 404, 5002 -> 500), writing nothing.
// - With authentication required, a request without valid Basic credentials
//   gets HTTP 401, a plain-text reason and `WWW-Authenticate`.
//
// It is honest about what it parses: it understands exactly the statements of
// the `cratedb` dialect (CREATE TABLE IF NOT EXISTS with `pk` sub-column
// primary keys, its WITH settings accepted as written, CREATE OR REPLACE VIEW, the bulk INSERT ... ON CONFLICT DO
// UPDATE whose SET clause it reads assignment by assignment, applying the
// version guard of sql/version-order.ts only where the SQL has it),
// simple SELECTs with `"pk"['x'] = ?` conditions, REFRESH TABLE and DROP; it
// answers anything else with error 4000 rather than pretending. It keeps rows
// in memory keyed by the pk object. It does NOT check column types (a DYNAMIC
// sub-column's type conflict is a live-test matter) and has one shard.
//
// What the markers stand for, as CrateDB 6.4.3 was seen to behave (see
// cratedb-live.test.ts): a whole-request refusal is what a value that can not
// be cast to an existing sub-column's type causes (CrateDB says 4000 there);
// a -2 row is what a type conflict in a sub-column the same bulk adds, or a key
// attribute the STRICT `pk` lacks, causes.
//
// Scripted failures: rows holding `rowFailMarker` fail with -2, a request with
// a row holding `poisonMarker` fails whole with 4003 / HTTP 400, and `fail()`
// queues faults taken one per request: HTTP 503 without a body, 5002 shards
// unavailable, a delay, a dropped connection, or per-row 5002 failures.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { compareVersions } from "../../src/codec/version.ts";
import { newerVersion } from "../../src/sql/version-order.ts";

export type Fault =
  /** HTTP 503 with an empty body, as a load balancer or a starting node gives. */
  | { kind: "http-503" }
  /** `{"error": {"code": 5002, ...}}`, HTTP 500: one or more shards are not available. */
  | { kind: "shards-unavailable" }
  /** Waits, then answers (and writes) as usual: a client that gave up may still have written. */
  | { kind: "delay"; ms: number }
  /** Reads the request, then destroys the socket without an answer and without writing. */
  | { kind: "drop" }
  /** Rows holding `marker` fail with -2 and error 5002 (their shard is unavailable); others are written. */
  | { kind: "rows-unavailable"; marker: string };

export interface FakeCrateDbOptions {
  /** Require HTTP Basic authentication with these credentials. */
  auth?: { username: string; password: string };
  /** A string value that makes a row fail with rowcount -2. Default `"__fail_row__"`. */
  rowFailMarker?: string;
  /** A string value that makes the whole request fail with 4003. Default `"__poison__"`. */
  poisonMarker?: string;
  /** Add CrateDB 5.10+'s `error` object to failed rows; false mimics older releases. Default true. */
  rowErrorDetails?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** The body exactly as received. */
  body: string;
  /** The statement, when the body parsed. */
  stmt: string | undefined;
}

export interface StoredRow {
  pk: Record<string, unknown>;
  data: unknown;
  aux: unknown;
  aux_text?: unknown;
  pk_text?: unknown;
  deleted: unknown;
  updated_at: unknown;
  version: unknown;
}

export interface FakeTable {
  /** The primary key: sub-columns of `pk`, in declaration order. */
  keyColumns: string[];
  /** Each key column's type as information_schema names it (`text`, `numeric`, `double precision`). */
  keyTypes?: Map<string, string>;
  /** Rows by their key (the pk sub-column values, JSON). */
  rows: Map<string, StoredRow>;
  /** Sub-columns of `data` declared with ALTER TABLE, as information_schema lists them. */
  dataColumns?: [string, string][];
  /** True when numeric keys are primary keys as text in `pk_text` (the "text-key" layout). */
  textKeys?: boolean;
}

interface FakeView {
  source: string;
  columns: string[];
  liveOnly: boolean;
}

export interface FakeCrateDb {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** State tables by `schema.name`. */
  readonly tables: Map<string, FakeTable>;
  readonly views: Map<string, FakeView>;
  /** The most requests it was answering at one time. */
  readonly mostAtOnce: number;
  /**
   * Resolves once every request received so far has run to its end, one a
   * client gave up on included (its statement executed, its answer sent into
   * a closed connection).
   */
  handled(): Promise<void>;
  /** Queues faults; each request to `/_sql` takes the next one. */
  fail(...faults: Fault[]): void;
  /** Requests whose statement starts with `prefix` (case-insensitive). */
  statements(prefix: string): RecordedRequest[];
  /** A stored row by table and pk object. */
  row(table: string, pk: Record<string, unknown>): StoredRow | undefined;
  close(): Promise<void>;
}

interface SqlError {
  code: number;
  message: string;
}

class SqlFailure extends Error {
  constructor(readonly error: SqlError) {
    super(error.message);
  }
}

const fail4000 = (message: string): SqlFailure =>
  new SqlFailure({ code: 4000, message: `SQLParseException[${message}]` });

/** CrateDB derives the HTTP status from an error code's first three digits. */
function httpStatusOf(code: number): number {
  return Number(String(code).slice(0, 3));
}

// An identifier as the dialect writes it: always double-quoted, `""` for `"`.
const IDENT = `"(?:[^"]|"")+"`;
const TABLE = String.raw`(${IDENT})(?:\.(${IDENT}))?`;

function unquote(quoted: string): string {
  return quoted.slice(1, -1).replaceAll('""', '"');
}

export async function startFakeCrateDb(options: FakeCrateDbOptions = {}): Promise<FakeCrateDb> {
  const rowFailMarker = options.rowFailMarker ?? "__fail_row__";
  const poisonMarker = options.poisonMarker ?? "__poison__";
  const rowErrorDetails = options.rowErrorDetails ?? true;
  const requests: RecordedRequest[] = [];
  const tables = new Map<string, FakeTable>();
  const views = new Map<string, FakeView>();
  const faults: Fault[] = [];

  function tableName(first: string, second: string | undefined, defaultSchema: string): string {
    return second === undefined
      ? `${defaultSchema}.${unquote(first)}`
      : `${unquote(first)}.${unquote(second)}`;
  }

  function relationUnknown(name: string): SqlFailure {
    return new SqlFailure({ code: 4041, message: `RelationUnknown[Relation '${name}' unknown]` });
  }

  function createTable(stmt: string, schema: string): Record<string, unknown> {
    const match = new RegExp(
      String.raw`^CREATE TABLE IF NOT EXISTS ${TABLE} \("pk" OBJECT\(STRICT\) AS \((.+?)\), "pk_text" OBJECT\(STRICT\) AS \((.+?)\), "data" OBJECT\(STRICT\), "aux" OBJECT\(IGNORED\), "aux_text" OBJECT\(IGNORED\), "version" TEXT NOT NULL, "deleted" BOOLEAN NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL\)(?: WITH \([^)]*\))?$`,
    ).exec(stmt);
    if (!match) throw fail4000("the fake understands only the cratedb dialect's CREATE TABLE");
    const name = tableName(match[1] as string, match[2], schema);
    const keyColumns: string[] = [];
    const keyTypes = new Map<string, string>();
    for (const part of (match[3] as string).split(/, (?=")/)) {
      const column = new RegExp(
        `^(${IDENT}) (TEXT|DOUBLE PRECISION|DOUBLE|NUMERIC\\(38, 0\\))( PRIMARY KEY)?$`,
      ).exec(part);
      if (!column) throw fail4000(`the fake does not understand the pk column ${part}`);
      const key = unquote(column[1] as string);
      keyColumns.push(key);
      const type = column[2] as string;
      keyTypes.set(
        key,
        type === "TEXT" ? "text" : type.startsWith("DOUBLE") ? "double precision" : "numeric",
      );
    }
    // A key that is a primary key in pk_text is keyed there, by its text.
    const textKeys = / PRIMARY KEY/.test(match[4] as string);
    if (!tables.has(name)) tables.set(name, { keyColumns, keyTypes, textKeys, rows: new Map() });
    return { cols: [], rows: [], rowcount: 1 };
  }

  function createView(stmt: string, schema: string): Record<string, unknown> {
    const match = new RegExp(
      `^CREATE OR REPLACE VIEW ${TABLE} AS SELECT ((?:${IDENT}, )*${IDENT}) FROM ${TABLE}( WHERE NOT "deleted")?$`,
    ).exec(stmt);
    if (!match) throw fail4000("the fake understands only the cratedb dialect's CREATE VIEW");
    const name = tableName(match[1] as string, match[2], schema);
    const source = tableName(match[4] as string, match[5], schema);
    if (!tables.has(source)) throw relationUnknown(source);
    if (tables.has(name)) {
      throw new SqlFailure({
        code: 4093,
        message: `RelationAlreadyExists[Relation '${name}' already exists.]`,
      });
    }
    const columns = (match[3] as string).split(", ").map(unquote);
    views.set(name, { source, columns, liveOnly: match[6] !== undefined });
    return { cols: [], rows: [], rowcount: 1 };
  }

  /** How each column is set on conflict: `guarded` only if the SQL says so. */
  type Assignment = "excluded" | "guarded";

  function parseUpsert(stmt: string, schema: string) {
    const match = new RegExp(
      String.raw`^INSERT INTO ${TABLE} \(((?:${IDENT}, )*${IDENT})\) VALUES \(((?:\?, )*\?)\) ON CONFLICT \((.+?)\) DO UPDATE SET (.+)$`,
    ).exec(stmt);
    if (!match)
      throw fail4000("the fake understands only the cratedb dialect's INSERT ... ON CONFLICT");
    const name = tableName(match[1] as string, match[2], schema);
    const table = tables.get(name);
    if (!table) throw relationUnknown(name);
    const columns = (match[3] as string).split(", ").map(unquote);
    const placeholders = (match[4] as string).split(", ").length;
    if (placeholders !== columns.length)
      throw fail4000("the number of values does not match the columns");
    const conflict = (match[5] as string).split(", ").map((target) => {
      const sub = /^"pk(?:_text)?"\['((?:[^']|'')+)'\]$/.exec(target);
      if (!sub) throw fail4000(`the fake does not understand the conflict target ${target}`);
      return (sub[1] as string).replaceAll("''", "'");
    });
    if (conflict.join("\u0000") !== table.keyColumns.join("\u0000")) {
      throw new SqlFailure({
        code: 4000,
        message: `SQLParseException[Number of conflict targets (${conflict}) did not match the number of primary key columns (${table.keyColumns})]`,
      });
    }
    const assignments = new Map<string, Assignment>();
    // The guard (sql/version-order.ts) holds commas of its own: named before splitting.
    const set = (match[6] as string).replaceAll(
      newerVersion('excluded."version"', '"version"'),
      "GUARD",
    );
    for (const part of set.split(", ")) {
      const plain = new RegExp(String.raw`^(${IDENT}) = excluded\.(${IDENT})$`).exec(part);
      const guarded = new RegExp(
        String.raw`^(${IDENT}) = CASE WHEN GUARD THEN excluded\.(${IDENT}) ELSE (${IDENT}) END$`,
      ).exec(part);
      if (plain && plain[1] === plain[2]) assignments.set(unquote(plain[1] as string), "excluded");
      else if (guarded && guarded[1] === guarded[2] && guarded[1] === guarded[3]) {
        assignments.set(unquote(guarded[1] as string), "guarded");
      } else throw fail4000(`the fake does not understand the assignment ${part}`);
    }
    return { table, columns, assignments };
  }

  function holds(value: unknown, marker: string): boolean {
    return JSON.stringify(value).includes(JSON.stringify(marker));
  }

  function upsert(stmt: string, schema: string, bulkArgs: unknown[][], fault: Fault | undefined) {
    const { table, columns, assignments } = parseUpsert(stmt, schema);
    for (const args of bulkArgs) {
      if (!Array.isArray(args) || args.length !== columns.length) {
        throw fail4000("a bulk_args entry does not match the number of placeholders");
      }
    }
    // Analysis fails the whole request and writes nothing (FACTS.md section 5).
    if (bulkArgs.some((args) => holds(args, poisonMarker))) {
      throw new SqlFailure({
        code: 4003,
        message: `ColumnValidationException[Validation failed for data: Cannot cast value '${poisonMarker}']`,
      });
    }
    let detailed = 0;
    const failure = (error: SqlError) =>
      rowErrorDetails && detailed++ < 10 ? { rowcount: -2, error } : { rowcount: -2 };
    const results = bulkArgs.map((args) => {
      const row: Record<string, unknown> = {};
      columns.forEach((column, i) => {
        row[column] = args[i];
      });
      if (fault?.kind === "rows-unavailable" && holds(args, fault.marker)) {
        return failure({ code: 5002, message: "ShardsUnavailable[The shard is not available]" });
      }
      if (holds(args, rowFailMarker)) {
        return failure({
          code: 4000,
          message: `SQLParseException[Cannot cast object element with value '${rowFailMarker}']`,
        });
      }
      const pk = row.pk;
      if (typeof pk !== "object" || pk === null || Array.isArray(pk)) {
        return failure({ code: 4000, message: "SQLParseException[pk is not an object]" });
      }
      const pkObject = pk as Record<string, unknown>;
      const extra = Object.keys(pkObject).filter((k) => !table.keyColumns.includes(k));
      if (extra.length > 0) {
        return failure({
          code: 4043,
          message: `ColumnUnknownException[Column pk['${extra[0]}'] unknown]`,
        });
      }
      if (table.keyColumns.some((k) => pkObject[k] === undefined || pkObject[k] === null)) {
        return failure({
          code: 4000,
          message: "SQLParseException[A primary key value must not be NULL]",
        });
      }
      const keyText = (row.pk_text ?? {}) as Record<string, unknown>;
      const key = JSON.stringify(
        table.keyColumns.map((k) => (table.textKeys ? (keyText[k] ?? pkObject[k]) : pkObject[k])),
      );
      const stored = table.rows.get(key);
      const next = { pk: pkObject, ...row } as unknown as StoredRow;
      if (!stored) {
        table.rows.set(key, next);
        return { rowcount: 1 };
      }
      // The SET clause is evaluated against the stored row, each assignment on
      // its own: a guarded column takes the new value only when the incoming
      // version is newer (text comparison, as CrateDB's `>` on TEXT).
      const newer = compareVersions(String(row.version), String(stored.version)) > 0;
      const updated: StoredRow = { ...stored };
      for (const [column, how] of assignments) {
        if (how === "excluded" || newer)
          (updated as unknown as Record<string, unknown>)[column] = row[column];
      }
      table.rows.set(key, updated);
      // CrateDB counts a conflicting row as updated even when the values stay.
      return { rowcount: 1 };
    });
    return { cols: [], results };
  }

  function select(stmt: string, schema: string, args: unknown[]): Record<string, unknown> {
    const match = new RegExp(
      String.raw`^SELECT (\*|(?:${IDENT}, )*${IDENT}) FROM ${TABLE}(?: WHERE (.+))?$`,
    ).exec(stmt);
    if (!match)
      throw fail4000("the fake understands only SELECT <columns> FROM <relation> [WHERE ...]");
    const name = tableName(match[2] as string, match[3], schema);
    const view = views.get(name);
    const source = view ? view.source : name;
    const table = tables.get(source);
    if (!table) throw relationUnknown(name);
    const available = view
      ? view.columns
      : ["pk", "pk_text", "data", "aux", "aux_text", "version", "deleted", "updated_at"];
    const cols = match[1] === "*" ? available : (match[1] as string).split(", ").map(unquote);
    for (const col of cols) {
      if (!available.includes(col)) {
        throw new SqlFailure({
          code: 4043,
          message: `ColumnUnknownException[Column ${col} unknown]`,
        });
      }
    }
    const conditions: ((row: StoredRow) => boolean)[] = [];
    if (view?.liveOnly) conditions.push((row) => row.deleted !== true);
    let argIndex = 0;
    for (const part of match[4] ? match[4].split(" AND ") : []) {
      const sub = /^"pk"\['((?:[^']|'')+)'\] = \?$/.exec(part);
      if (!sub) throw fail4000(`the fake does not understand the condition ${part}`);
      const column = (sub[1] as string).replaceAll("''", "'");
      const value = args[argIndex++];
      conditions.push((row) => row.pk[column] === value);
    }
    const rows = [...table.rows.values()]
      .filter((row) => conditions.every((test) => test(row)))
      .map((row) => cols.map((col) => (row as unknown as Record<string, unknown>)[col]));
    return { cols, rows, rowcount: rows.length };
  }

  // The dialect's two information_schema look-ups (sink/target-check.ts), by
  // their args: [schema or null, name...]. Views are printed as CrateDB does.
  function lookupRelations(defaultSchema: string, args: unknown[]): Record<string, unknown> {
    const schema = (args[0] as string | null) ?? defaultSchema;
    const rows: unknown[][] = [];
    for (const name of args.slice(1) as string[]) {
      const view = views.get(`${schema}.${name}`);
      if (tables.has(`${schema}.${name}`)) rows.push([name, "BASE TABLE", null]);
      else if (view) {
        const from = view.source.split(".")[1];
        const columns = view.columns.map((c) => `"${c}"`).join("\n, ");
        const where = view.liveOnly ? 'WHERE NOT "deleted"\n' : "";
        rows.push([name, "VIEW", `SELECT\n ${columns}\nFROM "${from}"\n${where}`]);
      }
    }
    return { cols: ["name", "kind", "definition"], rows, rowcount: rows.length };
  }

  function lookupColumns(defaultSchema: string, args: unknown[]): Record<string, unknown> {
    const name = `${(args[0] as string | null) ?? defaultSchema}.${args[1] as string}`;
    const view = views.get(name);
    const table = tables.get(name);
    const rows: unknown[][] = view
      ? view.columns.map((c) => [c, "object"])
      : table
        ? [
            ["pk", "object"],
            ...table.keyColumns.map((k) => [`pk['${k}']`, table.keyTypes?.get(k) ?? "text"]),
            ["pk_text", "object"],
            ...table.keyColumns.map((k) => [`pk_text['${k}']`, "text"]),
            ["data", "object"],
            ...(table.dataColumns ?? []),
            ["aux", "object"],
            ["aux_text", "object"],
            ["version", "text"],
            ["deleted", "boolean"],
            ["updated_at", "timestamp with time zone"],
          ]
        : [];
    return { cols: ["column_name", "data_type"], rows, rowcount: rows.length };
  }

  function addColumns(stmt: string, schema: string): Record<string, unknown> {
    const match = new RegExp(`^ALTER TABLE ${TABLE} `).exec(stmt);
    const table = match && tables.get(tableName(match[1] as string, match[2], schema));
    if (!table) throw fail4000("the fake alters only tables it has");
    const clause = /ADD COLUMN "data"((?:\['(?:[^']|'')*'\])+) ((?:[^,(]|\([^)]*\))+)/g;
    for (const [, path, definition] of stmt.matchAll(clause)) {
      const name = `data${(path as string).replaceAll("''", "'")}`;
      table.dataColumns = [...(table.dataColumns ?? []), [name, typeName(definition as string)]];
    }
    return { cols: [], rows: [[]], rowcount: -1 };
  }

  /** information_schema's name of a declared type: `ARRAY(TEXT)` -> `text_array`. */
  function typeName(definition: string): string {
    const array = /^ARRAY\((.*)\)$/.exec(definition.trim());
    if (array) return `${typeName(array[1] as string)}_array`;
    return definition.trim().startsWith("OBJECT") ? "object" : definition.trim().toLowerCase();
  }

  // sql/cratedb.ts layoutOf: whether pk_text is part of the primary key.
  function lookupLayout(defaultSchema: string, args: unknown[]): Record<string, unknown> {
    const table = tables.get(`${(args[0] as string | null) ?? defaultSchema}.${args[1] as string}`);
    return {
      cols: ["layout"],
      rows: [[table?.textKeys === false ? "pk-key" : "text-key"]],
      rowcount: 1,
    };
  }

  function drop(stmt: string, schema: string): Record<string, unknown> {
    const match = new RegExp(`^DROP (TABLE|VIEW) IF EXISTS ${TABLE}$`).exec(stmt);
    if (!match) throw fail4000("the fake understands only DROP TABLE|VIEW IF EXISTS");
    const name = tableName(match[2] as string, match[3], schema);
    if (match[1] === "TABLE") tables.delete(name);
    else views.delete(name);
    return { cols: [], rows: [], rowcount: 1 };
  }

  function run(
    body: Record<string, unknown>,
    schema: string,
    fault: Fault | undefined,
  ): Record<string, unknown> {
    const stmt = body.stmt;
    if (typeof stmt !== "string") throw fail4000("missing stmt");
    if (body.args !== undefined && body.bulk_args !== undefined) {
      throw fail4000("request body contains args and bulk_args. It's forbidden to provide both");
    }
    const statement = stmt.trim();
    const verb = statement.split(" ", 1)[0]?.toUpperCase();
    if (body.bulk_args !== undefined) {
      if (!Array.isArray(body.bulk_args)) throw fail4000("bulk_args must be an array");
      if (verb !== "INSERT") throw fail4000("the fake runs bulk_args only for INSERT");
      return upsert(statement, schema, body.bulk_args as unknown[][], fault);
    }
    const args = body.args === undefined ? [] : body.args;
    if (!Array.isArray(args)) throw fail4000("args must be an array");
    if (statement.startsWith("CREATE TABLE")) return createTable(statement, schema);
    if (statement.startsWith("CREATE OR REPLACE VIEW")) return createView(statement, schema);
    if (statement.includes(" FROM information_schema.tables "))
      return lookupRelations(schema, args);
    if (statement.includes(" FROM information_schema.columns ")) return lookupColumns(schema, args);
    if (statement.includes(" FROM information_schema.key_column_usage "))
      return lookupLayout(schema, args);
    if (verb === "SELECT") return select(statement, schema, args);
    if (verb === "DROP") return drop(statement, schema);
    if (verb === "REFRESH") return { cols: [], rows: [], rowcount: 1 };
    // Declared sub-columns of `data`: the fake keeps objects whole, and lists
    // the columns in information_schema as CrateDB would.
    if (/^ALTER TABLE .* ADD COLUMN "data"\[/.test(statement)) return addColumns(statement, schema);
    if (verb === "INSERT") {
      const { results } = upsert(statement, schema, [args], fault);
      const only = results[0] as { rowcount: number; error?: SqlError };
      // A single INSERT reports a row failure as the request's error.
      if (only.rowcount === -2)
        throw new SqlFailure(only.error ?? { code: 4000, message: "row failed" });
      return { cols: [], rows: [], rowcount: only.rowcount };
    }
    throw fail4000(`the fake does not run ${verb} statements`);
  }

  function send(response: ServerResponse, status: number, payload: unknown): void {
    const text = JSON.stringify({ ...(payload as object), duration: 0.5 });
    response.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
    response.end(text);
  }

  function authorized(request: IncomingMessage): boolean {
    if (!options.auth) return true;
    const header = request.headers.authorization ?? "";
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!match) return false;
    const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
    return decoded === `${options.auth.username}:${options.auth.password}`;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        body = parsed as Record<string, unknown>;
      }
    } catch {
      body = undefined;
    }
    requests.push({
      method: request.method ?? "",
      path: request.url ?? "",
      headers: request.headers,
      body: text,
      stmt: typeof body?.stmt === "string" ? body.stmt : undefined,
    });

    if (!authorized(request)) {
      // CrateDB answers a failed HTTP authentication in plain text, not with an error object.
      const user = options.auth ? options.auth.username : "";
      response.writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": 'Basic realm="CrateDB Authenticator"',
      });
      response.end(`password authentication failed for user "${user}"`);
      return;
    }
    if (request.method !== "POST" || request.url?.split("?")[0] !== "/_sql") {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("not found");
      return;
    }

    // Faults are aimed at the statements tests write: the declaration of new
    // sub-columns that goes before a write passes them by.
    const declares = typeof body?.stmt === "string" && body.stmt.startsWith("ALTER TABLE ");
    const fault = declares ? undefined : faults.shift();
    if (fault?.kind === "drop") {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === "http-503") {
      response.writeHead(503);
      response.end();
      return;
    }
    if (fault?.kind === "shards-unavailable") {
      send(response, 500, {
        error: { code: 5002, message: "ShardsUnavailable[One or more shards are not available]" },
      });
      return;
    }
    if (fault?.kind === "delay") await new Promise((resolve) => setTimeout(resolve, fault.ms));

    if (!body) {
      send(response, 400, {
        error: {
          code: 4000,
          message: "SQLParseException[Failed to parse source: not a JSON object]",
        },
      });
      return;
    }
    const schema = (request.headers["default-schema"] as string | undefined) ?? "doc";
    try {
      send(response, 200, run(body, schema, fault));
    } catch (error) {
      if (!(error instanceof SqlFailure)) throw error;
      send(response, httpStatusOf(error.error.code), { error: error.error });
    }
  }

  let atOnce = 0;
  let mostAtOnce = 0;
  const running = new Set<Promise<void>>();
  const server: Server = createServer((request, response) => {
    atOnce++;
    mostAtOnce = Math.max(mostAtOnce, atOnce);
    response.once("close", () => atOnce--);
    const handling = handle(request, response)
      .catch((error: unknown) => {
        // A bug in the fake: answer like CrateDB's unhandled server error, so a test sees it.
        if (!response.headersSent) {
          send(response, 500, {
            error: { code: 5000, message: `fake CrateDB failed: ${String(error)}` },
          });
        }
      })
      .finally(() => running.delete(handling));
    running.add(handling);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    tables,
    views,
    get mostAtOnce() {
      return mostAtOnce;
    },
    async handled() {
      await Promise.all([...running]);
    },
    fail(...more) {
      faults.push(...more);
    },
    statements(prefix) {
      const want = prefix.toUpperCase();
      return requests.filter((r) => r.stmt?.trim().toUpperCase().startsWith(want));
    },
    row(table, pk) {
      const stored = tables.get(table);
      if (!stored) return undefined;
      return stored.rows.get(JSON.stringify(stored.keyColumns.map((k) => pk[k])));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
