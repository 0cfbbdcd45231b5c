// `dynacrate verify` against DynamoDB Local, run as a process, on both sinks:
// the scenarios of verify-scenarios.ts on PostgreSQL, and on a live CrateDB
// where CRATEDB_URL is set, there under CrateDB's default `--numbers double`
// (numbers equal only once rounded are counted apart) and under `--numbers
// exact` (no rounding: a change in the 38th digit is a difference).

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalKey } from "../../src/codec/row.ts";
import { localDynamoDbClient } from "../../src/local/services/aws-clients.ts";
import { type LocalDynamoDb, startDynamoDbLocal } from "../../src/local/services/dynamodb-local.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { keyHash } from "../../src/sql/postgresql.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { dropTables } from "../support/drop-tables.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import {
  commandArgs,
  count,
  type Key,
  keyOf,
  loaded,
  type VerifyEnv,
  type VerifyTarget,
  verifyProcess,
  verifyScenarios,
} from "./verify-scenarios.ts";

const crateUrl = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run the CrateDB half";
if (!crateUrl) console.log(`verify.test.ts, CrateDB part skipped: ${SKIP_REASON}`);

/** A version above any repair's cut (versions compare as text). */
const FUTURE_VERSION = "99999999999999999.000";

let dynamo: LocalDynamoDb;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  client = localDynamoDbClient(dynamo.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

/** PostgreSQL's state rows, found by their `pk` JSON (the key's number exact as numeric). */
function pgRows(target: PgTarget): VerifyTarget {
  const state = (table: TableName) => target.sink.dialect.quoteTable(stateTable(table));
  const where = "pk = jsonb_build_object('id', $1::text, 'sk', $2::numeric)";
  const run = (sql: string, params: unknown[]) => target.sink.query({ sql, params });
  return {
    url: target.url,
    wrongCredentials: Object.assign(new URL(target.url), { password: "wrong-password" }).toString(),
    table: (prefix) => target.table(prefix),
    async remove(table, key) {
      await run(`DELETE FROM ${state(table)} WHERE ${where}`, [key.id, key.sk]);
    },
    async bury(table, key) {
      await run(`UPDATE ${state(table)} SET deleted = true WHERE ${where}`, [key.id, key.sk]);
    },
    async set(table, key, path, value) {
      await run(`UPDATE ${state(table)} SET data = jsonb_set(data, $3, $4::jsonb) WHERE ${where}`, [
        key.id,
        key.sk,
        path,
        JSON.stringify(value),
      ]);
    },
    async addExtra(table, key) {
      const hash = keyHash(canonicalKey({ id: { S: key.id }, sk: { N: key.sk } }));
      await run(
        `INSERT INTO ${state(table)} (key_hash, pk, data, aux, version, deleted) ` +
          `SELECT decode($3, 'hex'), jsonb_build_object('id', $1::text, 'sk', $2::numeric), '{}', '{}', version, false FROM ${state(table)} LIMIT 1`,
        [key.id, key.sk, hash],
      );
    },
    async stampNewer(table, key, text) {
      await run(
        `UPDATE ${state(table)} SET data = jsonb_set(data, '{text}', to_jsonb($3::text)), version = $4 WHERE ${where}`,
        [key.id, key.sk, text, FUTURE_VERSION],
      );
    },
    async text(table, key) {
      const rows = await run(`SELECT data->>'text' AS text FROM ${state(table)} WHERE ${where}`, [
        key.id,
        key.sk,
      ]);
      return (rows[0] as { text?: string } | undefined)?.text;
    },
  };
}

/** CrateDB's state rows, found by the key sub-columns of `pk` (a NUMERIC key given as text). */
function crateRows(sink: Sink, url: string, tables: TableName[]): VerifyTarget {
  const q = sink.dialect.quoteIdentifier;
  const literal = (name: string) => `'${name.replaceAll("'", "''")}'`;
  const column = (path: string[]) => `${q("data")}${path.map((p) => `[${literal(p)}]`).join("")}`;
  const state = (table: TableName) => sink.dialect.quoteTable(stateTable(table));
  const where = `${q("pk")}['id'] = ? AND ${q("pk")}['sk'] = ?`;
  // Writes are seen by searches (an UPDATE ... WHERE is one) only after a refresh.
  const run = async (table: TableName, sql: string, params: unknown[]) => {
    await sink.query({ sql: `REFRESH TABLE ${state(table)}`, params: [] });
    return sink.query({ sql, params });
  };
  // `data` is STRICT: a value set where the table has no sub-column (the
  // item's attribute went to `aux`) needs the column declared first.
  const declare = async (table: TableName, path: string[], value: unknown) => {
    const known = new Set(
      (
        await sink.query<{ name: string }>({
          sql: "SELECT column_name AS name FROM information_schema.columns WHERE table_name = ?",
          params: [stateTable(table).name],
        })
      ).map((c) => c.name),
    );
    for (let depth = 1; depth <= path.length; depth++) {
      const name = `data${path
        .slice(0, depth)
        .map((p) => `['${p}']`)
        .join("")}`;
      if (known.has(name)) continue;
      const type =
        depth < path.length
          ? "OBJECT(STRICT)"
          : Array.isArray(value)
            ? "ARRAY(TEXT)"
            : typeof value === "number"
              ? "DOUBLE PRECISION"
              : "TEXT";
      await sink.query({
        sql: `ALTER TABLE ${state(table)} ADD COLUMN ${column(path.slice(0, depth))} ${type}`,
        params: [],
      });
    }
  };
  let counter = 0;
  return {
    url,
    wrongCredentials: Object.assign(new URL(url), {
      username: "nobody",
      password: "wrong-password",
    }).toString(),
    table(prefix) {
      const table = { schema: undefined, name: `${prefix}_${process.pid}_${++counter}` };
      tables.push(table);
      return table;
    },
    async remove(table, key) {
      await run(table, `DELETE FROM ${state(table)} WHERE ${where}`, [key.id, key.sk]);
    },
    async bury(table, key) {
      await run(table, `UPDATE ${state(table)} SET ${q("deleted")} = true WHERE ${where}`, [
        key.id,
        key.sk,
      ]);
    },
    async set(table, key, path, value) {
      await declare(table, path, value);
      await run(table, `UPDATE ${state(table)} SET ${column(path)} = ? WHERE ${where}`, [
        value,
        key.id,
        key.sk,
      ]);
    },
    async addExtra(table, key) {
      const rows = await run(table, `SELECT ${q("version")} FROM ${state(table)} LIMIT 1`, []);
      const version = (rows[0] as { version: string }).version;
      await run(
        table,
        `INSERT INTO ${state(table)} (${q("pk")}, ${q("pk_text")}, ${q("data")}, ${q("aux")}, ${q("version")}, ${q("deleted")}, ${q("updated_at")}) ` +
          "VALUES (?, ?, {}, {}, ?, false, CURRENT_TIMESTAMP)",
        [{ id: key.id, sk: key.sk }, { id: key.id, sk: String(key.sk) }, version],
      );
    },
    async stampNewer(table, key, text) {
      await run(
        table,
        `UPDATE ${state(table)} SET ${column(["text"])} = ?, ${q("version")} = ? WHERE ${where}`,
        [text, FUTURE_VERSION, key.id, key.sk],
      );
    },
    async text(table, key) {
      const rows = await run(
        table,
        `SELECT ${column(["text"])} AS text FROM ${state(table)} WHERE ${where}`,
        [key.id, key.sk],
      );
      return (rows[0] as { text?: string } | undefined)?.text;
    },
  };
}

describe("dynacrate verify on PostgreSQL", () => {
  let target: PgTarget;
  let env: VerifyEnv;
  beforeAll(async () => {
    target = await pgTarget();
    env = { client, endpoint: dynamo.endpoint, target: pgRows(target) };
  });
  afterAll(async () => {
    await target?.close();
  });
  verifyScenarios(() => env, { rounded: false });
});

describe.skipIf(!crateUrl)(
  `dynacrate verify on CrateDB (${crateUrl ? "live" : `skipped: ${SKIP_REASON}`})`,
  () => {
    let sink: CrateDbHttpSink;
    let env: VerifyEnv;
    const tables: TableName[] = [];
    beforeAll(() => {
      sink = createCrateDbHttpSink({ url: crateUrl as string });
      env = {
        client,
        endpoint: dynamo.endpoint,
        target: crateRows(sink, crateUrl as string, tables),
      };
    });
    afterAll(async () => {
      if (sink) {
        await dropTables(sink, tables);
        await sink.close();
      }
    });

    describe("--numbers double (CrateDB's default)", () => {
      verifyScenarios(() => env, { rounded: true });
    });

    it("--numbers exact: numbers are compared exactly, none is rounded, a change in the 38th digit is a difference", async () => {
      const numbers = ["--numbers", "exact"];
      const { source, table } = await loaded(env, 20, numbers);
      const args = commandArgs(env, source, table, ...numbers, "--grace", "0s");
      const equal = await verifyProcess(args);
      expect(equal.stderr).not.toMatch(/Error/);
      expect(equal.code).toBe(0);
      expect(count(equal.stdout, "equal")).toBe(20);
      expect(equal.stdout).not.toMatch(/rounded/);

      const key: Key = keyOf(4);
      const level = await sink.query<{ level: string }>({
        sql: `SELECT data['map']['level'] AS level FROM ${sink.dialect.quoteTable(stateTable(table))} WHERE pk['id'] = ? AND pk['sk'] = ?`,
        params: [key.id, key.sk],
      });
      const text = (level[0] as { level: string }).level;
      // The last digit before any exponent, changed: a double can not tell the two apart.
      const changed = text.replace(
        /(\d)(E.*)?$/i,
        (_, d: string, e = "") => `${(Number(d) + 1) % 10}${e}`,
      );
      expect(Number(changed)).toBe(Number(text));
      await env.target.set(table, key, ["map", "level"], changed);
      const found = await verifyProcess(args);
      expect(found.code).toBe(1);
      expect(count(found.stdout, "different")).toBe(1);
      expect(found.stdout).toContain(`, sink "${changed}"`);
      expect(found.stdout).toMatch(/map\.level: DynamoDB [0-9.E-]+, sink "/);
    });
  },
);
