// `dynacrate replay` as a user runs it: the real command in a child process,
// a capture file with good records, a Lambda event, and bad lines; a live
// PostgreSQL behind it.

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const run = promisify(execFile);
const BIN = new URL("../../bin/dynacrate.js", import.meta.url).pathname;

let target: PgTarget;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-replay-"));
});
afterAll(async () => {
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function replay(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, "replay", ...args], {
      env: { ...process.env, TARGET_URL: target.url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const item = (id: string, price: string) => ({ id: { S: id }, price: { N: price } });

describe("dynacrate replay", () => {
  it("applies every good line, sends bad lines to the dead-letter file with the reason, and exits 1", async () => {
    const table = target.table("replay");
    const lines = [
      JSON.stringify(
        kinesisDynamoRecord({
          keys: { id: { S: "a" } },
          newImage: item("a", "1.5"),
          micros: 1_720_000_000_000_001,
        }),
      ),
      "{ this is not json",
      // One table is fed from one kind of stream (G2): every line here is a
      // Kinesis record; replay-routing.test.ts replays DynamoDB Streams lines.
      JSON.stringify(
        kinesisDynamoRecord({
          keys: { id: { S: "b" } },
          newImage: item("b", "12345678901234567890.123456789"),
          micros: 1_720_000_000_000_005,
        }),
      ),
      JSON.stringify(kinesisDynamoRecord({ keys: { id: { S: "c" } }, newImage: item("c", "NaN") })),
      "",
      JSON.stringify(
        lambdaKinesisEvent([
          kinesisDynamoRecord({
            keys: { id: { S: "d" } },
            newImage: item("d", "4"),
            micros: 1_720_000_000_000_010,
          }),
          kinesisDynamoRecord({
            eventName: "MODIFY",
            keys: { id: { S: "a" } },
            newImage: item("a", "2"),
            micros: 1_720_000_000_000_020,
          }),
        ]),
      ),
    ];
    const file = join(dir, "capture.ndjson");
    const dlq = join(dir, "failed.ndjson");
    writeFileSync(file, `${lines.join("\n")}\n`);

    const { code, stdout } = await replay([
      file,
      "--table",
      table.name,
      "--dlq",
      dlq,
      "--batch-size",
      "2",
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/records\s+6\n/);
    expect(stdout).toMatch(/applied\s+4\n/);
    expect(stdout).toMatch(/failed\s+2 \(appended to /);
    expect(stdout).not.toContain(new URL(target.url).password);

    const failed = readFileSync(dlq, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatchObject({ ref: "line 2", record: "{ this is not json" });
    expect(failed[0].reason).toMatch(/not JSON/);
    expect(failed[1]).toMatchObject({ field: "dynamodb.NewImage.price.N" });
    expect(failed[1].reason).toMatch(/"NaN" is not a DynamoDB number/);

    const rows = await target.sink.query<{ id: string; price: string }>({
      sql: `SELECT pk->>'id' AS id, (data->'price')::text AS price FROM ${target.sink.dialect.quoteTable(table)} ORDER BY 1`,
      params: [],
    });
    // Numbers arrive exactly, the 20-digit one included; the later MODIFY of `a` won.
    expect(rows).toEqual([
      { id: "a", price: "2" },
      { id: "b", price: "12345678901234567890.123456789" },
      { id: "d", price: "4" },
    ]);
  });

  it("replaying the same capture again changes nothing and skips every record", async () => {
    const table = target.table("again");
    const file = join(dir, "twice.ndjson");
    const records = Array.from({ length: 50 }, (_, i) =>
      JSON.stringify(
        kinesisDynamoRecord({
          keys: { id: { S: `k${i % 10}` } },
          newImage: item(`k${i % 10}`, String(i)),
          micros: 1_720_000_000_000_000 + i,
        }),
      ),
    );
    writeFileSync(file, `${records.join("\n")}\n`);
    const first = await replay([file, "--table", table.name]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied\s+10\n/);
    expect(first.stdout).toMatch(
      /skipped\s+40 \(40 superseded in their batch, 0 stale, 0 duplicates\)/,
    );
    const second = await replay([file, "--table", table.name]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/applied\s+0\n/);
    // The newest change of each item is in the database already; the others are older in the batch.
    expect(second.stdout).toMatch(
      /skipped\s+50 \(40 superseded in their batch, 0 stale, 10 duplicates\)/,
    );
    expect((await target.live(table)).size).toBe(10);
  });

  it("says what is wrong with bad options, without a stack trace", async () => {
    const missing = await replay([join(dir, "none.ndjson"), "--table", "x", "--numbers", "float"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--numbers must be one of exact, double, double-strict, string/);
    expect(missing.stderr).not.toMatch(/at .*\.ts:\d+/);
    const noTable = await replay([join(dir, "none.ndjson")]);
    expect(noTable.code).toBe(2);
    expect(noTable.stderr).toMatch(/--table is required/);
    const noFile = await replay([join(dir, "none.ndjson"), "--table", "x"]);
    expect(noFile.stderr).toMatch(/capture file .*none.ndjson does not exist/);
    expect(existsSync(join(dir, "none.ndjson"))).toBe(false);
    const file = join(dir, "one.ndjson");
    writeFileSync(file, "{}\n");
    const pgInFlight = await replay([file, "--table", "x", "--in-flight", "2"]);
    expect(pgInFlight.code).toBe(2);
    expect(pgInFlight.stderr).toMatch(/--in-flight is for CrateDB/);
    const zero = await replay([file, "--table", "x", "--in-flight", "0"]);
    expect(zero.stderr).toMatch(/--in-flight must be a whole number from 1 to 64/);
  });
});
