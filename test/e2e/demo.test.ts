// The demo as `npm start` runs it (tsx src/cli/main.ts demo): it prints MATCH
// within a minute and leaves nothing running; without Java it says what it
// needs and exits 1.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { leftovers } from "./processes.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>(
    (resolve) => {
      const started = performance.now();
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.once("close", (code) =>
        resolve({ code, stdout, stderr, ms: performance.now() - started }),
      );
    },
  );
}

/** `npm start` is `tsx src/cli/main.ts demo`; the same, without npm in between. */
const NPM_START = [join(ROOT, "node_modules/tsx/dist/cli.mjs"), "src/cli/main.ts", "demo"];

const crateUrl = process.env.CRATEDB_URL;
if (!crateUrl) console.log("demo.test.ts: the CrateDB case is skipped: CRATEDB_URL is not set");

describe("the demo (npm start)", () => {
  it.skipIf(!crateUrl)(
    `with CRATEDB_URL, replicates into CrateDB and prints MATCH: a 20-digit sort key, attributes whose type differs between items${crateUrl ? "" : " (skipped: CRATEDB_URL is not set)"}`,
    async () => {
      const result = await run(NPM_START, process.env);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(/^MATCH: 24 items in DynamoDB, 24 rows in CrateDB/m);
      expect(result.stdout).toMatch(/order-001 \/ 12345678901234567891/);
      expect(result.stdout).not.toMatch(/MISMATCH|≠|FAILED/);
      expect(result.stdout).toContain(
        'left in CrateDB: the view demo_orders and its table demo_orders__state, kept for your queries; remove them with DROP VIEW "demo_orders"; DROP TABLE "demo_orders__state";',
      );
    },
  );

  it("relays its changes into PostgreSQL, prints MATCH within a minute, and leaves nothing running", async () => {
    const { CRATEDB_URL: _, ...env } = process.env;
    const result = await run(NPM_START, env);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^MATCH: 24 items in DynamoDB, 24 rows in PostgreSQL/m);
    expect(result.stdout).not.toMatch(/MISMATCH|≠/);
    // Its own PostgreSQL goes with it: nothing is left to mention.
    expect(result.stdout).not.toMatch(/^left in/m);
    // The TTL-style delete, and that it is the bridge that marks it.
    expect(result.stdout).toMatch(
      /DynamoDB Local does not expire items itself: the bridge marked 1 REMOVE/,
    );
    expect(result.stdout).toMatch(/^starting DynamoDB Local\.\.\.$/m);
    expect(result.ms).toBeLessThan(60_000);
    // No stack traces, no SDK notices: the output is the demo's.
    expect(result.stderr).toBe("");

    const port = (service: string) =>
      Number(new RegExp(`${service} ready in [\\d.]+ s at \\S*:(\\d+)`).exec(result.stdout)?.[1]);
    const ports = {
      dynamodb: port("DynamoDB Local"),
      kinesis: port("Kinesis emulator"),
      postgres: port("PostgreSQL"),
    };
    expect(Object.values(ports).every((p) => p > 0)).toBe(true);
    expect(await leftovers(ports)).toEqual([]);
  }, 90_000);

  it("stopped with Ctrl-C (SIGINT) once its services are up: stops them all and exits 130", async () => {
    const { CRATEDB_URL: _, ...env } = process.env;
    const child = spawn(process.execPath, NPM_START, {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) =>
      child.once("close", (code) => resolve(code)),
    );
    const port = (service: string) =>
      Number(new RegExp(`${service} ready in [\\d.]+ s at \\S*:(\\d+)`).exec(stdout)?.[1] ?? 0);
    const deadline = Date.now() + 60_000;
    while (!(port("DynamoDB Local") && port("Kinesis emulator") && port("PostgreSQL"))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the demo did not start:\n${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill("SIGINT");
    expect(await closed, stdout).toBe(130);
    expect(stdout).not.toMatch(/^MATCH/m);
    expect(
      await leftovers({
        dynamodb: port("DynamoDB Local"),
        kinesis: port("Kinesis emulator"),
        postgres: port("PostgreSQL"),
      }),
    ).toEqual([]);
  }, 90_000);

  it("without Java, says that DynamoDB Local needs it and exits 1", async () => {
    // The same PATH minus `java`: every other program stays reachable.
    const bin = mkdtempSync(join(tmpdir(), "dynacrate-e2e-nojava-"));
    try {
      for (const dir of (process.env.PATH ?? "").split(delimiter)) {
        let entries: string[] = [];
        try {
          entries = readdirSync(dir);
        } catch {
          continue;
        }
        for (const entry of entries) {
          if (entry === "java") continue;
          try {
            symlinkSync(join(dir, entry), join(bin, entry));
          } catch {
            // an earlier PATH entry already provides it
          }
        }
      }
      const result = await run(NPM_START, { ...process.env, PATH: bin });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /Java not found on PATH: DynamoDB Local needs a Java 17\+ runtime/,
      );
      expect(result.stderr).toMatch(/install a Java 17\+ runtime and run `npm start` again/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 60_000);
});
