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
