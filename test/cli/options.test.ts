// A mistyped option gets the option it most likely meant, in every command,
// instead of Node's generic parser text; several bad or missing options are
// named at once, each with its fix; exit 2 before anything runs.

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

describe("several unknown options", () => {
  it("are named at once, each with the option it most likely meant", async () => {
    const r = await dynacrate(["replay", "f.ndjson", "--tabel", "t", "--dql", "x.ndjson"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        "dynacrate replay: the options have 2 problems:",
        "  - unknown option --tabel: did you mean --table? (--help lists the options)",
        "  - unknown option --dql: did you mean --dlq? (--help lists the options)",
        "",
      ].join("\n"),
    );
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
  /** A command whose options are wrong: exit 2 before anything runs, and exactly `lines` said. */
  const refused = async (args: string[], lines: string[]) => {
    const r = await dynacrate(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe([...lines, ""].join("\n"));
  };

  it("every bad value is named at once, each with its rule; exit 2 before anything runs", async () => {
    await refused(
      ["replay", "changes.ndjson", "--batch-size", "0", "--in-flight", "1e3", "--format", "csv"],
      [
        "dynacrate replay: the options have 4 problems:",
        '  - --in-flight must be a whole number from 1 to 64, written in decimal digits, got "1e3"',
        "  - --batch-size must be a whole number from 1 to 1000000, written in decimal digits, got 0",
        "  - --format must be dynamodb or mongodb, got csv",
        "  - --target is required (or set TARGET_URL): a sink URL such as postgresql://user:pass@host:5432/db or crate://user:pass@host:4200",
      ],
    );
  });

  it("options read by their own parsers are named at once too, each with its fix", async () => {
    await refused(
      [
        "replay",
        "changes.ndjson",
        "--target",
        "postgresql://u@127.0.0.1:1/db",
        "--route",
        "type=orders",
        "--key",
        "id",
      ],
      [
        "dynacrate replay: the options have 2 problems:",
        '  - --route "type=orders": write ATTRIBUTE^PREFIX=TABLE (e.g. SK^ORDER#=orders) or ATTRIBUTE:VALUE=TABLE (e.g. type:order=orders)',
        '  - --key: key schema "id": write name:TYPE pairs with TYPE one of S, N, B, e.g. "id:S,ts:N"',
      ],
    );
  });

  it("routing options that contradict each other are named with the others' problems", async () => {
    await refused(
      [
        "replay",
        "changes.ndjson",
        "--target",
        "postgresql://u@127.0.0.1:1/db",
        "--table",
        "orders",
        "--table-map",
        "orders=analytics.orders",
        "--numbers",
        "decimal",
      ],
      [
        "dynacrate replay: the options have 2 problems:",
        "  - --numbers must be one of exact, double, double-strict, string",
        "  - --table and --table-map both say where records go: give --table-map alone for several tables (or --table 'schema.{table}' for a target per source table)",
      ],
    );
  });

  it("a relay's start position, its lease without --standby and a missing --source, at once", async () => {
    await refused(
      [
        "relay",
        "--target",
        "postgresql://u@127.0.0.1:1/db",
        "--table",
        "t",
        "--from",
        "yesterday",
        "--lease-seconds",
        "10",
      ],
      [
        "dynacrate relay: the options have 3 problems:",
        "  - --from must be trim-horizon, latest or an ISO timestamp, got yesterday",
        "  - --source is required: kinesis://<stream> or dynamodb-streams://<table>",
        "  - --lease-seconds is the lease of --standby: add --standby, or leave it out",
      ],
    );
  });

  it("--help is answered whatever is missing", async () => {
    const r = await dynacrate(["replay", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^dynacrate replay <file.ndjson>/);
  });
});
