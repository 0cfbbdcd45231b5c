// What the Lambda function writes: one JSON log line per batch with its
// counts, a warn line per failed record, one CloudWatch Embedded Metric Format
// line per batch, and never a secret.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricsLine } from "../../src/lambda/metrics.ts";
import { freePort } from "../../src/local/services/free-port.ts";
import { Logger } from "../../src/log.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { sequenceOf, testLambda } from "./harness.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

const record = (key: string, i: number, n = String(i)) =>
  kinesisDynamoRecord({
    keys: { id: { S: key } },
    newImage: { id: { S: key }, n: { N: n } },
    micros: BASE_MILLIS * 1000 + i,
  });

describe("the batch line and the metrics line", () => {
  it("one `batch` line with shard, counts, duration and lag; a warn line per failed record; one EMF line", async () => {
    const table = target.table("lines");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      const event = lambdaKinesisEvent(
        [record("a", 0), record("a", 1), record("b", 2, "abc"), record("c", 3)],
        {
          shardId: "shardId-000000000007",
        },
      );
      await lambda.handler(event, { awsRequestId: "req-1" });
      const batch = lambda.lastBatch();
      expect(batch).toEqual({
        time: expect.any(String),
        level: "info",
        msg: "batch",
        requestId: "req-1",
        shard: "shardId-000000000007",
        eventSourceARN: event.Records[0]?.eventSourceARN,
        records: 4,
        applied: 2,
        skipped: 1,
        superseded: 1,
        stale: 0,
        duplicates: 0,
        failed: 1,
        deadLettered: 0,
        roundedNumbers: 0,
        routedToAux: 0,
        durationMs: expect.any(Number),
        lagMs: expect.any(Number),
        coldStart: true,
        reported: sequenceOf(event, 2),
      });
      // The changes are from 2024: the lag is their age.
      expect(batch?.lagMs as number).toBeGreaterThan(Date.now() - BASE_MILLIS - 60_000);

      // The harness has no Kinesis to read the stream's retention from: that warning is left out.
      const warnings = lambda
        .logs()
        .filter((l) => l.level === "warn" && l.msg !== "stream retention unknown");
      expect(warnings).toEqual([
        expect.objectContaining({
          msg: "record failed",
          ref: expect.any(String),
          position: sequenceOf(event, 2),
          reason: expect.stringMatching(/abc/),
          field: "dynamodb.NewImage.n.N",
        }),
      ]);

      const [metrics, ...more] = lambda.metrics();
      expect(more).toEqual([]);
      expect(metrics).toEqual({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: "dynacrate",
              Dimensions: [["Table"]],
              Metrics: [
                { Name: "Records", Unit: "Count" },
                { Name: "Applied", Unit: "Count" },
                { Name: "Superseded", Unit: "Count" },
                { Name: "Stale", Unit: "Count" },
                { Name: "Duplicates", Unit: "Count" },
                { Name: "Failed", Unit: "Count" },
                { Name: "DeadLettered", Unit: "Count" },
                { Name: "RoutedToAux", Unit: "Count" },
                { Name: "LagMs", Unit: "Milliseconds" },
                { Name: "BatchDurationMs", Unit: "Milliseconds" },
              ],
            },
          ],
        },
        Table: table.name,
        Records: 4,
        Applied: 2,
        Superseded: 1,
        Stale: 0,
        Duplicates: 0,
        Failed: 1,
        DeadLettered: 0,
        RoutedToAux: 0,
        LagMs: batch?.lagMs,
        BatchDurationMs: batch?.durationMs,
      });
      // Every line is one JSON object.
      for (const line of lambda.lines) expect(() => JSON.parse(line)).not.toThrow();
    } finally {
      await lambda.close();
    }
  });

  it("an unknown lag (nothing decodable) is left out of the metrics, not written as null", () => {
    const line = JSON.parse(
      metricsLine("t", {
        records: 1,
        applied: 0,
        superseded: 0,
        stale: 0,
        duplicates: 0,
        failed: 1,
        deadLettered: 0,
        lagMs: undefined,
        durationMs: 3,
      }),
    );
    expect(
      line._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name),
    ).not.toContain("LagMs");
    expect(line).not.toHaveProperty("LagMs");
  });

  it("LOG_LEVEL=error keeps the warn and info lines out, but not the metrics", async () => {
    const lambda = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: target.table("quiet").name,
      LOG_LEVEL: "error",
    });
    try {
      await lambda.handler(lambdaKinesisEvent([record("a", 0), record("b", 1, "abc")]));
      expect(lambda.logs()).toEqual([]);
      expect(lambda.metrics()).toHaveLength(1);
    } finally {
      await lambda.close();
    }
  });
});

describe("no secret in any line", () => {
  // Characters that URL-encoding, JSON escaping and naive redaction patterns each treat differently.
  const PASSWORD = 'S3cr3t-p@ss/w:rd"\\';

  function withPassword(url: string, password = PASSWORD): string {
    const parsed = new URL(url);
    parsed.password = encodeURIComponent(password);
    return parsed.toString();
  }

  it("the password in TARGET_URL never appears: success, failures, sink down, bad configuration", async () => {
    const lines: string[] = [];
    // The database user's real password differs from PASSWORD: these runs fail to log in, connect or configure.
    const badLogin = testLambda({
      TARGET_URL: withPassword(target.url),
      TARGET_TABLE: "t1",
      LOG_LEVEL: "debug",
    });
    const down = new URL(target.url);
    down.port = String(await freePort());
    const sinkDown = testLambda({
      TARGET_URL: withPassword(down.toString()),
      TARGET_TABLE: "t2",
      LOG_LEVEL: "debug",
      SINK_RETRY_ATTEMPTS: "1",
    });
    const badConfig = testLambda({
      TARGET_URL: `mysql://u:${encodeURIComponent(PASSWORD)}@h/db`,
      TARGET_TABLE: "t3",
    });
    // And a working one, whose real password must not appear either.
    const real = decodeURIComponent(new URL(target.url).password);
    const working = testLambda({
      TARGET_URL: target.url,
      TARGET_TABLE: target.table("secret").name,
      LOG_LEVEL: "debug",
    });
    try {
      const event = lambdaKinesisEvent([record("a", 0), record("b", 1, "abc")]);
      await badLogin.handler(event);
      await sinkDown.handler(event);
      await expect(badConfig.handler(event)).rejects.toThrow(/TARGET_URL/);
      await working.handler(event);
      for (const lambda of [badLogin, sinkDown, badConfig, working]) lines.push(...lambda.lines);
      expect(lines.length).toBeGreaterThan(8);
      const all = lines.join("\n");
      for (const secret of [
        PASSWORD,
        encodeURIComponent(PASSWORD),
        JSON.stringify(PASSWORD).slice(1, -1),
        real,
      ]) {
        expect(all).not.toContain(secret);
      }
      // The failures were logged (so the check above looked at real error text).
      expect(all).toMatch(/password authentication failed|authentication/);
      expect(all).toMatch(/"msg":"container ready".*"target":"postgresql:\/\/postgres:\*\*\*@/);
    } finally {
      for (const lambda of [badLogin, sinkDown, badConfig, working]) await lambda.close();
    }
  });

  it("the logger scrubs a registered secret in its raw, URL-encoded and JSON-escaped forms", () => {
    const lines: string[] = [];
    const log = new Logger("debug", (line) => lines.push(line));
    log.addSecret(PASSWORD);
    log.info("oops", { a: PASSWORD, b: encodeURIComponent(PASSWORD), c: `x${PASSWORD}y` });
    expect(lines.join("")).not.toContain("S3cr3t");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ a: "***", b: "***", c: "x***y" });
  });
});
