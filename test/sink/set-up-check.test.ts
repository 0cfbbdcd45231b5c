// Set-up mistakes are found before the first record, as one error with exit
// status 2, and nothing is half-created: a table name the database would cut
// or change, a relation of the name that dynacrate did not create (for the
// load too), a --key that disagrees with the records, a user without the
// privileges it needs. Replay, relay and load run the same check
// (src/sink/set-up-check.ts); the commands run as users run them, against the
// test PostgreSQL, with a role made here for the privilege cases.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ConfigError } from "../../src/errors.ts";
import { writeExport } from "../../src/local/services/export-files.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { dynacrate, STACK_TRACE } from "../cli/cli-run.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
let dir: string;
let capture: string;
const ROLE = `limited_${process.pid}`;
const ROLE_PASSWORD = "limited-pw-7f3a";
let limitedUrl: string;

beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-setup-"));
  capture = join(dir, "capture.ndjson");
  const lines = [1, 2, 3].map((i) =>
    JSON.stringify(
      kinesisDynamoRecord({
        keys: { id: { S: `k${i}` } },
        newImage: { id: { S: `k${i}` }, v: { N: String(i) } },
        micros: 1_720_000_000_000_000 + i,
      }),
    ),
  );
  writeFileSync(capture, `${lines.join("\n")}\n`);
  // A role that may connect and read the catalogs, and nothing more: since
  // PostgreSQL 15 schema public grants CREATE to its owner only.
  await target.sink.query({
    sql: `CREATE ROLE ${ROLE} LOGIN PASSWORD '${ROLE_PASSWORD}'`,
    params: [],
  });
  await target.sink.query({ sql: `REVOKE CREATE ON SCHEMA public FROM PUBLIC`, params: [] });
  const url = new URL(target.url);
  url.username = ROLE;
  url.password = ROLE_PASSWORD;
  limitedUrl = url.toString();
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await target?.close();
  // A role belongs to the server, not to the file's database: dropped by the server's owner.
  const admin = new pg.Client({ connectionString: inject("pgUrl") });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${ROLE}`).finally(() => admin.end());
});

/** Every relation whose name starts with `prefix`, in the target database. */
async function relationsLike(prefix: string): Promise<string[]> {
  const rows = await target.sink.query<{ relname: string }>({
    sql: "SELECT relname FROM pg_class WHERE starts_with(relname, $1) ORDER BY 1",
    params: [prefix],
  });
  return rows.map((r) => r.relname);
}

async function replay(table: string, url = target.url, extra: string[] = []) {
  const dlq = join(dir, `${table.slice(0, 40)}-${Math.random().toString(36).slice(2)}.dlq`);
  const r = await dynacrate(["replay", capture, "--table", table, "--dlq", dlq, ...extra], {
    TARGET_URL: url,
  });
  return { ...r, dlq };
}

/** The outcome every set-up mistake must have: exit 2, one message, no stack, nothing read or written. */
function expectStoppedAtSetUp(r: { code: number; stdout: string; stderr: string; dlq?: string }) {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toMatch(STACK_TRACE);
  // The message is the last thing said (a load may have said what it loads first).
  expect(r.stderr).toMatch(/(^|\n)dynacrate (replay|load|relay): [^\n]+\n( {2}[^\n]+\n)*$/);
  if (r.dlq) expect(existsSync(r.dlq)).toBe(false);
  expect(existsSync(capture)).toBe(true);
}

describe("table names PostgreSQL would cut or change", () => {
  it("a name whose tombstone index would pass 63 bytes: exit 2 naming the limit, nothing created; 51 bytes work exactly", async () => {
    const long = `n${"x".repeat(51)}`; // 52 bytes: its __tombstones index would be 64
    const r = await replay(long);
    expectStoppedAtSetUp(r);
    expect(r.stderr).toContain(
      `dynacrate replay: target table ${long}: "${long}" is too long for PostgreSQL (its tombstone index ${long}__tombstones would be 64 bytes)`,
    );
    expect(r.stderr).toContain("choose a name of at most 51 bytes in UTF-8");
    expect(await relationsLike(long.slice(0, 40))).toEqual([]);

    const fits = `m${"x".repeat(50)}`; // 51 bytes: every name dynacrate makes keeps its own
    const ok = await replay(fits);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await relationsLike(fits)).toEqual(
      [fits, `${fits}__state`, `${fits}__state_pkey`.slice(0, 63), `${fits}__tombstones`].sort(),
    );
  });

  it("bytes, not characters, count; NUL, an unpaired surrogate and a pg_ schema are refused up front", async () => {
    const accented = "é".repeat(26); // 26 characters, 52 bytes
    const r = await replay(accented);
    expectStoppedAtSetUp(r);
    expect(r.stderr).toContain("would be 64 bytes");
    expect(await relationsLike("éé")).toEqual([]);

    const schema = await replay("pg_mine.orders");
    expectStoppedAtSetUp(schema);
    expect(schema.stderr).toContain(
      "target table pg_mine.orders: schema pg_mine: PostgreSQL reserves names starting with pg_",
    );

    const { dialect } = target.sink;
    expect(dialect.targetNameProblems({ schema: undefined, name: "a\u0000b" })).toEqual([
      'table name "a\\u0000b" holds a NUL character, which a PostgreSQL name can not hold',
    ]);
    expect(dialect.targetNameProblems({ schema: undefined, name: "a\ud800b" })[0]).toContain(
      "unpaired UTF-16 surrogate",
    );
    expect(dialect.targetNameProblems({ schema: "s".repeat(64), name: "t" })[0]).toContain(
      "(64 bytes)",
    );
  });
});

describe("a relation dynacrate did not create", () => {
  it("dynacrate load refuses it before reading the export: exit 2, its rows stay", async () => {
    const table = target.table("users_own");
    await target.sink.query({
      sql: `CREATE TABLE ${table.name} (name text); INSERT INTO ${table.name} VALUES ('mine')`,
      params: [],
    });
    const { folder } = writeExport(join(dir, "g9"), [{ id: { S: "a" } }], {
      tableName: "orders",
      exportTime: new Date(),
      files: 1,
    });
    const dlq = join(dir, "g9.dlq");
    const r = await dynacrate(
      ["load", "--source", folder, "--table", table.name, "--key", "id:S", "--dlq", dlq],
      { TARGET_URL: target.url },
    );
    expectStoppedAtSetUp({ ...r, dlq });
    expect(r.stderr).toContain(`${table.name} exists already as a table`);
    const rows = await target.sink.query({ sql: `SELECT name FROM ${table.name}`, params: [] });
    expect(rows).toEqual([{ name: "mine" }]);
    expect(await relationsLike("dynacrate_load_progress")).toEqual([]);
  });
});

describe("--key against the records", () => {
  it("replay: one error naming both key schemas, before anything is created (not a failure per record)", async () => {
    const table = target.table("wrong_key");
    const r = await replay(table.name, target.url, ["--key", "sku:S"]);
    expectStoppedAtSetUp(r);
    expect(r.stderr).toMatch(
      /^dynacrate replay: the key schema given, sku:S \(--key; KEY_SCHEMA for the Lambda function\), disagrees with the first record, [0-9a-f-]+ \(line 1\), whose key is id:S: it has no attribute sku; its Keys also hold id\. Nothing was written\./,
    );
    expect(r.stderr).toContain("(--key id:S)");
    expect(await relationsLike(table.name)).toEqual([]);
  });

  it("the pipeline the relay and the Lambda function share: a type that disagrees stops before the write", async () => {
    const table = target.table("wrong_type");
    const pipeline = new ApplyPipeline(target.sink, {
      table,
      keySchema: [{ name: "id", type: "N" }],
    });
    const record = kinesisDynamoRecord({
      keys: { id: { S: "k1" } },
      micros: 1_720_000_000_000_001,
    });
    const error = await pipeline.apply(sourceRecords(record)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("its id is of type S, not N");
    expect(await relationsLike(table.name)).toEqual([]);
  });

  it("load of an export: a --key the items lack stops at the first item, nothing written", async () => {
    const table = target.table("export_key");
    const { folder } = writeExport(
      join(dir, "key"),
      [1, 2, 3].map((i) => ({ id: { S: `k${i}` }, v: { N: String(i) } })),
      { tableName: "orders", exportTime: new Date(), files: 1 },
    );
    const dlq = join(dir, "key.dlq");
    const r = await dynacrate(
      ["load", "--source", folder, "--table", table.name, "--key", "id:N", "--dlq", dlq],
      { TARGET_URL: target.url },
    );
    expectStoppedAtSetUp({ ...r, stdout: "", dlq });
    expect(r.stderr).toMatch(
      /the key schema given, id:N \(--key; KEY_SCHEMA for the Lambda function\), disagrees with the first item, .+: its id is of type S, not N\. Nothing was written\./,
    );
    expect(existsSync(dlq)).toBe(false);
    const rows = await target.sink
      .query({ sql: `SELECT count(*)::int AS n FROM ${table.name}__state`, params: [] })
      .catch(() => [{ n: 0 }]);
    expect(rows).toEqual([{ n: 0 }]);
  });
});

describe("privileges of a real role", () => {
  it("without CREATE on the schema: replay, relay and load stop before reading, naming the privilege and the GRANT", async () => {
    const table = target.table("no_create");
    const grant = `GRANT CREATE ON SCHEMA "public" TO "${ROLE}"`;
    const r = await replay(table.name, limitedUrl);
    expectStoppedAtSetUp(r);
    expect(r.stderr).toBe(
      `dynacrate replay: user ${ROLE} lacks CREATE on schema public to create ${table.name}__state and its view ${table.name}; grant it: ${grant} (nothing was created or written)\n`,
    );
    expect(r.stderr).not.toContain(ROLE_PASSWORD);

    // The relay stops before it reads the stream (nothing listens at its endpoint).
    const relay = await dynacrate(
      [
        "relay",
        "--source",
        "kinesis://never-read",
        "--endpoint",
        "http://127.0.0.1:9",
        "--region",
        "us-east-1",
        "--table",
        table.name,
      ],
      { TARGET_URL: limitedUrl, AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x" },
    );
    expect(relay.code).toBe(2);
    expect(relay.stderr).toContain(
      `user ${ROLE} lacks CREATE on schema public to create ${table.name}__state`,
    );
    expect(relay.stderr).toContain("to create dynacrate_target_checkpoints");
    expect(relay.stderr).not.toMatch(STACK_TRACE);

    const { folder } = writeExport(join(dir, "priv"), [{ id: { S: "a" } }], {
      tableName: "orders",
      exportTime: new Date(),
      files: 1,
    });
    const load = await dynacrate(
      [
        "load",
        "--source",
        folder,
        "--table",
        table.name,
        "--key",
        "id:S",
        "--dlq",
        join(dir, "p.dlq"),
      ],
      { TARGET_URL: limitedUrl },
    );
    expect(load.code).toBe(2);
    expect(load.stderr).toMatch(
      /lacks (CREATE on schema public to create|SELECT, INSERT, UPDATE, DELETE on) dynacrate_load_progress/,
    );
    expect(await relationsLike(table.name)).toEqual([]);
  });

  it("without INSERT on an existing table of the project: one error naming INSERT and UPDATE and the GRANT; once granted, the replay writes it", async () => {
    const table = target.table("granted");
    // The owner creates the table (a first replay), and lets the role only read it.
    const first = await replay(table.name);
    expect(first.code, first.stderr).toBe(0);
    await target.sink.query({
      sql: `GRANT SELECT ON ${table.name}__state, ${table.name} TO ${ROLE}`,
      params: [],
    });
    const r = await replay(table.name, limitedUrl);
    expectStoppedAtSetUp(r);
    expect(r.stderr).toBe(
      `dynacrate replay: user ${ROLE} lacks INSERT, UPDATE on ${table.name}__state to write the rows of ${table.name}; grant them: GRANT INSERT, UPDATE ON "${table.name}__state" TO "${ROLE}" (nothing was created or written)\n`,
    );
    await target.sink.query({
      sql: `GRANT INSERT, UPDATE ON ${table.name}__state TO ${ROLE}`,
      params: [],
    });
    // Both relations exist: nothing to create, so a role that may write them can.
    const again = await replay(table.name, limitedUrl);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/skipped\s+3 /);
    expect((await target.live(table)).size).toBe(3);
  });
});

const crateUrl = process.env.CRATEDB_URL;
const CRATE_SKIP =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run the CrateDB half";
if (!crateUrl) console.log(`set-up-check.test.ts: CrateDB cases skipped: ${CRATE_SKIP}`);

describe.skipIf(!crateUrl)("CrateDB: its name rules and privileges, on a live server", () => {
  const suffix = `${process.pid}${Date.now().toString(36)}`;
  const sql = async (stmt: string, auth?: string) => {
    const response = await fetch(`${crateUrl}/_sql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {}),
      },
      body: JSON.stringify({ stmt }),
    });
    return (await response.json()) as { error?: { code: number; message: string } };
  };

  it("a name the rules pass is one CrateDB takes, and one they refuse CrateDB refuses too", async () => {
    const { cratedb } = await import("../../src/sql/cratedb.ts");
    const names = [
      { schema: undefined, name: `a${suffix}`.padEnd(248, "x") }, // state table: 255 bytes
      { schema: undefined, name: `b${suffix}`.padEnd(249, "x") }, // 256
      { schema: `s${suffix}`, name: "t".repeat(230) },
      { schema: undefined, name: `has space${suffix}` },
      { schema: undefined, name: `has#hash${suffix}` },
      { schema: "sys", name: `t${suffix}` },
    ];
    for (const table of names) {
      const problems = cratedb.targetNameProblems(table);
      const state = `${table.schema ? `"${table.schema}".` : ""}"${table.name}__state"`;
      const answer = await sql(`CREATE TABLE ${state} (a INT)`);
      expect(
        answer.error === undefined,
        `${state}: ${problems.join("; ")} / ${answer.error?.message}`,
      ).toBe(problems.length === 0);
      if (!answer.error) await sql(`DROP TABLE ${state}`);
    }
  });

  it("dynacrate replay: a refused name and a user without DDL stop at start-up, exit 2, nothing created", async () => {
    const bad = await dynacrate(
      ["replay", capture, "--table", `b${suffix}`.padEnd(249, "x"), "--key", "id:S"],
      {
        TARGET_URL: crateUrl as string,
      },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "beyond CrateDB's 255 for a schema and table name: choose a name of at most 248 bytes",
    );

    const user = `reader${suffix}`;
    expect(
      (await sql(`CREATE USER ${user} WITH (password = 'pw-${suffix}')`)).error,
    ).toBeUndefined();
    expect((await sql(`GRANT DQL ON SCHEMA doc TO ${user}`)).error).toBeUndefined();
    try {
      const url = new URL(crateUrl as string);
      url.username = user;
      url.password = `pw-${suffix}`;
      const table = `denied${suffix}`;
      const r = await dynacrate(["replay", capture, "--table", table, "--key", "id:S"], {
        TARGET_URL: url.toString(),
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `user ${user} lacks CREATE on schema doc to create ${table}__state and its view ${table}; grant it: GRANT DDL ON SCHEMA "doc" TO "${user}"`,
      );
      expect(r.stderr).not.toContain(`pw-${suffix}`);
      const found = (await (
        await fetch(`${crateUrl}/_sql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            stmt: "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE ?",
            args: [`${table}%`],
          }),
        })
      ).json()) as { rows: number[][] };
      expect(found.rows[0]?.[0]).toBe(0);
    } finally {
      await sql(`DROP USER ${user}`);
    }
  });
});
