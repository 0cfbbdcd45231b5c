// Two `dynacrate relay --standby` processes on one stream and table, as two
// replicas of a Deployment run them: one holds the lease and reads, the other
// stands by; the active one is killed outright (SIGKILL) while changes keep
// coming, the standing-by one takes the lease over once it expires, resumes
// from the checkpoints, and the table ends equal to the source's last state.

import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { kinesisRelayArgs, type RelayProcess, spawnRelay, waitFor } from "./relay-process.ts";

let kinesis: LocalKinesis;
let client: ReturnType<typeof localKinesisClient>;
let target: PgTarget;
beforeAll(async () => {
  [kinesis, target] = await Promise.all([startKinesisLocal(), pgTarget()]);
  client = localKinesisClient(kinesis.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([kinesis?.stop(), target?.close()]);
});

const KEYS = 40;
const ROUNDS = 12;
const MICROS = 1_720_000_000_000_000;

/** Round `r` changes every key: the value is the round, the version its time. */
async function writeRound(stream: string, r: number): Promise<void> {
  await client.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: Array.from({ length: KEYS }, (_, k) => ({
        PartitionKey: `k${k}`,
        Data: Buffer.from(
          JSON.stringify(
            kinesisDynamoRecord({
              keys: { id: { S: `k${k}` } },
              newImage: { id: { S: `k${k}` }, round: { N: String(r) } },
              micros: MICROS + r * 1000 + k,
              eventName: r === 0 ? "INSERT" : "MODIFY",
            }),
          ),
        ),
      })),
    }),
  );
}

describe("relays with --standby", () => {
  it("the active relay killed mid-stream: the standing-by one takes over and the table equals the source", async () => {
    const stream = "standby-takeover";
    const table = target.table("standby");
    await createKinesisStream(client, stream, 2);
    const args = kinesisRelayArgs(stream, kinesis.endpoint, target.url, table.name, [
      "--poll-ms",
      "50",
      "--batch-size",
      "25",
      "--standby",
      "--lease-seconds",
      "2",
    ]);
    const holds = (relay: RelayProcess) => /holding the lease as/.test(relay.stderr());
    const first = spawnRelay(args);
    let second: RelayProcess | undefined;
    try {
      await waitFor("the first relay to take the lease", () => holds(first));
      second = spawnRelay(args);
      const standby = second;
      await waitFor("the second relay to stand by", () => /standing by: /.test(standby.stderr()));
      for (let r = 0; r < ROUNDS / 2; r++) await writeRound(stream, r);
      await waitFor("the first relay to apply a batch", () => first.batches().length > 0);
      first.child.kill("SIGKILL");
      await first.exited;
      for (let r = ROUNDS / 2; r < ROUNDS; r++) await writeRound(stream, r);
      await waitFor("the second relay to take the lease over", () => holds(standby));
      await waitFor("the table to hold every key's last round", async () => {
        const live = await target.live(table);
        return (
          live.size === KEYS && [...live.values()].every((row) => Number(row.round) === ROUNDS - 1)
        );
      });
      expect(holds(first) && !/standing by/.test(first.stderr())).toBe(true);
      standby.child.kill("SIGTERM");
      expect((await standby.exited).code).toBe(0);
      const live = await target.live(table);
      expect([...live.keys()].sort()).toEqual(
        Array.from({ length: KEYS }, (_, k) => `k${k}`).sort(),
      );
    } finally {
      for (const relay of [first, second])
        if (relay && relay.child.exitCode === null && relay.child.signalCode === null)
          relay.child.kill("SIGKILL");
    }
  });
});
