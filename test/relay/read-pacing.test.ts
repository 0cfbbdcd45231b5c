// How often the relay reads a shard: at the stream's tip, at most once per
// pollMs from the start of one read to the start of the next (Kinesis and
// DynamoDB Streams allow 5 reads per shard per second, so the default is 200 ms),
// whether the reads before were empty or not; behind the tip (a read that
// returned a full batch) at once. A real Kinesis emulator and PostgreSQL.

import { describe, expect, it } from "vitest";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { runRelay } from "../../src/relay/relay.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import { kinesisAndPostgres } from "../support/kinesis-and-postgres.ts";
import { putItems } from "../support/put-items.ts";

const env = kinesisAndPostgres();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("relay read pacing", () => {
  it("reads a shard behind its tip back to back, and at its tip once per pollMs, empty reads or not", async () => {
    const client = localKinesisClient(env.kinesis.endpoint);
    const stream = `pacing-${process.pid}`;
    await createKinesisStream(client, stream, 1);
    const put = (from: number, count: number) => putItems(client, stream, count, undefined, from);
    // A backlog of five full batches, then a trickle while the relay is at the tip.
    const batchSize = 10;
    await put(0, 5 * batchSize);
    const source = new KinesisSource(client, stream);
    const reads: Array<{ at: number; count: number }> = [];
    const read = source.read.bind(source);
    source.read = async (iterator, limit) => {
      const at = performance.now();
      const result = await read(iterator, limit);
      reads.push({ at, count: result.records.length });
      return result;
    };
    // Long enough that a read at once and a paced read can not be mistaken
    // for each other on a busy machine.
    const pollMs = 1500;
    const stop = new AbortController();
    const table = env.target.table("pacing");
    const running = runRelay({
      source,
      pipeline: new ApplyPipeline(env.target.sink, { table }),
      from: { type: "trim-horizon" },
      batchSize,
      pollMs,
      signal: stop.signal,
    });
    const applied = async (n: number) => {
      for (let i = 0; i < 600; i++) {
        // The relay creates the table with its first batch.
        const rows = await env.target.sink
          .query<{ n: string }>({
            sql: `SELECT count(*) AS n FROM ${env.target.sink.dialect.quoteTable(table)}`,
            params: [],
          })
          .catch(() => []);
        if (Number(rows[0]?.n) >= n) return;
        await sleep(50);
      }
      throw new Error(`fewer than ${n} rows after 30 s`);
    };
    await applied(5 * batchSize);
    // Records arriving at the tip, between reads and during them.
    for (let i = 0; i < 3; i++) {
      await put(5 * batchSize + i, 1);
      await sleep(700);
    }
    await applied(5 * batchSize + 3);
    await sleep(pollMs);
    stop.abort();
    await running;
    client.destroy();

    const full = reads.filter((r) => r.count === batchSize).length;
    expect(full).toBe(5);
    for (const [i, r] of reads.entries()) {
      if (i === 0) continue;
      const gap = r.at - (reads[i - 1] as { at: number }).at;
      // A read after a full batch went at once; any other waited pollMs after the one before it.
      if ((reads[i - 1] as { count: number }).count === batchSize) expect(gap).toBeLessThan(pollMs);
      else expect(gap).toBeGreaterThanOrEqual(pollMs - 5);
    }
    // At the tip there were reads that found records, and empty ones.
    const tip = reads.slice(5);
    expect(tip.some((r) => r.count > 0)).toBe(true);
    expect(tip.some((r) => r.count === 0)).toBe(true);
  }, 60_000);
});
