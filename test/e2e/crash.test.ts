// The relay as its own process, stopped in the middle of a stream of
// thousands of changes: killed outright (SIGKILL), then restarted, it resumes
// from the checkpoints in the target database and the table still equals
// DynamoDB; stopped gracefully (SIGTERM), it exits 0 having checkpointed
// everything it applied, so a restart reads nothing twice.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { LOCAL_REGION } from "../../src/local/services/stack.ts";
import { scanItems } from "../../src/local/verification/scan-items.ts";
import { CHECKPOINT_TABLE } from "../../src/sql/checkpoints.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { compareTable } from "../../src/verify/item-compare.ts";
import { readLiveRows } from "../../src/verify/live-rows.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type Emulators, openPipe, type Pipe, startEmulators } from "./emulators.ts";
import { spawnRelay, waitFor } from "./relay-process.ts";
import { runWorkload } from "./workload.ts";

let emulators: Emulators;
let target: PgTarget;
let scratch: string;
const keySchema: KeySchema = [{ name: "id", type: "S" }];

beforeAll(async () => {
  [emulators, target] = await Promise.all([startEmulators(), pgTarget()]);
  scratch = mkdtempSync(join(tmpdir(), "dynacrate-e2e-crash-"));
});
afterAll(async () => {
  await target?.close();
  await emulators?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function relayArgs(pipe: Pipe, table: TableName, extra: string[] = []): string[] {
  return [
    "--source",
    `kinesis://${pipe.streamName}`,
    "--endpoint",
    emulators.kinesis.endpoint,
    "--region",
    LOCAL_REGION,
    "--target",
    target.url,
    "--table",
    table.name,
    "--batch-size",
    "100",
    "--dlq",
    join(scratch, `${table.name}.ndjson`),
    ...extra,
  ];
}

async function checkpoints(pipe: Pipe) {
  return target.sink.query<{ shard: string; position: string | null; finished: boolean }>({
    // One target table per pipe here, so the stream alone selects its checkpoints.
    sql: `SELECT shard, position, finished FROM ${target.sink.dialect.quoteTable(CHECKPOINT_TABLE)} WHERE stream = $1 ORDER BY shard`,
    params: [`kinesis://${pipe.streamName}`],
  });
}

async function expectSameTable(pipe: Pipe, table: TableName) {
  const items = await scanItems(emulators.clients.dynamodb, pipe.tableName);
  const rows = await readLiveRows(target.sink, table);
  const comparison = compareTable(items, rows, { keyNames: ["id"] });
  expect(comparison.missing).toEqual([]);
  expect(comparison.extra).toEqual([]);
  expect(comparison.different).toEqual([]);
  expect(items.length).toBeGreaterThan(50);
}

describe("the relay process", () => {
  it("killed with SIGKILL mid-stream (3,000 changes on 300 items), then restarted: resumes from its checkpoints and the table equals DynamoDB", async () => {
    const pipe = await openPipe(emulators, keySchema);
    const table = target.table("crash");
    let written = 0;
    try {
      const writing = runWorkload(emulators.clients.dynamodb, pipe.tableName, keySchema, {
        seed: 3,
        changes: 3000,
        keys: 300,
        onChange: (done) => {
          written = done;
        },
      });
      const first = spawnRelay(relayArgs(pipe, table));
      await waitFor(
        "the first relay to apply 1,000 records",
        () => first.batches().reduce((a, b) => a + b, 0) >= 1000,
      );
      const writtenAtKill = written;
      first.child.kill("SIGKILL");
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
      const beforeRestart = await checkpoints(pipe);
      expect(beforeRestart.filter((c) => c.position !== null).length).toBeGreaterThan(0);

      const counts = await writing;
      await pipe.bridge.drained();
      const total = pipe.bridge.stats.put;
      // Killed in the middle: changes were still being written when it died.
      expect(writtenAtKill).toBeLessThan(3000);

      const second = spawnRelay(relayArgs(pipe, table, ["--idle-exit", "2"]));
      const { code } = await second.exited;
      expect(code, second.stderr()).toBe(0);
      const resumed = second.stoppedRecords();
      const appliedBefore = first.batches().reduce((a, b) => a + b, 0);
      console.log(
        `crash: ${counts.puts} puts, ${counts.updates} updates, ${counts.deletes} deletes -> ${total} records on Kinesis; ` +
          `${writtenAtKill} changes written at the kill; first run logged ${appliedBefore} records, the restart read ${resumed}`,
      );
      // Resumed from the checkpoints, not from the start of the stream ...
      expect(resumed).toBeGreaterThan(0);
      expect(resumed).toBeLessThan(total);
      expect(resumed).toBeLessThanOrEqual(total - appliedBefore + 100 * 2);
      // ... and nothing was skipped: at most the batches in flight at the kill were read twice.
      expect(appliedBefore + (resumed as number)).toBeGreaterThanOrEqual(total);
      const after = await checkpoints(pipe);
      expect(after).toHaveLength(2);
      expect(after.every((c) => c.position !== null && !c.finished)).toBe(true);
      await expectSameTable(pipe, table);
    } finally {
      await pipe.bridge.stop();
    }
  });

  it("stopped with SIGTERM mid-stream: exits 0 with its checkpoints written, and a restart reads only what it had not applied", async () => {
    const pipe = await openPipe(emulators, keySchema);
    const table = target.table("sigterm");
    try {
      const writing = runWorkload(emulators.clients.dynamodb, pipe.tableName, keySchema, {
        seed: 4,
        changes: 1500,
        keys: 150,
      });
      const first = spawnRelay(relayArgs(pipe, table));
      await waitFor("the first relay to apply 3 batches", () => first.batches().length >= 3);
      first.child.kill("SIGTERM");
      const ended = await first.exited;
      expect(ended, first.stderr()).toEqual({ code: 0, signal: null });
      expect(first.stderr()).toContain(
        "SIGTERM: finishing the batches in flight and writing checkpoints",
      );
      const stoppedAt = first.stoppedRecords();
      expect(stoppedAt).toBeGreaterThan(0);
      const saved = await checkpoints(pipe);
      expect(saved.filter((c) => c.position !== null).length).toBeGreaterThan(0);

      await writing;
      await pipe.bridge.drained();
      const second = spawnRelay(relayArgs(pipe, table, ["--idle-exit", "2"]));
      expect((await second.exited).code, second.stderr()).toBe(0);
      // A graceful stop checkpoints every batch it applied: together the runs read each record once.
      expect((stoppedAt as number) + (second.stoppedRecords() as number)).toBe(
        pipe.bridge.stats.put,
      );
      await expectSameTable(pipe, table);
    } finally {
      await pipe.bridge.stop();
    }
  });
});
