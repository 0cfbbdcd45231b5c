// Shared option handling of the CLI commands: parsing with node:util and the
// options several commands take (sink, table, key schema, number format).

import { parseArgs } from "node:util";
import type { NumberFormat } from "../codec/decimal.ts";
import { ConfigError } from "../errors.ts";
import { type KeySchema, parseKeySchema } from "../sql/key-schema.ts";
import { parseTableName, type TableName } from "../sql/table-name.ts";

export type OptionSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean }
>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
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

export function tableOption(values: Record<string, unknown>): TableName {
  return parseTableName(
    requireOption(values, "table", "the target table, as table or schema.table"),
  );
}

export function keyOption(values: Record<string, unknown>): KeySchema | undefined {
  return typeof values.key === "string" ? parseKeySchema(values.key) : undefined;
}

const NUMBER_FORMATS = ["exact", "double", "double-strict", "string"];

export function numbersOption(values: Record<string, unknown>): NumberFormat | undefined {
  const value = values.numbers;
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !NUMBER_FORMATS.includes(value)) {
    throw new ConfigError(`--numbers must be one of ${NUMBER_FORMATS.join(", ")}`);
  }
  return value as NumberFormat;
}

export function positiveInt(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = values[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new ConfigError(`--${name} must be a positive integer, got ${value}`);
  return n;
}

export const SINK_OPTIONS = {
  target: { type: "string" },
  table: { type: "string" },
  key: { type: "string" },
  numbers: { type: "string" },
} as const satisfies OptionSpec;

export const SINK_HELP = `  --target URL        sink: postgresql://user:pass@host:5432/db, crate://user:pass@host:4200
                      (?ssl=true for https) or http(s)://host:4200; or set TARGET_URL
  --table NAME        target table, table or schema.table (a view; rows live in NAME__state)
  --key id:S[,sk:N]   DynamoDB key schema (default: from the first record's Keys)
  --numbers FORMAT    exact | double | double-strict | string (see README, "Numbers")`;
