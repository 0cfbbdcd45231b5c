// A mistyped option gets the option it most likely meant, in every command,
// instead of Node's generic parser text; exit 2 before anything runs.

import { describe, expect, it } from "vitest";
import { dynacrate } from "./cli-run.ts";

describe("option typos", () => {
  it.each([
    [
      ["relay", "--sourc", "kinesis://s"],
      "dynacrate relay: unknown option --sourc: did you mean --source?",
    ],
    [["load", "--tabel", "t"], "dynacrate load: unknown option --tabel: did you mean --table?"],
    [
      ["replay", "f.ndjson", "--Target=x"],
      "dynacrate replay: unknown option --Target: did you mean --target?",
    ],
    [
      ["verify", "--frobnicate"],
      "dynacrate verify: unknown option --frobnicate (--help lists the options)",
    ],
  ])("%j", async (args, message) => {
    const r = await dynacrate(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n")[0]).toContain(message);
  });
});

describe("load --margin", () => {
  // The one rule for whole numbers (src/whole-number.ts): decimal digits only, 0 allowed.
  it.each(["1e3", "0x10", " 60", "1.0", "-1"])("refuses %j, exit 2", async (margin) => {
    const r = await dynacrate([
      "load",
      "--source",
      "dynamodb://t",
      "--target",
      "postgresql://u@127.0.0.1:1/db",
      "--table",
      "t",
      "--region",
      "us-east-1",
      "--endpoint",
      "http://127.0.0.1:1",
      "--margin",
      margin,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `dynacrate load: --margin must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, written in decimal digits, got ${JSON.stringify(margin)}\n`,
    );
  });
});

describe("option values", () => {
  it("every bad value is named at once, each with its rule; exit 2 before anything runs", async () => {
    const r = await dynacrate([
      "replay",
      "changes.ndjson",
      "--batch-size",
      "0",
      "--in-flight",
      "1e3",
      "--format",
      "csv",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        "dynacrate replay: the options have 3 problems:",
        '  - --in-flight must be a whole number from 1 to 64, written in decimal digits, got "1e3"',
        "  - --batch-size must be a whole number from 1 to 1000000, written in decimal digits, got 0",
        "  - --format must be dynamodb or mongodb, got csv",
        "",
      ].join("\n"),
    );
  });
});
