// Shared option handling of the CLI commands: parsing with node:util and the
// options several commands take (sink, table, key schema, number format).

import { parseArgs } from "node:util";
import { isNumberFormat, NUMBER_FORMATS, type NumberFormat } from "../codec/decimal.ts";
import { type KeySchema, parseKeySchema } from "../codec/key-schema.ts";
import { ConfigError } from "../errors.ts";
import { nearName } from "../near-name.ts";
import {
  CLI_NAMES,
  checkTableRoutes,
  parseRoute,
  parseTableMap,
  type TableRoutes,
} from "../routing/table-routes.ts";
import type { SinkOptions } from "../sink/open-sink.ts";
import { parseTableName, type TableName } from "../sql/table-name.ts";
import { wholeNumberProblem } from "../whole-number.ts";

export type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec): Parsed {
  const all: OptionSpec = { help: { type: "boolean", short: "h" }, ...options };
  const unknown = unknownOption(argv, all);
  if (unknown !== undefined) {
    const near = nearName(unknown, Object.keys(all));
    throw new ConfigError(
      `unknown option --${unknown}${near ? `: did you mean --${near}?` : ""} (--help lists the options)`,
    );
  }
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, options),
      options: all,
      allowPositionals: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** The first `--name` (or `--name=value`) before a `--` that names no option. */
function unknownOption(argv: string[], options: OptionSpec): string | undefined {
  for (const arg of argv) {
    if (arg === "--") return undefined;
    if (!arg.startsWith("--")) continue;
    const name = arg.slice(2).split("=", 1)[0] as string;
    if (!(name in options)) return name;
  }
  return undefined;
}

/**
 * `--batch-size -1` as `--batch-size=-1`: node's parser takes a value that
 * starts with "-" for an option and says so in its own words; joined, the
 * value reaches the option's own check, which names the rule.
 */
function joinNegativeValues(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.startsWith("--") ? arg.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function requireOption(values: Record<string, unknown>, name: string, hint: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "")
    throw new ConfigError(`--${name} is required: ${hint}`);
  return value;
}

/** The sink URL from --target, else TARGET_URL (keeps a password out of the process list). */
export function targetUrl(values: Record<string, unknown>): string {
  const url = (values.target as string | undefined) ?? process.env.TARGET_URL;
  if (!url) {
    throw new ConfigError(
      "--target is required (or set TARGET_URL): a sink URL such as postgresql://user:pass@host:5432/db or crate://user:pass@host:4200",
    );
  }
  return url;
}

/** --table alone, as one table (the MongoDB relay: one collection's table). */
export function tableOption(values: Record<string, unknown>): TableName {
  return parseTableName(
    requireOption(values, "table", "the target table, as table or schema.table"),
  );
}

/** Where records go: --table (a name or a {table} template), --table-map, --source-table, --route. */
export function routesOption(values: Record<string, unknown>): TableRoutes {
  const text = (name: string) => {
    const value = values[name];
    if (value === "") throw new ConfigError(`--${name} is empty`);
    return typeof value === "string" ? value : undefined;
  };
  const table = text("table");
  const map = text("table-map");
  const routes = (values.route as string[] | undefined) ?? [];
  return checkTableRoutes({
    table: table === undefined ? undefined : parseTableName(table),
    map: map === undefined ? undefined : parseTableMap(map),
    sourceTable: text("source-table"),
    routes: routes.flatMap((r) => r.split(",")).map((r) => parseRoute(r.trim())),
    names: CLI_NAMES,
  });
}

export function keyOption(values: Record<string, unknown>): KeySchema | undefined {
  return typeof values.key === "string" ? parseKeySchema(values.key) : undefined;
}

export function numbersOption(values: Record<string, unknown>): NumberFormat | undefined {
  const value = values.numbers;
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !isNumberFormat(value)) {
    throw new ConfigError(`--numbers must be one of ${NUMBER_FORMATS.join(", ")}`);
  }
  return value;
}

/**
 * An integer option, by the one rule for whole numbers (src/whole-number.ts),
 * up to `max` (by default the largest integer a double holds exactly).
 */
export function positiveInt(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const text = String(value);
  const problem = wholeNumberProblem(text, 1, max);
  if (problem !== undefined) throw new ConfigError(`--${name} ${problem}`);
  return Number(text);
}

export const SINK_OPTIONS = {
  target: { type: "string" },
  table: { type: "string" },
  "table-map": { type: "string" },
  "source-table": { type: "string" },
  route: { type: "string", multiple: true },
  key: { type: "string" },
  numbers: { type: "string" },
  "in-flight": { type: "string" },
  "sink-timeout-ms": { type: "string" },
  "refresh-interval-ms": { type: "string" },
  "max-columns": { type: "string" },
} as const satisfies OptionSpec;

/** Ten minutes: longer than any statement should take, short enough to notice a typo. */
const MAX_SINK_TIMEOUT_MS = 600_000;

/** One hour: a refresh interval beyond it makes rows wait longer than anyone wants. */
const MAX_REFRESH_INTERVAL_MS = 3_600_000;

/** How the sink is opened: --in-flight, --refresh-interval-ms, --max-columns (CrateDB), --sink-timeout-ms. */
export function sinkOptions(values: Record<string, unknown>): SinkOptions {
  return {
    ...(values["in-flight"] === undefined
      ? {}
      : { inFlight: positiveInt(values, "in-flight", 1, 64) }),
    ...(values["sink-timeout-ms"] === undefined
      ? {}
      : { timeoutMs: positiveInt(values, "sink-timeout-ms", 1, MAX_SINK_TIMEOUT_MS) }),
    ...(values["refresh-interval-ms"] === undefined
      ? {}
      : {
          refreshIntervalMs: positiveInt(values, "refresh-interval-ms", 1, MAX_REFRESH_INTERVAL_MS),
        }),
    ...(values["max-columns"] === undefined
      ? {}
      : { maxColumns: positiveInt(values, "max-columns", 10, 100_000) }),
  };
}

export const SINK_HELP = `  --target URL        sink: postgresql://user:pass@host:5432/db, crate://user:pass@host:4200
                      (?ssl=true for https) or http(s)://host:4200; a CrateDB cluster's
                      nodes as host1:4200,host2:4200; or set TARGET_URL
  --table NAME        target table, table or schema.table (a view; rows live in NAME__state);
                      it takes one source table's records (--source-table, else the first
                      record's); 'replica.{table}' names a target per source table
  --table-map MAP     several source tables: orders=analytics.orders,customers=analytics.customers;
                      a record of a table not in MAP is refused (dead-lettered), never mixed in
  --source-table T    with --table: the source table to take (DynamoDB table name)
  --route RULE        single-table design: SK^ORDER#=orders (key or attribute prefix) or
                      type:order=orders (attribute value); repeat for more routes
  --key id:S[,sk:N]   DynamoDB key schema (default: from each target's first record's Keys)
  --numbers FORMAT    exact | double | double-strict | string (see README, "Numbers")
  --in-flight N       CrateDB: bulk requests of a batch sent at once, on distinct keys
                      (default 1; see README, "Sinks")
  --sink-timeout-ms N limit for one statement (default 30000); a CrateDB node that has not
                      answered by then is taken for hung and its work goes to the others
  --refresh-interval-ms N
                      CrateDB: refresh_interval of the tables it creates (CrateDB's default
                      1000): rows show in queries sooner, at a cost in write throughput
  --max-columns N     CrateDB: columns declared in a state table at most; values past them
                      go to aux (default 900, under CrateDB's 1,000 a table)`;
