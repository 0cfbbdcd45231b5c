// `dynacrate replay --format mongodb`: a capture of MongoDB change events (one
// per line, canonical Extended JSON as the driver's watch() yields them with
// fullDocument "updateLookup") applied to a live PostgreSQL by the real command;
// redelivered and out-of-order events change nothing, bad lines are
// dead-lettered with their reason, events that change no document are skipped.

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const run = promisify(execFile);
const BIN = new URL("../../bin/dynacrate.js", import.meta.url).pathname;

let target: PgTarget;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-replay-mongodb-"));
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

/** A change event in the shape the driver documents (ChangeStreamDocument), canonical Extended JSON. */
function event(
  type: string,
  i: number,
  id: number,
  doc?: Record<string, unknown> | null,
): Record<string, unknown> {
  const token = `8266A00000${String(i).padStart(8, "0")}2B022C0100296E5A1004`;
  return {
    _id: { _data: token },
    operationType: type,
    clusterTime: { $timestamp: { t: 1721140162, i } },
    wallTime: { $date: { $numberLong: String(1721140162000 + i) } },
    ns: { db: "shop", coll: "orders" },
    documentKey: { _id: { $numberInt: String(id) } },
    ...(doc === undefined ? {} : { fullDocument: doc }),
  };
}

const doc = (id: number, price: string) => ({
  _id: { $numberInt: String(id) },
  price: { $numberDecimal: price },
  at: { $date: { $numberLong: "1721140162907" } },
});

describe("dynacrate replay --format mongodb", () => {
  it("converges under redelivery and reordering, dead-letters bad lines, skips drop/invalidate", async () => {
    const table = target.table("mongo");
    const events = [
      event("insert", 1, 1, doc(1, "1234567890123456789012345678901234")),
      event("insert", 2, 2, doc(2, "2")),
      event("update", 3, 1, doc(1, "1.50")),
      event("replace", 4, 2, doc(2, "3")),
      event("delete", 5, 2),
      event("insert", 6, 3, { _id: { $numberInt: "3" }, s: "a\u0000b" }),
      event("drop", 7, 0),
      event("invalidate", 8, 0),
    ];
    const lines = [
      ...events.map((e) => JSON.stringify(e)),
      // Redelivered (a restart from an older resume token) and out of order.
      JSON.stringify(events[0]),
      JSON.stringify(events[3]),
      "{ not json",
      JSON.stringify({ ...event("update", 9, 1), fullDocument: undefined }),
    ];
    const file = join(dir, "capture.ndjson");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const dlq = join(dir, "dead.ndjson");
    const out = await replay([
      file,
      "--format",
      "mongodb",
      "--table",
      table.name,
      "--dlq",
      dlq,
      "--batch-size",
      "3",
    ]);
    expect(out.code, out.stderr).toBe(1);
    expect(out.stdout).toMatch(/records\s+12/);
    const rows = await target.sink.query<{ oid: string; price: string }>({
      sql: `SELECT pk->>'oid' AS oid, data->>'price' AS price FROM "${table.name}" ORDER BY 1`,
      params: [],
    });
    // 1 at its update (exact, scale kept); 2 deleted; 3 refused by PostgreSQL (NUL in text).
    expect(rows).toEqual([{ oid: "1", price: "1.50" }]);
    const dead = readFileSync(dlq, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => d.ref)).toEqual(["line 6", "line 11", "line 12"]);
    expect(JSON.stringify(dead[2])).toMatch(/updateLookup/);
  });

  it("refuses an unknown --format", async () => {
    const out = await replay([join(dir, "none.ndjson"), "--format", "csv", "--table", "t"]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--format must be dynamodb or mongodb/);
  });
});
