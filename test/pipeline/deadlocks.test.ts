// Concurrent writers on PostgreSQL do not deadlock: each batch's rows are
// written in key order, so every writer locks rows in the same order. The
// database's own deadlock counter (pg_stat_database.deadlocks) stays at 0.

import { afterAll, beforeAll, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { prng } from "../../src/local/prng.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { PostgresSink } from "../../src/sink/postgres.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const WRITERS = 6;
const KEYS = 300;
const ROUNDS = 8;

async function deadlocks(): Promise<number> {
  const rows = await target.sink.query<{ n: string }>({
    sql: "SELECT pg_stat_clear_snapshot(), deadlocks::text AS n FROM pg_stat_database WHERE datname = current_database()",
    params: [],
  });
  return Number(rows[0]?.n);
}

const WRITER = "deadlock-writer";

async function writerBackends(): Promise<number> {
  const rows = await target.sink.query<{ n: string }>({
    sql: "SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = $1",
    params: [WRITER],
  });
  return Number(rows[0]?.n);
}

async function writersGone(): Promise<void> {
  while ((await writerBackends()) > 0) await new Promise((resolve) => setImmediate(resolve));
}

it(`${WRITERS} concurrent writers over the same keys in different orders: 0 deadlocks`, async () => {
  const table = target.table("deadlock");
  const before = await deadlocks();
  const url = new URL(target.url);
  url.searchParams.set("application_name", WRITER);
  const writers = Array.from({ length: WRITERS }, () => new PostgresSink({ url: url.href }));
  try {
    await Promise.all(
      writers.map(async (sink, w) => {
        const pipeline = new ApplyPipeline(sink, { table });
        const random = prng(w + 1);
        for (let round = 0; round < ROUNDS; round++) {
          const ids = Array.from({ length: KEYS }, (_, i) => i);
          // Each writer sends its keys in its own order (a Fisher-Yates shuffle).
          for (let i = ids.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
          }
          const records = ids.map((id) => ({
            eventID: `w${w}-r${round}-${id}`,
            eventName: "MODIFY",
            eventSource: "aws:dynamodb",
            dynamodb: {
              ApproximateCreationDateTime: 1_720_000_000_000_000 + round * 100 + w,
              ApproximateCreationDateTimePrecision: "MICROSECOND",
              Keys: { id: { S: `k${id}` } },
              NewImage: { id: { S: `k${id}` }, w: { N: String(w) } },
            },
          }));
          const result = await pipeline.apply(records.flatMap((r) => sourceRecords(r)));
          expect(result.failed).toEqual([]);
        }
      }),
    );
    // The writers' backends are known by name: their exit is awaited below.
    expect(await writerBackends()).toBeGreaterThan(0);
  } finally {
    await Promise.all(writers.map((sink) => sink.close()));
  }
  // A backend reports its statistics to pg_stat_database at least as it exits:
  // once no writer's backend is left, every deadlock they met is counted.
  await writersGone();
  expect(await deadlocks()).toBe(before);
  expect((await target.live(table)).size).toBe(KEYS);
}, 120_000);
