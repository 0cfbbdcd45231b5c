// An outage is not bad data, in the Lambda function too: a real PostgreSQL
// behind a TCP proxy (test/support/tcp-proxy.ts, as the replay's outage
// property uses) goes down and comes back at seeded random moments while the
// handler takes a shard's batches the way an event source mapping delivers
// them (a failed invocation is delivered again; a partial batch response
// restarts from the reported record). A few poison records are mixed in.
// Afterwards the table equals the source and the dead-letter table holds the
// poison records and nothing else. The seed is printed on failure.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prng } from "../../src/local/prng.ts";
import { kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { proxyInFront, type TcpProxy } from "../support/tcp-proxy.ts";
import { testLambda } from "./harness.ts";

let target: PgTarget;
let proxy: TcpProxy;
let proxyUrl: string;
beforeAll(async () => {
  target = await pgTarget();
  ({ proxy, url: proxyUrl } = await proxyInFront(target.url));
});
afterAll(async () => {
  await proxy?.close();
  await target?.close();
});

const RECORDS = 240;
const KEYS = 40;
const POISON_EVERY = 37;
const BATCH = 12;

/** The shard's records (every POISON_EVERY-th a number DynamoDB never writes), and what the table must hold. */
function workload() {
  const expected = new Map<string, string>();
  const poison: number[] = [];
  const records = [];
  for (let i = 1; i <= RECORDS; i++) {
    const id = `k${i % KEYS}`;
    const bad = i % POISON_EVERY === 0;
    records.push(
      kinesisDynamoRecord({
        keys: { id: { S: id } },
        newImage: { id: { S: id }, price: { N: bad ? "NaN" : String(i) } },
        micros: 1_720_000_000_000_000 + i,
      }),
    );
    if (bad) poison.push(i - 1);
    else expected.set(id, String(i));
  }
  return { records, expected, poison };
}

describe("the Lambda function through a sink that goes down and comes back", () => {
  it("property: whatever the moments, the table equals the source and the dead-letter table holds only the poison records", async () => {
    for (const seed of [1, 2, 3]) {
      const random = prng(seed);
      const { records, expected, poison } = workload();
      const table = target.table(`lambda_outage_${seed}`);
      const dead = `${table.name}_dead`;
      const lambda = testLambda({
        TARGET_URL: proxyUrl,
        TARGET_TABLE: table.name,
        KEY_SCHEMA: "id:S",
        DEAD_LETTER_TABLE: dead,
        SINK_RETRY_ATTEMPTS: "2",
        SINK_TIMEOUT_MS: "2000",
      });
      // Every record's sequence number, as the shard numbers them.
      const event = lambdaKinesisEvent(records);
      const sequences = event.Records.map((r) => r.kinesis.sequenceNumber);
      let done = false;
      let outages = 0;
      const flapping = (async () => {
        // The first outage comes before the first batch, so every run meets one.
        for (let round = 0; !done; round++) {
          if (round > 0) await new Promise((r) => setTimeout(r, 20 + random() * 200));
          if (done) break;
          proxy.down();
          outages++;
          await new Promise((r) => setTimeout(r, (round === 0 ? 300 : 50) + random() * 300));
          proxy.up();
        }
      })();
      let failedInvocations = 0;
      let partial = 0;
      try {
        // The event source mapping: batches in shard order, each delivered until it succeeds.
        for (let at = 0; at < records.length; ) {
          const batch = lambdaKinesisEvent(records.slice(at, at + BATCH), {
            firstSequence: sequences[at],
          });
          let response: Awaited<ReturnType<typeof lambda.handler>>;
          try {
            response = await lambda.handler(batch);
          } catch {
            failedInvocations++;
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          const [first] = response.batchItemFailures;
          if (!first) {
            at += batch.Records.length;
            continue;
          }
          partial++;
          const index = sequences.indexOf(first.itemIdentifier);
          expect(index, `seed ${seed}: a reported record of the batch`).toBeGreaterThanOrEqual(at);
          at = index;
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        done = true;
        await flapping;
        proxy.up();
        await lambda.close();
      }
      const context = `seed ${seed} (${outages} outages, ${failedInvocations} failed invocations, ${partial} partial responses)`;
      expect(outages, context).toBeGreaterThan(0);
      expect(
        failedInvocations + partial,
        `${context}: the sink's failures reached Lambda`,
      ).toBeGreaterThan(0);
      // The sink's retries are logged as every retry is.
      expect(
        lambda.logs().filter((l) => l.msg === "retry" && l.level === "warn" && l.what === "sink"),
        context,
      ).not.toEqual([]);
      const live = await target.live(table);
      expect(new Map([...live].map(([id, data]) => [id, String(data.price)])), context).toEqual(
        expected,
      );
      const letters = await target.sink.query<{ position: string }>({
        sql: `SELECT DISTINCT position FROM ${dead} ORDER BY position`,
        params: [],
      });
      expect(
        letters.map((l) => l.position),
        context,
      ).toEqual(poison.map((i) => sequences[i]).sort());
    }
  }, 120_000);
});
