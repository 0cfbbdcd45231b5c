// What a clone generates never reaches git or the linter: `dynacrate synth`
// once wrote cdk.out/ (the Lambda bundle and the template among it) where
// Biome read it, and `npm test` failed with 2,038 errors until the folder was
// removed. A copy of the repository's files, with `synth` run in it as a user
// runs it, must stay clean for `git status` and for `biome check`.

import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const ROOT = new URL("../..", import.meta.url).pathname;
let clone: string;

async function run(command: string, args: string[]) {
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd: clone,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  clone = mkdtempSync(join(tmpdir(), "dynacrate-clone-"));
  // The files git would check out (this working tree's, not yet committed ones too).
  const { stdout } = await exec("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of stdout.split("\n").filter(Boolean)) {
    mkdirSync(join(clone, dirname(file)), { recursive: true });
    try {
      copyFileSync(join(ROOT, file), join(clone, file));
    } catch {
      // deleted in the working tree, not yet in the index
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
  const git = (...args: string[]) =>
    run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args]);
  expect((await git("init", "-q")).code).toBe(0);
  expect((await git("add", "-A")).code).toBe(0);
  expect((await git("commit", "-q", "-m", "clone")).code).toBe(0);
}, 120_000);

afterAll(() => {
  if (clone) rmSync(clone, { recursive: true, force: true });
});

describe("a clone after synth and the other generators", () => {
  it("git sees nothing new and biome check passes", async () => {
    const synth = await run(process.execPath, [
      "bin/dynacrate.js",
      "synth",
      "--config",
      "examples/testdrive-dynamodb.yaml",
    ]);
    expect(synth.code, synth.output).toBe(0);
    expect(synth.output).toMatch(/wrote cdk\.out\//);
    // What the build, the MongoDB setup, coverage, `npm pack` and a relay leave behind.
    for (const file of [
      "dist/index.js",
      "dist/index.d.ts",
      ".cache/x",
      "coverage/index.html",
      "dynacrate-0.1.0.tgz",
      "npm-debug.log",
      "tsconfig.tsbuildinfo",
      "dynacrate-dead-letters.ndjson",
      "examples/cdk.out/manifest.json",
    ]) {
      mkdirSync(join(clone, dirname(file)), { recursive: true });
      writeFileSync(join(clone, file), file.endsWith(".js") ? "var  x = 1\n" : "{ bad json\n");
    }
    const status = await run("git", ["status", "--porcelain"]);
    expect(status.output).toBe("");
    const biome = await run(process.execPath, [
      join(ROOT, "node_modules", "@biomejs", "biome", "bin", "biome"),
      "check",
      ".",
    ]);
    expect(biome.code, biome.output).toBe(0);
  });
});
