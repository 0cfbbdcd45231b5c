// A target table asked for in another case than it was created in ("forum"
// beside "Forum"): the message of a table that does not exist names the one
// that does. On PostgreSQL and, where CRATEDB_URL is set, on a live CrateDB.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { targetCaseHint } from "../../src/sink/case-hint.ts";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const crateUrl = process.env.CRATEDB_URL;
if (!crateUrl)
  console.log("case-hint.test.ts: the CrateDB case is skipped: CRATEDB_URL is not set");

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

async function expectHint(sink: Sink, name: string): Promise<void> {
  const state = sink.dialect.quoteTable({ schema: undefined, name: `${name}__state` });
  await sink.query({ sql: `CREATE TABLE ${state} (n INTEGER)`, params: [] });
  try {
    expect(await targetCaseHint(sink, { schema: undefined, name: name.toLowerCase() })).toBe(
      `; a table ${name} exists (table names are case-sensitive)`,
    );
    expect(await targetCaseHint(sink, { schema: undefined, name: "nothing_like_it" })).toBe("");
  } finally {
    await sink.query({ sql: `DROP TABLE ${state}`, params: [] });
  }
}

describe("a target table named in another case", () => {
  it("PostgreSQL: the table that exists is named", async () => {
    await expectHint(target.sink, `Forum_${process.pid}`);
  });

  it.skipIf(!crateUrl)(
    `CrateDB: the table that exists is named${crateUrl ? "" : " (skipped: CRATEDB_URL is not set)"}`,
    async () => {
      const sink = createCrateDbHttpSink({ url: crateUrl as string });
      try {
        await expectHint(sink, `Forum_${process.pid}`);
      } finally {
        await sink.close();
      }
    },
  );
});
