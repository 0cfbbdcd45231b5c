// The one rule for whole-number settings: the command line, the Lambda
// function's environment and the sinks' options in code refuse the same
// texts and numbers, with the rule in the message.

import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/lambda/config.ts";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { parseWholeNumber, wholeNumberOption, wholeNumberProblem } from "../../src/whole-number.ts";

describe("whole numbers", () => {
  it.each([
    ["1", 1],
    ["42", 42],
    ["9007199254740991", 9007199254740991],
    ["0", undefined],
    ["-1", undefined],
    ["1e3", undefined],
    ["0x10", undefined],
    ["1.0", undefined],
    [" 5", undefined],
    ["5 ", undefined],
    ["", undefined],
    ["9007199254740992", undefined],
  ])("text %j reads as %j", (text, expected) => {
    expect(parseWholeNumber(text)).toBe(expected);
  });

  it("keeps to the bounds given, and says them", () => {
    expect(parseWholeNumber("64", 1, 64)).toBe(64);
    expect(wholeNumberProblem("65", 1, 64)).toBe(
      "must be a whole number from 1 to 64, written in decimal digits, got 65",
    );
    expect(wholeNumberProblem("1e3", 1, 64)).toBe(
      'must be a whole number from 1 to 64, written in decimal digits, got "1e3"',
    );
  });

  it("a number in code must be a safe positive integer", () => {
    expect(wholeNumberOption(undefined, 7, "x")).toBe(7);
    expect(wholeNumberOption(3, 7, "x")).toBe(3);
    for (const bad of [0, -2, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60])
      expect(() => wholeNumberOption(bad, 7, "option x"), String(bad)).toThrow(
        /^option x must be a whole number from 1 to \d+ \(a positive integer\)/,
      );
  });

  it("the Lambda function's environment follows the same rule as the command line", () => {
    const env = { TARGET_URL: "postgresql://u@h/db", TARGET_TABLE: "t" };
    expect(readConfig({ ...env, SINK_TIMEOUT_MS: "2500" }).timeoutMs).toBe(2500);
    for (const text of ["1e3", "0x10", "1.0", "0"])
      expect(() => readConfig({ ...env, SINK_TIMEOUT_MS: text }), text).toThrow(
        /SINK_TIMEOUT_MS must be a whole number from 1 to/,
      );
  });

  it("the CrateDB sink's options follow it too", () => {
    expect(() => createCrateDbHttpSink({ url: "http://h:4200", inFlight: 2.5 })).toThrow(
      /CrateDB sink option inFlight must be a whole number/,
    );
  });
});
