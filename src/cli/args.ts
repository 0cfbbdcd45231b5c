// Shared option handling of the CLI commands: parsing with node:util and the
// options several commands take (sink, table, key schema, number format).

import { parseArgs } from "node:util";
import * as v from "valibot";
import { NUMBER_FORMATS, type NumberFormat } from "../codec/decimal.ts";
import { type KeySchema, parseKeySchema } from "../codec/key-schema.ts";
import { check, configError, rule, textWithout } from "../config-schema.ts";
import { errorMessage } from "../error-text.ts";
import { ConfigError, InternalError } from "../errors.ts";
import { nearName } from "../near-name.ts";
import {
  CLI_NAMES,
  checkTableRoutes,
  parseRoute,
  parseTableMap,
  routesContradiction,
  type TableRoutes,
} from "../routing/table-routes.ts";
import type { SinkOptions } from "../sink/open-sink.ts";
import { parseTableName, type TableName } from "../sql/table-name.ts";
import { parseWholeNumber, wholeNumberProblem } from "../whole-number.ts";

export type OptionSpec = Record<
  string,
  {
    type: "string" | "boolean";
    short?: string;
    multiple?: boolean;
    /**
     * What the option's text must be (each text of a `multiple` option);
     * every option's problem is listed at once, after `--name ` (see optionLine).
     */
    value?: v.GenericSchema<string, unknown>;
    /**
     * The option's problem given the values of all (a required option left
     * out, two options that contradict), naming the fix; checked once the
     * options it `reads` are valid, with the values' problems, unless the
     * command is asked for --help.
     */
    rule?: {
      reads: readonly string[];
      problem: (values: Record<string, unknown>) => string | undefined;
    };
  }
>;

/** A whole number from `min` to `max`, in decimal digits (src/whole-number.ts). */
export function wholeValue(min = 1, max = Number.MAX_SAFE_INTEGER) {
  return textWithout((text) => wholeNumberProblem(text, min, max), "");
}

/** One of `words`; the message says them as `say`, and quotes the value given when `got`. */
export function wordValue(
  words: readonly string[],
  { say = `one of ${words.join(", ")}`, got = false } = {},
) {
  return v.picklist(words, (issue) => `must be ${say}${got ? `, got ${String(issue.input)}` : ""}`);
}

/** A number for which `ok` holds; `rule` says which (`a number from 0 to 1`). */
export function numberValue(ok: (n: number) => boolean, rule: string) {
  return textWithout((text) => (ok(Number(text)) ? undefined : `must be ${rule}, got ${text}`), "");
}

/**
 * Text that `read` takes (a parser of the option's text that throws
 * ConfigError); its problem is the parser's message, which names the fix.
 */
export function readValue(read: (text: string) => unknown) {
  return textWithout((text) => {
    try {
      read(text);
      return undefined;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.message.startsWith("--") ? error.message : `: ${error.message}`;
    }
  }, "");
}

/**
 * The line of an option's problem: the message after `--name ` (`must be
 * ...`), after `--name` when it goes on with a colon, or as it is when it
 * names its options itself (a parser's own message, a rule's).
 */
function optionLine(path: string, message: string): string {
  // A list's texts are checked one by one: `route.1` is the second --route.
  if (message.startsWith("--")) return message;
  const option = `--${path.split(".")[0]}`;
  return message.startsWith(":") ? `${option}${message}` : `${option} ${message}`;
}

/**
 * Checks the values of the options that say what their text must be, all at
 * once: one problem is the error's message, several are listed.
 */
export function checkValues(values: Record<string, unknown>, options: OptionSpec): void {
  const entries: v.ObjectEntries = {};
  for (const [name, option] of Object.entries(options))
    if (option.value)
      entries[name] = v.optional(option.multiple ? v.array(option.value) : option.value);
  const rules = Object.entries(options).flatMap(([name, option]) =>
    option.rule && values.help !== true
      ? [
          rule(
            option.rule.reads.map((read) => [read]),
            [name],
            (input: Record<string, unknown>) => option.rule?.problem(input) === undefined,
            (input: Record<string, unknown>) => option.rule?.problem(input) ?? "",
          ),
        ]
      : [],
  );
  const result = check(v.pipe(v.looseObject(entries), ...rules), values, "", optionLine);
  if (result.ok) return;
  const [only] = result.problems;
  throw result.problems.length === 1 && only !== undefined
    ? new ConfigError(only)
    : configError((count) => `the options have ${count}`, result.problems);
}

/** An option's value as its spec says: text, a flag, or a list of texts (`multiple`). */
type ValueOf<O> = O extends { multiple: true }
  ? string[]
  : O extends { type: "boolean" }
    ? boolean
    : string;

/** The options given, each typed by its spec; `help` is every command's. */
export type Values<S extends OptionSpec> = { [K in keyof S]?: ValueOf<S[K]> } & { help?: boolean };

export interface Parsed<S extends OptionSpec = OptionSpec> {
  values: Values<S>;
  positionals: string[];
}

export function parse<const S extends OptionSpec>(argv: string[], options: S): Parsed<S> {
  const all: OptionSpec = { help: { type: "boolean", short: "h" }, ...options };
  // Unknown options first, all of them: the rest of the line may be misread around them.
  const unknown = unknownOptions(argv, all).map((name) => {
    const near = nearName(name, Object.keys(all));
    return `unknown option --${name}${near ? `: did you mean --${near}?` : ""} (--help lists the options)`;
  });
  const [onlyUnknown] = unknown;
  if (unknown.length === 1 && onlyUnknown !== undefined) throw new ConfigError(onlyUnknown);
  if (unknown.length > 1) throw configError((count) => `the options have ${count}`, unknown);
  let parsed: Parsed<S>;
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, options),
      // node's parser takes its own keys only.
      options: Object.fromEntries(
        Object.entries(all).map(([name, { value: _, ...option }]) => [name, option]),
      ),
      allowPositionals: true,
    });
    parsed = { values: values as Values<S>, positionals };
  } catch (error) {
    throw new ConfigError(errorMessage(error), { cause: error });
  }
  checkValues(parsed.values, all);
  return parsed;
}

/** Each `--name` (or `--name=value`) before a `--` that names no option. */
function unknownOptions(argv: string[], options: OptionSpec): string[] {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end))
    .filter((arg) => arg.startsWith("--"))
    .map((arg) => arg.slice(2).split("=", 1)[0] as string)
    .filter((name) => !(name in options));
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
  if (typeof value !== "string" || value === "") throw new ConfigError(requiredProblem(name, hint));
  return value;
}

function requiredProblem(name: string, hint: string): string {
  return `--${name} is required: ${hint}`;
}

/**
 * An option's rule (OptionSpec's `rule`) that it is given, not empty: its
 * absence is named with the other options' problems.
 */
export function requiredRule(name: string, hint: string) {
  return {
    reads: [],
    problem: (values: Record<string, unknown>) =>
      typeof values[name] === "string" && values[name] !== ""
        ? undefined
        : requiredProblem(name, hint),
  };
}

/** Leaving out --target without TARGET_URL. */
function targetMissing(): string | undefined {
  return process.env.TARGET_URL
    ? undefined
    : "--target is required (or set TARGET_URL): a sink URL such as postgresql://user:pass@host:5432/db or crate://user:pass@host:4200";
}

/** The sink URL from --target, else TARGET_URL (keeps a password out of the process list). */
export function targetUrl(values: Record<string, unknown>): string {
  const url = (values.target as string | undefined) ?? process.env.TARGET_URL;
  if (!url) throw new ConfigError(targetMissing() as string);
  return url;
}

/** --table alone, as one table (the MongoDB relay: one collection's table). */
export function tableOption(values: Record<string, unknown>): TableName {
  return parseTableName(
    requireOption(values, "table", "the target table, as table or schema.table"),
  );
}

/**
 * Where records go: --table (a name or a {table} template), --table-map,
 * --source-table, --route; each text checked by its spec (SINK_OPTIONS)
 * already, what is left is how they go together.
 */
export function routesOption(values: Record<string, unknown>): TableRoutes {
  const text = (name: string) => {
    const value = values[name];
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
  return values.numbers as NumberFormat | undefined;
}

/**
 * A whole-number option's value, `fallback` when absent; the option's spec
 * checks it (`value: wholeValue(min, max)`) before any command reads it.
 */
export function wholeOption(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = parseWholeNumber(String(value), 0);
  if (n === undefined)
    throw new InternalError(`--${name} is read as a number but its spec does not check it`);
  return n;
}

/** Ten minutes: longer than any statement should take, short enough to notice a typo. */
const MAX_SINK_TIMEOUT_MS = 600_000;

/** One hour: a refresh interval beyond it makes rows wait longer than anyone wants. */
const MAX_REFRESH_INTERVAL_MS = 3_600_000;

/** Text that is not empty; `fix` says what to give. */
const given = (fix: string) =>
  textWithout((text) => (text === "" ? `is empty: give ${fix}` : undefined), "");

export const SINK_OPTIONS = {
  target: {
    type: "string",
    rule: {
      reads: [],
      problem: (values) => (values.target === undefined ? targetMissing() : undefined),
    },
  },
  table: {
    type: "string",
    value: v.pipe(given("the target table, as table or schema.table"), readValue(parseTableName)),
    // Routing options that contradict each other, named with the values' problems.
    rule: {
      reads: ["table", "table-map", "source-table"],
      problem: (values) =>
        routesContradiction({
          table: typeof values.table === "string" ? parseTableName(values.table) : undefined,
          map:
            typeof values["table-map"] === "string"
              ? parseTableMap(values["table-map"])
              : undefined,
          sourceTable: values["source-table"] as string | undefined,
          names: CLI_NAMES,
        }),
    },
  },
  "table-map": {
    type: "string",
    value: v.pipe(
      given("source=target pairs, e.g. orders=analytics.orders"),
      readValue((text) => parseTableMap(text)),
    ),
  },
  "source-table": {
    type: "string",
    value: given("the DynamoDB table whose records --table takes"),
  },
  route: {
    type: "string",
    multiple: true,
    value: readValue((text) => text.split(",").map((route) => parseRoute(route.trim()))),
  },
  key: { type: "string", value: readValue(parseKeySchema) },
  numbers: { type: "string", value: wordValue(NUMBER_FORMATS) },
  "in-flight": { type: "string", value: wholeValue(1, 64) },
  "sink-timeout-ms": { type: "string", value: wholeValue(1, MAX_SINK_TIMEOUT_MS) },
  "refresh-interval-ms": { type: "string", value: wholeValue(1, MAX_REFRESH_INTERVAL_MS) },
  "max-columns": { type: "string", value: wholeValue(1, 100_000) },
} as const satisfies OptionSpec;

/** How the sink is opened: --in-flight, --refresh-interval-ms, --max-columns (CrateDB), --sink-timeout-ms. */
export function sinkOptions(values: Record<string, unknown>): SinkOptions {
  const given = (name: string, key: keyof SinkOptions) =>
    values[name] === undefined ? {} : { [key]: wholeOption(values, name, 0) };
  return {
    ...given("in-flight", "inFlight"),
    ...given("sink-timeout-ms", "timeoutMs"),
    ...given("refresh-interval-ms", "refreshIntervalMs"),
    ...given("max-columns", "maxColumns"),
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
                      (default 2; see README, "Sinks")
  --sink-timeout-ms N limit for one statement (default 30000); a CrateDB node that has not
                      answered by then is taken for hung and its work goes to the others
  --refresh-interval-ms N
                      CrateDB: refresh_interval of the tables it creates (CrateDB's default
                      1000): rows show in queries sooner, at a cost in write throughput
  --max-columns N     CrateDB: columns declared in a state table at most; values past them
                      go to aux (default 900, under CrateDB's 1,000 a table)`;
