// `dynacrate verify` while replication runs, on the local stack: a writer keeps
// putting, updating and deleting items in DynamoDB Local while the bridge
// carries its stream into the Kinesis emulator and the relay applies it to
// PostgreSQL. A verify run meanwhile, with a short --grace (5 s), reports no
// difference (exit 0): the differences it meets are changes in flight, read
// again and found resolved. A difference injected into the target during the
// same run, on keys the writer does not touch, is reported, so the first half
// can fail.

import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { stateTable } from "../../src/sql/table-name.ts";
import { type Emulators, openPipe, startEmulators } from "../e2e/emulators.ts";
import { waitFor } from "../e2e/relay-process.ts";
import { relayWhile } from "../e2e/relay-run.ts";
import { runWorkload } from "../e2e/workload.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { commandArgs, count, verifyProcess } from "./verify-scenarios.ts";

let emulators: Emulators;
let target: PgTarget;
const keySchema: KeySchema = [{ name: "id", type: "S" }];
/** Keys the writer owns (`k0000` ...); the quiet keys are written once, before it starts. */
const KEYS = 300;
const QUIET = 20;
const quietId = (i: number) => `quiet-${String(i).padStart(2, "0")}`;

beforeAll(async () => {
  [emulators, target] = await Promise.all([startEmulators(), pgTarget()]);
});
afterAll(async () => {
  await target?.close();
  await emulators?.stop();
});

describe("dynacrate verify while the relay applies a stream of writes", () => {
  it("verify while the relay is applying a stream of writes reports no false difference; a difference injected into the target meanwhile is reported", async () => {
    const pipe = await openPipe(emulators, keySchema);
    const { dynamodb } = emulators.clients;
    const table = target.table("verify_live");
    const state = target.sink.dialect.quoteTable(stateTable(table));
    const where = { endpoint: emulators.dynamo.endpoint, target };
    const args = commandArgs(where, pipe.tableName, table, "--grace", "5s", "--segments", "2");

    const scenario = async () => {
      await runWorkload(dynamodb, pipe.tableName, keySchema, {
        seed: 31,
        changes: 400,
        keys: KEYS,
      });
      for (let i = 0; i < QUIET; i++) {
        await dynamodb.send(
          new PutItemCommand({
            TableName: pipe.tableName,
            Item: { id: { S: quietId(i) }, text: { S: "quiet" }, n: { N: String(i) } },
          }),
        );
      }
      const quietRows = async () =>
        Number(
          (
            await target.sink
              .query<{ n: string }>({
                sql: `SELECT count(*) AS n FROM ${state} WHERE pk->>'id' LIKE 'quiet-%'`,
                params: [],
              })
              .catch(() => [{ n: "0" }])
          )[0]?.n,
        );
      await waitFor("the quiet items in the target", async () => (await quietRows()) === QUIET);

      // The writer: rounds of changes over its own keys until told to stop, at
      // about 100 a second: a rate the local stack keeps up with on a busy
      // machine, so that what verify meets is changes in flight, not a backlog.
      let stop = false;
      let written = 0;
      const writer = (async () => {
        for (let round = 0; !stop; round++) {
          const started = Date.now();
          await runWorkload(dynamodb, pipe.tableName, keySchema, {
            seed: 100 + round,
            changes: 20,
            keys: KEYS,
            writers: 2,
          });
          written += 20;
          await new Promise((resolve) =>
            setTimeout(resolve, Math.max(0, started + 200 - Date.now())),
          );
        }
      })();
      try {
        await waitFor("the writer under way", () => written >= 80);
        const before = written;
        const live = await verifyProcess(args);
        expect(live.stderr).not.toMatch(/Error/);
        expect(live.code, live.stdout + live.stderr).toBe(0);
        // The writer wrote all along.
        expect(written).toBeGreaterThan(before);
        expect(count(live.stdout, "missing"), live.stdout).toBe(0);
        expect(count(live.stdout, "extra"), live.stdout).toBe(0);
        expect(count(live.stdout, "different"), live.stdout).toBe(0);
        // Changes in flight were met, and resolved by the grace period.
        expect(count(live.stdout, "in flight")).toBeGreaterThan(0);

        // Two real differences, on keys the writer does not touch.
        await target.sink.query({
          sql: `UPDATE ${state} SET data = jsonb_set(data, '{text}', '"tampered"') WHERE pk = jsonb_build_object('id', $1::text)`,
          params: [quietId(3)],
        });
        await target.sink.query({
          sql: `DELETE FROM ${state} WHERE pk = jsonb_build_object('id', $1::text)`,
          params: [quietId(5)],
        });
        const found = await verifyProcess(args);
        expect(found.stderr).not.toMatch(/Error/);
        expect(found.code, found.stdout + found.stderr).toBe(1);
        expect(count(found.stdout, "different"), found.stdout).toBe(1);
        expect(count(found.stdout, "missing"), found.stdout).toBe(1);
        expect(count(found.stdout, "extra"), found.stdout).toBe(0);
        expect(found.stdout).toMatch(
          /different id="quiet-03"\n\s+text: DynamoDB "quiet", sink "tampered"/,
        );
        expect(found.stdout).toMatch(/missing id="quiet-05"/);
      } finally {
        stop = true;
        await writer;
      }
    };

    try {
      const run = await relayWhile(emulators.clients.kinesis, pipe, target.sink, table, scenario());
      expect(run.failures).toEqual([]);
    } finally {
      await pipe.bridge.stop();
    }
  }, 240_000);
});
