// A target URL that points at the wrong place gets one line naming what was
// found there and the fix, in the same words in every command: a closed port
// (replay, relay and verify alike), crate:// at a PostgreSQL port (an HTTP
// client meeting another protocol), postgresql:// at CrateDB's PostgreSQL
// port (which answers SELECT 1, then fails on PostgreSQL's catalog).

import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../support/closed-port.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { dynacrate, STACK_TRACE } from "./cli-run.ts";

let target: PgTarget;
const capture = join(tmpdir(), `dynacrate-wrong-address-${process.pid}.ndjson`);
beforeAll(async () => {
  target = await pgTarget();
  writeFileSync(capture, `${JSON.stringify(kinesisDynamoRecord({ keys: { id: { S: "a" } } }))}\n`);
});
afterAll(async () => {
  await target?.close();
});

const AWS = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "x",
  AWS_SECRET_ACCESS_KEY: "x",
};

describe("a target URL at the wrong place", () => {
  it("a closed port: the same line from replay, relay and verify, exit 2", async () => {
    const port = await closedPort();
    const url = `postgresql://u@127.0.0.1:${port}/db`;
    const line = `can not use the sink ${url}: nothing accepts connections at 127.0.0.1:${port} (connection refused); is the database running, and is the port right?\n`;
    const runs = await Promise.all([
      dynacrate(["replay", capture, "--target", url, "--table", "t"]),
      dynacrate(["relay", "--source", "kinesis://s", "--target", url, "--table", "t"], AWS),
      dynacrate(["verify", "--source", "dynamodb://t", "--target", url, "--table", "t"], AWS),
    ]);
    for (const [i, name] of ["replay", "relay", "verify"].entries()) {
      const r = runs[i] as (typeof runs)[number];
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`dynacrate ${name}: ${line}`);
    }
  });

  it("crate:// at a PostgreSQL port: says that what answers is not HTTP, and names both schemes", async () => {
    const port = new URL(target.url).port;
    const r = await dynacrate([
      "replay",
      capture,
      "--target",
      `crate://crate@127.0.0.1:${port}`,
      "--table",
      "t",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `dynacrate replay: can not use the sink crate://crate@127.0.0.1:${port}: what answers at 127.0.0.1:${port} does not speak HTTP, as CrateDB's HTTP port (4200 by default) does; a PostgreSQL port answers this way: give crate:// the HTTP port, or use postgresql:// for a PostgreSQL server\n`,
    );
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  const psqlPort = process.env.CRATEDB_PSQL_PORT;
  if (!psqlPort)
    console.log("wrong-address.test.ts: the CrateDB case is skipped: CRATEDB_PSQL_PORT is not set");
  it.skipIf(!psqlPort)(
    `postgresql:// at CrateDB's PostgreSQL port: says the server is CrateDB and names crate://${psqlPort ? "" : " (skipped: CRATEDB_PSQL_PORT is not set)"}`,
    async () => {
      const url = `postgresql://crate@127.0.0.1:${psqlPort}/doc`;
      const r = await dynacrate(["replay", capture, "--target", url, "--table", "t"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `dynacrate replay: can not use the sink ${url}: the server at 127.0.0.1:${psqlPort} is CrateDB (its PostgreSQL port), not PostgreSQL; dynacrate writes to CrateDB over HTTP: use crate://user:password@127.0.0.1:4200 (CrateDB's HTTP port, 4200 by default)\n`,
      );
    },
  );
});
