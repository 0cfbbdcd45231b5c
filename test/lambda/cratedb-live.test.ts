// The Lambda handler against a real CrateDB: runs only where CRATEDB_URL is
// set (e.g. http://127.0.0.1:4200), since CI has no CrateDB (FACTS.md section
// 5). It proves on CrateDB what the PostgreSQL suites prove there: the
// reference's `crate://` URL works, a poison record's sequence number is
// reported, and the dead-letter table's DDL and INSERT run.
// Optional: CRATEDB_USERNAME, CRATEDB_PASSWORD.

import { afterAll, describe, expect, it } from "vitest";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { firstStatements, httpFaultProxy } from "../support/http-fault-proxy.ts";
import { sequenceOf, testLambda } from "./harness.ts";

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available (CI has none); set CRATEDB_URL=http://127.0.0.1:4200 to run this suite";
if (!url) console.log(`lambda/cratedb-live.test.ts skipped: ${SKIP_REASON}`);

const suffix = `${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
const table = `dynacrate_lambda_${suffix}`;
const deadLetters = `${table}_dead`;
const wiped = `${table}_wipe`;

/** The reference's form of the URL: crate://user:password@host:port (?ssl=true for https). */
function crateUrl(httpUrl = url as string): string {
  const parsed = new URL(httpUrl);
  const user = process.env.CRATEDB_USERNAME ?? (parsed.username || "crate");
  const password = process.env.CRATEDB_PASSWORD ?? parsed.password;
  const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ""}@`;
  return `crate://${auth}${parsed.hostname}:${parsed.port || "4200"}${parsed.protocol === "https:" ? "?ssl=true" : ""}`;
}

describe.skipIf(!url)(
  `Lambda handler, live CrateDB (${url ? new URL(url).host : `skipped: ${SKIP_REASON}`})`,
  () => {
    const sink = url
      ? createCrateDbHttpSink({
          url,
          username: process.env.CRATEDB_USERNAME,
          password: process.env.CRATEDB_PASSWORD,
        })
      : undefined;
    afterAll(async () => {
      for (const name of [`${table}`, `${table}__state`, deadLetters, wiped, `${wiped}__state`]) {
        const kind = name === table || name === wiped ? "VIEW" : "TABLE";
        await sink
          ?.query({ sql: `DROP ${kind} IF EXISTS "${name}"`, params: [] })
          .catch(() => undefined);
      }
      await sink?.close();
    });

    it("replicates with the reference's variables, reports a poison record, then dead-letters it", async () => {
      const records = [
        kinesisDynamoRecord({
          keys: { id: { S: "c0" } },
          newImage: { id: { S: "c0" }, n: { N: "42" } },
          millis: BASE_MILLIS,
        }),
        kinesisDynamoRecord({
          keys: { id: { S: "c1" } },
          newImage: { id: { S: "c1" }, n: { N: "abc" } },
          millis: BASE_MILLIS + 1,
        }),
        kinesisDynamoRecord({
          keys: { id: { S: "c2" } },
          newImage: { id: { S: "c2" }, n: { N: "42.5" } },
          millis: BASE_MILLIS + 2,
        }),
      ];
      const event = lambdaKinesisEvent(records);

      const plain = testLambda({
        CRATEDB_SQLALCHEMY_URL: crateUrl(),
        CRATEDB_TABLE: table,
        LOG_LEVEL: "INFO",
      });
      try {
        expect(await plain.handler(event)).toEqual({
          batchItemFailures: [{ itemIdentifier: sequenceOf(event, 1) }],
        });
      } finally {
        await plain.close();
      }

      const withDeadLetters = testLambda({
        CRATEDB_SQLALCHEMY_URL: crateUrl(),
        CRATEDB_TABLE: table,
        DEAD_LETTER_TABLE: deadLetters,
      });
      try {
        expect(await withDeadLetters.handler(event)).toEqual({ batchItemFailures: [] });
      } finally {
        await withDeadLetters.close();
      }

      await sink?.query({ sql: `REFRESH TABLE "${table}__state", "${deadLetters}"`, params: [] });
      const rows = await sink?.query<{ id: string; n: number }>({
        sql: `SELECT "pk"['id'] AS id, "data"['n'] AS n FROM "${table}" ORDER BY 1`,
        params: [],
      });
      expect(rows).toEqual([
        { id: "c0", n: 42 },
        { id: "c2", n: 42.5 },
      ]);
      const letters = await sink?.query<{ position: string; field: string }>({
        sql: `SELECT "position", "field" FROM "${deadLetters}"`,
        params: [],
      });
      expect(letters).toEqual([{ position: sequenceOf(event, 1), field: "dynamodb.NewImage.n.N" }]);
    });

    it("a late change whose ALTER TABLE fails in one container, then redelivered, leaves the stored item whole", async () => {
      // The newer image is stored; an older change brings an attribute the
      // table has no column for, and its ALTER TABLE meets an outage
      // (SINK_RETRY_ATTEMPTS=2 gives up within the invocation). Lambda then
      // delivers the batch again to the same container. Before, the second
      // delivery answered success while CrateDB set the item's `data` to NULL.
      let armed = false;
      const alters = firstStatements(/^ALTER TABLE/, 4, { status: 503 });
      const proxy = await httpFaultProxy(url as string, (body) =>
        armed ? alters(body) : "forward",
      );
      const lambda = testLambda({
        CRATEDB_SQLALCHEMY_URL: crateUrl(proxy.url),
        CRATEDB_TABLE: wiped,
        SINK_RETRY_ATTEMPTS: "2",
      });
      try {
        const newer = kinesisDynamoRecord({
          keys: { id: { S: "w" } },
          newImage: { id: { S: "w" }, n: { N: "2" }, m: { M: { x: { S: "kept" } } } },
          millis: BASE_MILLIS + 1000,
        });
        expect(await lambda.handler(lambdaKinesisEvent([newer]))).toEqual({
          batchItemFailures: [],
        });
        armed = true;
        const late = lambdaKinesisEvent([
          kinesisDynamoRecord({
            keys: { id: { S: "w" } },
            newImage: { id: { S: "w" }, n: { N: "1" }, fresh: { S: "late" } },
            millis: BASE_MILLIS,
          }),
        ]);
        expect(await lambda.handler(late)).toEqual({
          batchItemFailures: [{ itemIdentifier: sequenceOf(late, 0) }],
        });
        // Lambda retries the batch until the function answers success.
        let answer = await lambda.handler(late);
        for (let i = 0; i < 3 && answer.batchItemFailures.length > 0; i++)
          answer = await lambda.handler(late);
        expect(answer).toEqual({ batchItemFailures: [] });
      } finally {
        await lambda.close();
        await proxy.close();
      }
      await sink?.query({ sql: `REFRESH TABLE "${wiped}__state"`, params: [] });
      const rows = await sink?.query<{ data: unknown }>({
        sql: `SELECT "data" FROM "${wiped}" WHERE "pk"['id'] = 'w'`,
        params: [],
      });
      expect(rows).toEqual([{ data: { n: 2, m: { x: "kept" } } }]);
    });
  },
);
