// One error hierarchy: every error dynacrate throws extends DynacrateError
// (src/errors.ts), so callers can tell a record's fault, a setting's, an
// outage and a bug apart. Node's own Error, TypeError and RangeError are never
// thrown from src/. The message of a caught error is read by errorMessage
// (src/error-text.ts), not by casting it to Error: anything can be thrown, and
// a thrown string has no message.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/", import.meta.url));

/** `file:line` of each line of src/ that `rule` finds. */
const linesMatching = (rule: RegExp) =>
  (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts"))
    .flatMap((file) =>
      readFileSync(join(root, file), "utf8")
        .split("\n")
        .flatMap((line, i) => (rule.test(line) ? [`${file}:${i + 1}`] : [])),
    );

describe("the error hierarchy", () => {
  it("src/ throws no bare Error, TypeError or RangeError", () => {
    expect(linesMatching(/throw new (Error|TypeError|RangeError|SyntaxError)\(/)).toEqual([]);
  });
});

describe("a caught error's message", () => {
  /** A caught value cast to Error to read its message. */
  const CAST = /\(\w+ as Error\)/;

  it("is read by errorMessage, not by a cast to Error", () => {
    expect(linesMatching(CAST)).toEqual([]);
  });

  it("the rule finds the cast", () => {
    for (const form of [
      "throw new ConfigError((error as Error).message);",
      "const text = (error as Error)?.message ?? String(error);",
      "addIssue({ message: (err as Error).message });",
    ])
      expect(CAST.test(form), form).toBe(true);
  });
});
