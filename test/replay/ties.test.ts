// Ordering ties (G2, "The limit of ordering by timestamp"): two bare Kinesis
// records of one item in the same tick carry no sequence number; the capture's
// line order breaks the tie, so the result does not depend on batch size.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { replay } from "../../src/replay/replay.ts";
import { singleTable } from "../../src/routing/table-routes.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-ties-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await target?.close();
});

it("two changes of one item in the same microsecond: the later line wins, in batches of 1 and of 5000", async () => {
  const micros = 1_720_000_000_000_000;
  const lines = ["first", "second", "third"].map((v, i) =>
    JSON.stringify(
      kinesisDynamoRecord({
        eventName: i === 0 ? "INSERT" : "MODIFY",
        keys: { id: { S: "a" } },
        newImage: { id: { S: "a" }, v: { S: v } },
        micros,
      }),
    ),
  );
  const file = join(dir, "ties.ndjson");
  writeFileSync(file, `${lines.join("\n")}\n`);
  for (const batchSize of [1, 5000]) {
    const table = target.table(`ties${batchSize}`);
    const summary = await replay({
      file,
      sink: target.sink,
      routes: singleTable(table),
      batchSize,
    });
    expect(summary.failed).toBe(0);
    expect(await target.live(table)).toEqual(new Map([["a", { v: "third" }]]));
  }
});
