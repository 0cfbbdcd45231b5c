// The Lambda function's configuration: every problem reported at once, the
// reference implementation's variables accepted, and the sink URL read from a
// Secrets Manager secret (a fake endpoint, see fake-aws.ts) once per container.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.ts";
import { LAMBDA_NAMES, readConfig } from "../../src/lambda/config.ts";
import { resolveSecret, sinkUrlFromSecret } from "../../src/lambda/secret.ts";
import { DEFAULT_RETRY } from "../../src/sink/retry.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type FakeAws, startFakeAws } from "./fake-aws.ts";
import { testLambda } from "./harness.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message
      .split("\n")
      .slice(1)
      .map((line) => line.replace(/^ {2}- /, ""));
  }
  throw new Error("expected a ConfigError");
}

describe("readConfig", () => {
  it("reads a complete configuration", () => {
    const config = readConfig({
      TARGET_URL: "postgresql://u:pw@db.example:5432/app",
      TARGET_TABLE: "analytics.orders",
      KEY_SCHEMA: "id:S,ts:N",
      NUMBER_FORMAT: "double-strict",
      SINK_TIMEOUT_MS: "5000",
      SINK_RETRY_ATTEMPTS: "3",
      SINK_IN_FLIGHT: "4",
      DEAD_LETTER_TABLE: "analytics.orders_dead",
      TOMBSTONE_RETENTION_HOURS: "48",
      LOG_LEVEL: "warn",
    });
    expect(config).toEqual({
      target: { kind: "url", url: "postgresql://u:pw@db.example:5432/app" },
      table: { schema: "analytics", name: "orders" },
      routes: {
        table: { schema: "analytics", name: "orders" },
        map: undefined,
        sourceTable: undefined,
        routes: [],
        names: LAMBDA_NAMES,
      },
      keySchema: [
        { name: "id", type: "S" },
        { name: "ts", type: "N" },
      ],
      numbers: "double-strict",
      timeoutMs: 5000,
      retryAttempts: 3,
      inFlight: 4,
      deadLetter: { kind: "table", table: { schema: "analytics", name: "orders_dead" } },
      tombstoneRetentionMs: 48 * 3600 * 1000,
      logLevel: "warn",
      format: "dynamodb",
    });
  });

  it("defaults the optional settings; empty variables count as unset", () => {
    const config = readConfig({
      TARGET_URL: "crate://h:4200",
      TARGET_TABLE: "t",
      KEY_SCHEMA: "",
      DEAD_LETTER_URL: " ",
    });
    expect(config).toMatchObject({
      keySchema: undefined,
      numbers: undefined,
      timeoutMs: 10_000,
      retryAttempts: DEFAULT_RETRY.attempts,
      inFlight: undefined,
      deadLetter: undefined,
      tombstoneRetentionMs: undefined,
      logLevel: "info",
      format: "dynamodb",
    });
  });

  it("HISTORY=true keeps the change history, partitioned by HISTORY_PARTITION; other values are refused", () => {
    const base = { TARGET_URL: "crate://h:4200", TARGET_TABLE: "t" };
    expect(readConfig(base).history).toBeUndefined();
    expect(readConfig({ ...base, HISTORY: "false" }).history).toBeUndefined();
    expect(readConfig({ ...base, HISTORY: "true" }).history).toEqual({});
    expect(readConfig({ ...base, HISTORY: "TRUE", HISTORY_PARTITION: "day" }).history).toEqual({
      partition: "day",
    });
    expect(problemsOf({ ...base, HISTORY: "yes" })).toEqual(['HISTORY="yes": use true or false']);
    expect(problemsOf({ ...base, HISTORY: "true", HISTORY_PARTITION: "week" })).toEqual([
      'HISTORY_PARTITION="week": use one of month, day',
    ]);
    expect(problemsOf({ ...base, HISTORY_PARTITION: "day" })).toEqual([
      "HISTORY_PARTITION partitions the table HISTORY=true keeps: set HISTORY=true, or remove it",
    ]);
  });

  it("an empty environment: one error naming both missing settings", () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/TARGET_SECRET_ARN.*TARGET_URL/);
    expect(problems[1]).toMatch(/TARGET_TABLE/);
  });

  it("lists every problem at once", () => {
    const problems = problemsOf({
      TARGET_URL: "mysql://u:hunter22@h/db",
      TARGET_TABLE: "a.b.c",
      KEY_SCHEMA: "id:X",
      NUMBER_FORMAT: "float",
      SINK_TIMEOUT_MS: "-1",
      SINK_RETRY_ATTEMPTS: "two",
      SINK_IN_FLIGHT: "0",
      DEAD_LETTER_URL: "arn:aws:sqs:us-east-1:123456789012:dlq",
      TOMBSTONE_RETENTION_HOURS: "0",
      LOG_LEVEL: "verbose",
      MESSAGE_FORMAT: "dms",
    });
    expect(problems).toHaveLength(11);
    for (const name of [
      "TARGET_URL",
      "TARGET_TABLE",
      "KEY_SCHEMA",
      "NUMBER_FORMAT",
      "SINK_TIMEOUT_MS",
      "SINK_RETRY_ATTEMPTS",
      "SINK_IN_FLIGHT",
      "DEAD_LETTER_URL",
      "TOMBSTONE_RETENTION_HOURS",
      "LOG_LEVEL",
      "MESSAGE_FORMAT",
    ]) {
      expect(
        problems.some((p) => p.startsWith(name)),
        name,
      ).toBe(true);
    }
    // Never the password, even of a URL that is refused.
    expect(problems.join("\n")).not.toContain("hunter22");
  });

  it("refuses settings that contradict each other", () => {
    expect(
      problemsOf({
        TARGET_URL: "postgresql://h/db",
        TARGET_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        TARGET_TABLE: "orders",
        CRATEDB_TABLE: "other",
        DEAD_LETTER_URL: "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        DEAD_LETTER_TABLE: "dead",
      }),
    ).toEqual([
      expect.stringMatching(/TARGET_URL and TARGET_SECRET_ARN are both set/),
      expect.stringMatching(/TARGET_TABLE and CRATEDB_TABLE differ/),
      expect.stringMatching(/DEAD_LETTER_URL and DEAD_LETTER_TABLE are both set/),
    ]);
    expect(
      problemsOf({
        TARGET_URL: "postgresql://h/db",
        TARGET_TABLE: "orders",
        DEAD_LETTER_TABLE: "orders",
      }),
    ).toEqual([expect.stringMatching(/DEAD_LETTER_TABLE is the target table/)]);
  });

  it("accepts the reference's CRATEDB_SQLALCHEMY_URL and CRATEDB_TABLE, and ignores its other variables", () => {
    const config = readConfig({
      CRATEDB_SQLALCHEMY_URL: "crate://admin:pw@cratedb.example:4200/?ssl=true",
      CRATEDB_TABLE: "transactions",
      MESSAGE_FORMAT: "dynamodb",
      LOG_LEVEL: "INFO",
      ON_ERROR: "exit",
      USE_BATCH_PROCESSING: "false",
      SQL_ECHO: "false",
      COLUMN_TYPES: "",
    });
    expect(config.target).toEqual({
      kind: "url",
      url: "crate://admin:pw@cratedb.example:4200/?ssl=true",
    });
    expect(config.table).toEqual({ schema: undefined, name: "transactions" });
    expect(config.logLevel).toBe("info");
    expect(
      readConfig({ CRATEDB_SQLALCHEMY_URL: "crate://h", CRATEDB_TABLE: "t", LOG_LEVEL: "WARNING" })
        .logLevel,
    ).toBe("warn");
  });
});

describe("sinkUrlFromSecret", () => {
  const ID = "prod/dynacrate";

  it("takes a URL, JSON with url, and the RDS-style JSON for PostgreSQL and CrateDB", () => {
    expect(sinkUrlFromSecret("postgresql://u:p4ss@h:5432/db\n", ID).url).toBe(
      "postgresql://u:p4ss@h:5432/db",
    );
    expect(
      sinkUrlFromSecret(JSON.stringify({ url: "crate://u:p4ss@h:4200?ssl=true" }), ID).url,
    ).toBe("crate://u:p4ss@h:4200?ssl=true");
    const rds = {
      engine: "postgres",
      host: "db.cluster-x.us-east-1.rds.amazonaws.com",
      port: 5432,
      username: "replicator",
      password: "p@ss/w:rd?#",
      dbname: "analytics",
    };
    const resolved = sinkUrlFromSecret(JSON.stringify(rds), ID);
    expect(resolved.url).toBe(
      "postgresql://replicator:p%40ss%2Fw%3Ard%3F%23@db.cluster-x.us-east-1.rds.amazonaws.com:5432/analytics",
    );
    expect(decodeURIComponent(new URL(resolved.url).password)).toBe(rds.password);
    expect(resolved.sensitive).toContain(rds.password);
    expect(
      sinkUrlFromSecret(
        JSON.stringify({
          engine: "cratedb",
          host: "x.cratedb.net",
          port: "4200",
          username: "admin",
          password: "pw12",
          ssl: true,
        }),
        ID,
      ).url,
    ).toBe("crate://admin:pw12@x.cratedb.net:4200?ssl=true");
    expect(
      sinkUrlFromSecret(JSON.stringify({ host: "h", username: "u", password: "pw12" }), ID).url,
    ).toBe("postgresql://u:pw12@h:5432/postgres");
  });

  it("lists every problem of the JSON, and never repeats the secret's text", () => {
    expect(() =>
      sinkUrlFromSecret(JSON.stringify({ engine: "mysql", port: 99999, password: "hunter22" }), ID),
    ).toThrow(/engine "mysql"[\s\S]*"host" is missing[\s\S]*"port"[\s\S]*"username" is missing/);
    // The port by the one rule for whole numbers: decimal digits only.
    for (const port of ["0x10", "1e3", " 5432", 54.32, true])
      expect(
        () =>
          sinkUrlFromSecret(
            JSON.stringify({ host: "h", port, username: "u", password: "pw12" }),
            ID,
          ),
        String(port),
      ).toThrow(/"port" must be a port number/);
    try {
      sinkUrlFromSecret("hunter22-just-a-password", ID);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/not a URL/);
      expect((error as Error).message).not.toContain("hunter22");
    }
  });
});

describe("secrets from Secrets Manager (fake endpoint)", () => {
  let aws: FakeAws;
  let target: PgTarget;
  beforeAll(async () => {
    aws = await startFakeAws();
    target = await pgTarget();
  });
  afterAll(async () => {
    await aws?.close();
    await target?.close();
  });

  it("is fetched once, and a failed fetch is tried again", async () => {
    const client = aws.secretsClient();
    const id = "arn:aws:secretsmanager:us-east-1:123456789012:secret:once-AbCdEf";
    const before = aws.secretCalls;
    await expect(resolveSecret(id, client)).rejects.toThrow(
      /GetSecretValue failed \(ResourceNotFoundException/,
    );
    aws.secrets.set(id, "postgresql://u:pw12@h:5432/db");
    expect((await resolveSecret(id, client)).url).toBe("postgresql://u:pw12@h:5432/db");
    expect((await resolveSecret(id, client)).url).toBe("postgresql://u:pw12@h:5432/db");
    expect(aws.secretCalls - before).toBe(2);
  });

  it("the handler replicates with the URL from the secret; no password is logged", async () => {
    const id = "dynacrate/handler";
    const url = new URL(target.url);
    const password = decodeURIComponent(url.password);
    aws.secrets.set(
      id,
      JSON.stringify({
        engine: "postgres",
        host: url.hostname,
        port: Number(url.port),
        username: decodeURIComponent(url.username),
        password,
        dbname: url.pathname.slice(1),
      }),
    );
    const table = target.table("secret");
    const lambda = testLambda(
      { TARGET_SECRET_ARN: id, TARGET_TABLE: table.name, LOG_LEVEL: "debug" },
      { secretsClient: aws.secretsClient() },
    );
    try {
      const before = aws.secretCalls;
      for (let i = 0; i < 2; i++) {
        const event = lambdaKinesisEvent([
          kinesisDynamoRecord({ keys: { id: { S: `s${i}` } }, millis: BASE_MILLIS + i }),
        ]);
        expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      }
      expect(aws.secretCalls - before).toBe(1);
      expect([...(await target.live(table)).keys()].sort()).toEqual(["s0", "s1"]);
      expect(lambda.lines.join("\n")).not.toContain(password);
    } finally {
      await lambda.close();
    }
  });

  it("a missing secret fails the invocation; once it exists, the next invocation works", async () => {
    const id = "dynacrate/later";
    const table = target.table("later");
    const lambda = testLambda(
      { TARGET_SECRET_ARN: id, TARGET_TABLE: table.name },
      { secretsClient: aws.secretsClient() },
    );
    try {
      const event = lambdaKinesisEvent([kinesisDynamoRecord({ keys: { id: { S: "l0" } } })]);
      await expect(lambda.handler(event)).rejects.toThrow(/secretsmanager:GetSecretValue/);
      expect(lambda.logs().at(-1)).toMatchObject({ level: "error", msg: "not ready" });
      aws.secrets.set(id, JSON.stringify({ url: target.url }));
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
    } finally {
      await lambda.close();
    }
  });

  it("refused credentials: the batch is reported, and the next invocation fetches the (rotated) secret again", async () => {
    const id = "dynacrate/rotated";
    const wrong = new URL(target.url);
    wrong.password = "not-the-password";
    aws.secrets.set(id, wrong.toString());
    const table = target.table("rotated");
    const lambda = testLambda(
      { TARGET_SECRET_ARN: id, TARGET_TABLE: table.name },
      { secretsClient: aws.secretsClient() },
    );
    try {
      const before = aws.secretCalls;
      const event = lambdaKinesisEvent([kinesisDynamoRecord({ keys: { id: { S: "r0" } } })]);
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: event.Records[0]?.kinesis.sequenceNumber }],
      });
      expect(
        lambda.logs().some((l) => l.msg === "sink failed fatally; the next invocation reconnects"),
      ).toBe(true);
      aws.secrets.set(id, target.url);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect(aws.secretCalls - before).toBe(2);
      expect(lambda.lines.join("\n")).not.toContain("not-the-password");
    } finally {
      await lambda.close();
    }
  });
});
