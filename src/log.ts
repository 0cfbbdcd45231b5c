// Structured logs of the long-running parts, the Lambda function and the
// relay alike: one JSON object per line (time, level, msg, fields), filtered
// by level, with every registered secret scrubbed from the line.
//
// Lines go to process.stdout directly, not through console.log: the Lambda
// Node.js runtime prefixes console output with a timestamp, request id and
// level, which would break the one-JSON-object-per-line format (and the
// Embedded Metric Format lines that share the stream).

import { blankSecrets, secretForms } from "./redact-url.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Level names as users write them, including the reference's Python names (INFO, WARNING, CRITICAL). */
const ALIASES: Record<string, LogLevel> = {
  debug: "debug",
  trace: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  critical: "error",
  fatal: "error",
};

/** Parses a LOG_LEVEL value; undefined when it names no level. */
export function parseLogLevel(text: string): LogLevel | undefined {
  return ALIASES[text.trim().toLowerCase()];
}

/** Where a finished line goes; tests collect the lines instead. */
export type LineWriter = (line: string) => void;

export const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

export class Logger {
  level: LogLevel;
  private readonly write: LineWriter;
  private readonly secrets = new Set<string>();

  constructor(level: LogLevel = "info", write: LineWriter = stdoutWriter) {
    this.level = level;
    this.write = write;
  }

  /**
   * Registers a secret (a password, a whole secret string): it is replaced by
   * `***` wherever it appears in a line, raw, URL-encoded or JSON-escaped.
   * A second line of defence: messages already pass URLs through redactUrl.
   */
  addSecret(secret: string | undefined): void {
    for (const form of secretForms(secret)) this.secrets.add(form);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  debug(msg: string, fields: Record<string, unknown> = {}): void {
    this.log("debug", msg, fields);
  }

  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.log("info", msg, fields);
  }

  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.log("warn", msg, fields);
  }

  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.log("error", msg, fields);
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown>): void {
    if (!this.enabled(level)) return;
    this.line(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }));
  }

  /** Writes a prepared JSON line (a metrics line), scrubbed like every other. */
  line(text: string): void {
    this.write(blankSecrets(text, this.secrets));
  }
}
