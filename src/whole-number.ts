// The one rule for whole-number settings, wherever they are given: an option
// on the command line, a variable of the Lambda function's environment, a
// sink option in code. Text must be decimal digits only, so `1e3`, `0x10`,
// `1.0`, ` 5` and `-1` are refused with the rule rather than read as some
// other number; a number must be a safe integer; both within their bounds.

import { ConfigError } from "./errors.ts";

/**
 * What is wrong with `value` as a whole number from `min` to `max` (the
 * phrase after the setting's name), or undefined when nothing is.
 */
export function wholeNumberProblem(
  value: string | number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): string | undefined {
  const text = typeof value === "string";
  const rule = `must be a whole number from ${min} to ${max}${text ? ", written in decimal digits" : " (a positive integer)"}`;
  if (text ? !/^\d+$/.test(value) : !Number.isSafeInteger(value))
    return `${rule}, got ${JSON.stringify(value)}`;
  const n = Number(value);
  if (n < min || n > max) return `${rule}, got ${value}`;
  return undefined;
}

/** `value` when it is a whole number from `min` to `max`, else undefined. */
export function parseWholeNumber(
  value: string | number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  return wholeNumberProblem(value, min, max) === undefined ? Number(value) : undefined;
}

/**
 * A whole-number option given in code: `fallback` when absent, else the value
 * if it is a positive integer; a ConfigError naming the option otherwise.
 */
export function wholeNumberOption(
  value: number | undefined,
  fallback: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  const problem = wholeNumberProblem(value);
  if (problem !== undefined) throw new ConfigError(`${name} ${problem}`);
  return value;
}
