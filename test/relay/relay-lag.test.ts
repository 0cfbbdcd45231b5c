// The relay's lag per shard: each applied batch says how old its newest change
// is (lagMs, from ApproximateCreationDateTime) and how far the read was behind
// the shard's tip (behindMs, Kinesis MillisBehindLatest); the JSON log line and
// the terminal line show them. A real Kinesis emulator and PostgreSQL.

import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { RelayDisplay } from "../../src/cli/relay-display.ts";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { type BatchEvent, runRelay } from "../../src/relay/relay.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { kinesisAndPostgres } from "../support/kinesis-and-postgres.ts";

const env = kinesisAndPostgres();

/** What the display writes, as a terminal (isTTY) or a log (not). */
function capture(isTTY: boolean) {
  const lines: string[] = [];
  const out = { isTTY, write: (text: string) => lines.push(text) > 0 };
  return { display: new RelayDisplay(out as unknown as NodeJS.WriteStream), lines };
}

describe("relay lag", () => {
  it("reports per shard the age of the newest applied change and MillisBehindLatest", async () => {
    const client = localKinesisClient(env.kinesis.endpoint);
    const stream = `lag-${process.pid}`;
    await createKinesisStream(client, stream, 2);
    // Changes made 5 s ago, stamped in microseconds as Kinesis streaming does.
    const madeAt = Date.now() - 5000;
    await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: Array.from({ length: 20 }, (_, i) => ({
          PartitionKey: `k${i}`,
          Data: Buffer.from(
            JSON.stringify(
              kinesisDynamoRecord({ keys: { id: { S: `k${i}` } }, micros: (madeAt + i) * 1000 }),
            ),
          ),
        })),
      }),
    );
    const events: BatchEvent[] = [];
    const log = capture(false);
    const terminal = capture(true);
    const before = Date.now();
    await runRelay({
      source: new KinesisSource(client, stream),
      pipeline: new ApplyPipeline(env.target.sink, { table: env.target.table("lag") }),
      from: { type: "trim-horizon" },
      idleExitMs: 300,
      pollMs: 50,
      onBatch: (event) => {
        events.push(event);
        log.display.batch(event);
        terminal.display.batch(event);
      },
    });
    const elapsed = Date.now() - before;
    client.destroy();

    // Both shards got records (20 keys spread by their hash) and each says its lag.
    const shards = new Set(events.map((e) => e.shard));
    expect(shards.size).toBe(2);
    for (const event of events) {
      // At least the 5 s since the change was made, at most that plus the run.
      expect(event.lagMs).toBeGreaterThanOrEqual(5000 - 20);
      expect(event.lagMs).toBeLessThanOrEqual(5000 + elapsed + 1000);
      expect(event.behindMs).toBeTypeOf("number");
      expect(event.behindMs).toBeGreaterThanOrEqual(0);
    }

    const logged = log.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(events.length);
    for (const [i, line] of logged.entries()) {
      expect(line).toMatchObject({ msg: "batch", shard: events[i]?.shard });
      expect(line.lagMs).toBe(Math.round(events[i]?.lagMs as number));
      expect(line.behindMs).toBe(events[i]?.behindMs);
    }

    // The terminal line names a shard with its lag in seconds, e.g. "#0 lag 5.03s behind 0.00s".
    const drawn = terminal.lines.join("");
    expect(drawn).toMatch(/#\d+ lag (\d+\.\d+)s behind \d+\.\d+s/);
    const shown = Number(/lag (\d+\.\d+)s/.exec(drawn)?.[1]);
    expect(shown).toBeGreaterThanOrEqual(4.9);
    expect(shown).toBeLessThan(5 + elapsed / 1000 + 1);
  });
});
