// `dynacrate replay` with mistakes in its files: the dead-letter file is only
// created or appended to, a path that could lose data is refused before
// anything is read (exit 2), and a dead-letter file is itself a capture that
// replays. The input is never touched.

import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type CliResult, dynacrate, STACK_TRACE } from "./cli-run.ts";

let target: PgTarget;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-replay-input-"));
});
afterAll(async () => {
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

const replay = (args: string[]): Promise<CliResult> =>
  dynacrate(["replay", ...args], { TARGET_URL: target.url });

let n = 0;
function capture(lines: unknown[]): string {
  const file = join(dir, `capture-${++n}.ndjson`);
  writeFileSync(
    file,
    `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`,
  );
  return file;
}

const record = (id: string, micros: number, tableName = "foo") =>
  kinesisDynamoRecord({ keys: { id: { S: id } }, newImage: { id: { S: id } }, micros, tableName });

async function tableExists(name: string): Promise<boolean> {
  const rows = await target.sink.query({ sql: "SELECT to_regclass($1) AS t", params: [name] });
  return rows[0]?.t !== null;
}

describe("the dead-letter file", () => {
  it("refuses the input file itself, before reading; the capture is kept", async () => {
    const file = capture([record("a", 1_720_000_000_000_001), "{ not json"]);
    const before = readFileSync(file, "utf8");
    const table = target.table("dlq_input");
    const r = await replay([file, "--table", table.name, "--dlq", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(`dead-letter file ${file}: is the input ${file} itself`);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(await tableExists(`${table.name}__state`)).toBe(false);
  });

  it("refuses the input file reached through a symlink", async () => {
    const file = capture([record("a", 1_720_000_000_000_001)]);
    const link = join(dir, "link-to-input.ndjson");
    symlinkSync(file, link);
    const r = await replay([file, "--table", target.table().name, "--dlq", link]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch("is the input");
    expect(existsSync(file)).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it("refuses a folder, a device, a symlink to a device and a missing folder, leaving each as it was", async () => {
    const file = capture([record("a", 1_720_000_000_000_001)]);
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    const devLink = join(dir, "null-link");
    symlinkSync("/dev/null", devLink);
    const cases: Array<[string, RegExp]> = [
      [folder, /is a folder/],
      ["/dev/null", /is not a regular file/],
      [devLink, /is not a regular file/],
      [join(dir, "missing", "dlq.ndjson"), /its folder .*missing does not exist/],
    ];
    for (const [path, message] of cases) {
      const r = await replay([file, "--table", target.table().name, "--dlq", path]);
      expect(r.code, path).toBe(2);
      expect(r.stderr, path).toMatch(message);
      expect(r.stderr, path).not.toMatch(STACK_TRACE);
    }
    expect(statSync(folder).isDirectory()).toBe(true);
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
    expect(lstatSync(devLink).isSymbolicLink()).toBe(true);
    expect(existsSync(join(dir, "missing"))).toBe(false);
  });

  it("is appended to, never truncated", async () => {
    const dlq = join(dir, "kept.ndjson");
    writeFileSync(dlq, '{"earlier":"entry"}\n');
    const file = capture([record("a", 1_720_000_000_000_001), "{ not json"]);
    const r = await replay([file, "--table", target.table().name, "--dlq", dlq]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(`failed   1 (appended to ${dlq})`);
    const lines = readFileSync(dlq, "utf8").trim().split("\n");
    expect(lines[0]).toBe('{"earlier":"entry"}');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1] as string)).toMatchObject({ ref: "line 2", record: "{ not json" });
  });

  it("is itself a capture: replaying it applies what failed once the cause is fixed", async () => {
    const table = target.table("dlq_again");
    const other = target.table("dlq_other");
    const dlq = join(dir, "stray.ndjson");
    const file = capture([
      record("a", 1_720_000_000_000_001, "orders"),
      record("x", 1_720_000_000_000_002, "customers"),
      lambdaKinesisEvent([record("y", 1_720_000_000_000_003, "customers")]),
    ]);
    const first = await replay([file, "--table", table.name, "--dlq", dlq]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/failed\s+2 /);
    const again = await replay([dlq, "--table", other.name]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/applied\s+2\n/);
    expect([...(await target.live(other)).keys()].sort()).toEqual(["x", "y"]);
    expect([...(await target.live(table)).keys()]).toEqual(["a"]);
  });

  it("keeps the input of a Kinesis record whose data is not a change record", async () => {
    const dlq = join(dir, "wrappers.ndjson");
    const broken = {
      kinesis: { data: Buffer.from("{oops").toString("base64"), sequenceNumber: "49" },
    };
    const notText = { kinesis: { data: 42, sequenceNumber: "50" } };
    const file = capture([{ Records: [broken, notText] }]);
    const r = await replay([file, "--table", target.table().name, "--dlq", dlq]);
    expect(r.code).toBe(1);
    const entries = readFileSync(dlq, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(entries.map((e) => e.record)).toEqual([broken, notText]);
    expect(entries.map((e) => e.field)).toEqual(["kinesis.data", "kinesis.data"]);
  });
});

describe("the capture file", () => {
  it("a folder is refused with one line, no stack trace", async () => {
    const r = await replay([dir, "--table", "t"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `dynacrate replay: capture file ${dir} is a folder; give the NDJSON file inside it\n`,
    );
  });

  it("a gzip file is refused with the command that decompresses it", async () => {
    const file = join(dir, "capture.ndjson.gz");
    writeFileSync(file, gzipSync(`${JSON.stringify(record("a", 1_720_000_000_000_001))}\n`));
    const r = await replay([file, "--table", "t"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(`is gzip-compressed; decompress it first: gunzip -k ${file}`);
  });

  it("a UTF-8 byte-order mark before the first line is not part of the record", async () => {
    const table = target.table("bom");
    const file = join(dir, "bom.ndjson");
    writeFileSync(file, `\ufeff${JSON.stringify(record("a", 1_720_000_000_000_001))}\n`);
    const r = await replay([file, "--table", table.name]);
    expect(r.code).toBe(0);
    expect([...(await target.live(table)).keys()]).toEqual(["a"]);
  });
});

describe("bytes that are not UTF-8", () => {
  it("fail their line alone, named, with the bytes kept; the other lines apply", async () => {
    const table = target.table("utf8");
    const file = join(dir, "latin1.ndjson");
    const dlq = join(dir, "latin1-dlq.ndjson");
    // Line 2 is Latin-1, as a tool that re-encoded the capture would write it:
    // "café" with é as the single byte 0xe9.
    const bad = Buffer.from(
      JSON.stringify(record("b", 1_720_000_000_000_002)).replace('"b"', '"caf\u00e9"'),
      "latin1",
    );
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`${JSON.stringify(record("a", 1_720_000_000_000_001))}\r\n`),
        bad,
        Buffer.from(`\n${JSON.stringify(record("c", 1_720_000_000_000_003))}`),
      ]),
    );
    const r = await replay([file, "--table", table.name, "--dlq", dlq]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(`failed   1 (appended to ${dlq})`);
    expect([...(await target.live(table)).keys()].sort()).toEqual(["a", "c"]);
    const letters = readFileSync(dlq, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(letters).toHaveLength(1);
    const offset = bad.indexOf(0xe9);
    expect(letters[0]).toMatchObject({
      ref: "line 2",
      reason: `record line 2: not UTF-8 text (byte 0xe9 at offset ${offset} starts no valid UTF-8 sequence); the dead letter holds the line's bytes in base64`,
      record: bad.toString("base64"),
    });
  });
});

describe("integer options", () => {
  it.each([["1e3"], ["0x10"], ["99999999999999999999"], ["-1"], ["0"], ["1.5"]])(
    "--batch-size %s is refused with the rule",
    async (value) => {
      const file = capture([record("a", 1_720_000_000_000_001)]);
      const r = await replay([file, "--table", "t", "--batch-size", value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /--batch-size must be a whole number from 1 to 1000000, written in decimal digits, got /,
      );
    },
  );

  it.each([["0"], ["60001"], ["2e2"]])(
    "relay --poll-ms %s is refused with the rule",
    async (value) => {
      const r = await dynacrate([
        "relay",
        "--source",
        "kinesis://orders",
        "--target",
        "postgresql://localhost:1/x",
        "--table",
        "t",
        "--poll-ms",
        value,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /--poll-ms must be a whole number from 1 to 60000, written in decimal digits, got /,
      );
    },
  );

  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    );
    const r = await dynacrate(["--version"]);
    expect(r).toEqual({ code: 0, stdout: `dynacrate ${version}\n`, stderr: "" });
  });
});
