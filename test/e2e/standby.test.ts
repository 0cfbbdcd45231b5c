// Two `dynacrate relay --standby` processes on one stream and table, as two
// replicas of a Deployment run them: one holds the lease and reads, the other
// stands by; the active one is killed outright (SIGKILL) while changes keep
// coming, the standing-by one takes the lease over once it expires, resumes
// from the checkpoints, and the table ends equal to the source's last state;
// into PostgreSQL, and a live CrateDB where CRATEDB_URL is set.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { putItems } from "../support/put-items.ts";
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
  await putItems(client, stream, KEYS, (k, keys) => ({
    newImage: { ...keys, round: { N: String(r) } },
    micros: MICROS + r * 1000 + k,
    eventName: r === 0 ? "INSERT" : "MODIFY",
  }));
}

const crateUrl = process.env.CRATEDB_URL;
const CRATE_SKIP =
  "CRATEDB_URL is not set, so no live CrateDB is available (CI has none); set it to run the CrateDB case";
if (!crateUrl) console.log(`standby.test.ts, CrateDB case skipped: ${CRATE_SKIP}`);

const CASES = [
  { name: "PostgreSQL", url: () => target.url, skip: undefined },
  { name: "CrateDB", url: () => crateUrl as string, skip: crateUrl ? undefined : CRATE_SKIP },
];

/** The view's rows by their `id`, once the table's last writes show (CrateDB's refresh). */
async function live(sink: Sink, table: TableName): Promise<Map<string, Record<string, unknown>>> {
  const refresh = sink.dialect.refresh(stateTable(table));
  if (refresh) await sink.query(refresh);
  const rows = await sink.query<{ pk: { id: string }; data: Record<string, unknown> }>(
    sink.dialect.selectLive(table),
  );
  return new Map(rows.map((r) => [String(r.pk.id), r.data]));
}

describe.each(CASES)("relays with --standby into $name", ({ name, url, skip }) => {
  let sink: Sink;
  const table: TableName = {
    schema: undefined,
    name: `standby_${name.toLowerCase()}_${Date.now().toString(36)}`,
  };
  beforeAll(async () => {
    if (!skip) sink = await openSink(url());
  });
  afterAll(async () => {
    if (!sink) return;
    if (name === "CrateDB") await dropTables(sink, [table]);
    await sink.close();
  });

  it.skipIf(skip !== undefined)(
    `the active relay killed mid-stream: the standing-by one takes over and the table equals the source${skip ? ` (skipped: ${skip})` : ""}`,
    async () => {
      const stream = `standby-takeover-${name.toLowerCase()}`;
      await createKinesisStream(client, stream, 2);
      const args = kinesisRelayArgs(stream, kinesis.endpoint, url(), table.name, [
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
          const rows = await live(sink, table);
          return (
            rows.size === KEYS &&
            [...rows.values()].every((row) => Number(row.round) === ROUNDS - 1)
          );
        });
        expect(holds(first) && !/standing by/.test(first.stderr())).toBe(true);
        standby.child.kill("SIGTERM");
        expect((await standby.exited).code).toBe(0);
        expect([...(await live(sink, table)).keys()].sort()).toEqual(
          Array.from({ length: KEYS }, (_, k) => `k${k}`).sort(),
        );
      } finally {
        for (const relay of [first, second])
          if (relay && relay.child.exitCode === null && relay.child.signalCode === null)
            relay.child.kill("SIGKILL");
      }
    },
  );
});
