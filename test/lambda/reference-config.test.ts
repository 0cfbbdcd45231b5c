// A function configured for the reference implementation (CRATEDB_SQLALCHEMY_URL,
// CRATEDB_TABLE, LOG_LEVEL=INFO, MESSAGE_FORMAT, ON_ERROR, ...) works
// unchanged. CrateDB is played by test/support/fake-cratedb.ts (no CrateDB can
// run in CI, FACTS.md section 5), with authentication required.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeCrateDb, startFakeCrateDb } from "../support/fake-cratedb.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { testLambda } from "./harness.ts";

let crate: FakeCrateDb;
beforeAll(async () => {
  crate = await startFakeCrateDb({ auth: { username: "admin", password: "crate-pw-123" } });
});
afterAll(async () => {
  await crate?.close();
});

describe("the reference's configuration", () => {
  it("replicates into CrateDB with the reference's variables only", async () => {
    const port = new URL(crate.url).port;
    const lambda = testLambda({
      CRATEDB_SQLALCHEMY_URL: `crate://admin:crate-pw-123@127.0.0.1:${port}`,
      CRATEDB_TABLE: "transactions",
      LOG_LEVEL: "INFO",
      MESSAGE_FORMAT: "dynamodb",
      ON_ERROR: "exit",
      USE_BATCH_PROCESSING: "false",
      SQL_ECHO: "false",
    });
    try {
      const event = lambdaKinesisEvent([
        kinesisDynamoRecord({
          keys: { id: { S: "t1" } },
          newImage: { id: { S: "t1" }, amount: { N: "42" } },
          millis: BASE_MILLIS,
        }),
        kinesisDynamoRecord({
          keys: { id: { S: "t2" } },
          newImage: { id: { S: "t2" }, amount: { N: "7.5" } },
          millis: BASE_MILLIS + 1,
        }),
      ]);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      // CrateDB's default number format: doubles, `42` written `42.0` (docs/SEMANTICS.md, Numbers).
      const stateTable = [...crate.tables.keys()].find((name) =>
        name.endsWith("transactions__state"),
      );
      expect(stateTable).toBeDefined();
      expect(crate.row(stateTable as string, { id: "t1" })?.data).toEqual({ amount: 42 });
      expect(crate.row(stateTable as string, { id: "t2" })?.data).toEqual({ amount: 7.5 });
      expect(lambda.lastBatch()).toMatchObject({ records: 2, applied: 2, failed: 0 });
      expect(lambda.lines.join("\n")).not.toContain("crate-pw-123");
    } finally {
      await lambda.close();
    }
  });
});
