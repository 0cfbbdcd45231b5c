// One way to check settings: the YAML file and the construct's options, the
// Lambda function's environment and its secret, a command's options are each
// checked by a schema built with src/config-schema.ts (valibot), every
// problem listed at once. A list of problems gathered by hand, a setting's
// number checked and thrown at the first problem, or a second schema library
// would be a second way, with its own messages and its own gaps.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/", import.meta.url));

/** Where settings are read: the command line, the Lambda function, the construct. */
const SETTINGS = /^(cli|lambda|infra)\//;

/** Problems gathered by hand: `problems.push(...)`, a `Problems` collector. */
const HAND_LIST = /\bproblems\.push\(|\bnew Problems\(/;

/** A setting's problem thrown as soon as it is found: `if (problem !== undefined) throw ...`. */
const THROW_AT_FIRST = /problem\s*!==\s*undefined\)\s*throw new ConfigError/;

/** A second schema library. */
const OTHER_LIBRARY = /from "(?:zod|zod\/[\w-]+|yup|joi|ajv|superstruct|io-ts|@sinclair\/typebox)"/;

const sources = (readdirSync(root, { recursive: true }) as string[])
  .filter((file) => file.endsWith(".ts"))
  .map((file) => ({ file, text: readFileSync(join(root, file), "utf8") }));

const offenders = (pattern: RegExp, scope: RegExp = /./) =>
  sources.filter(({ file, text }) => scope.test(file) && pattern.test(text)).map((s) => s.file);

describe("settings are checked one way", () => {
  it("by schemas: no list of problems gathered by hand where settings are read", () => {
    expect(offenders(HAND_LIST, SETTINGS)).toEqual([]);
  });

  it("all at once: no setting's problem thrown at the first where settings are read", () => {
    expect(offenders(THROW_AT_FIRST, SETTINGS)).toEqual([]);
  });

  it("with one schema library, valibot, through src/config-schema.ts", () => {
    expect(offenders(OTHER_LIBRARY)).toEqual([]);
    const valibot = offenders(/from "valibot"/);
    expect(valibot).toContain("config-schema.ts");
    for (const file of valibot.filter((f) => f !== "config-schema.ts"))
      expect(
        sources.find((s) => s.file === file)?.text,
        `${file} builds its schema with src/config-schema.ts`,
      ).toMatch(/from "\.\.?\/(?:\.\.\/)?config-schema\.ts"/);
  });

  it("the patterns find the second ways this replaced", () => {
    const planted = {
      // src/lambda/config.ts and src/infra/check-props.ts before
      hand: "const problems: string[] = [];\n  if (!url) problems.push(`no database: set TARGET_URL`);",
      collector: "const problems = new Problems();\n  problems.add(path, 'missing');",
      // src/cli/args.ts and src/cli/metrics-option.ts before
      thrown:
        "const problem = wholeNumberProblem(text, 1, max);\n  if (problem !== undefined) throw new ConfigError(message);",
      library: 'import { z } from "zod";',
      mini: 'import * as z from "zod/mini";',
    };
    expect(HAND_LIST.test(planted.hand)).toBe(true);
    expect(HAND_LIST.test(planted.collector)).toBe(true);
    expect(THROW_AT_FIRST.test(planted.thrown)).toBe(true);
    expect(OTHER_LIBRARY.test(planted.library)).toBe(true);
    expect(OTHER_LIBRARY.test(planted.mini)).toBe(true);
  });
});
