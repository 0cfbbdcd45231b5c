// Partial batch responses and dead letters against a live PostgreSQL (and the
// fake SQS endpoint of fake-aws.ts). A poison record in the middle of a batch
// must be named by its sequence number (FACTS.md section 3: Lambda restarts
// from the lowest reported one), everything before it applied; with a
// dead-letter destination it is set aside and the batch succeeds; an
// unreachable sink is reported from the first record and nothing is
// dead-lettered.

import type { KinesisStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AttributeMap } from "../../src/codec/types.ts";
import { SQS_MAX_BYTES } from "../../src/dead-letter/sqs.ts";
import { freePort } from "../../src/local/services/free-port.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import {
  BASE_MILLIS,
  kinesisDynamoRecord,
  lambdaKinesisEvent,
  lambdaStreamsEvent,
  streamsRecord,
} from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { type FakeAws, startFakeAws } from "./fake-aws.ts";
import { sequenceOf, testLambda } from "./harness.ts";

let target: PgTarget;
let aws: FakeAws;
beforeAll(async () => {
  target = await pgTarget();
  aws = await startFakeAws();
});
afterAll(async () => {
  await aws?.close();
  await target?.close();
});

const id = (value: string): AttributeMap => ({ id: { S: value } });
const good = (key: string, i: number) =>
  kinesisDynamoRecord({
    keys: id(key),
    newImage: { ...id(key), n: { N: String(i) } },
    millis: BASE_MILLIS + i,
  });
/** Undecodable: "abc" is not a DynamoDB number. */
const notANumber = (key: string, i: number) =>
  kinesisDynamoRecord({
    keys: id(key),
    newImage: { ...id(key), price: { N: "abc" } },
    millis: BASE_MILLIS + i,
  });
/** Decodes fine, but PostgreSQL refuses it: jsonb can not store U+0000. */
const nulString = (key: string, i: number) =>
  kinesisDynamoRecord({
    keys: id(key),
    newImage: { ...id(key), note: { S: "a\u0000b" } },
    millis: BASE_MILLIS + i,
  });

/** Five records, the poison in the middle (index 2). */
function batchWithPoison(poison: (key: string, i: number) => unknown): KinesisStreamEvent {
  return lambdaKinesisEvent([
    good("r0", 0),
    good("r1", 1),
    poison("r2", 2),
    good("r3", 3),
    good("r4", 4),
  ]);
}

async function deadLetterRows(table: string) {
  return target.sink.query<{
    position: string;
    ref: string;
    reason: string;
    field: string | null;
    record: string;
    event_source_arn: string;
  }>({
    sql: `SELECT position, ref, reason, field, record, event_source_arn, failed_at FROM ${target.sink.dialect.quoteIdentifier(table)} ORDER BY position`,
    params: [],
  });
}

/** A handler whose dead-letter destination is a table beside the target's. */
function deadLetterTableLambda(prefix: string) {
  const table = target.table(prefix);
  const deadLetters = `${table.name}_dead`;
  const lambda = testLambda({
    TARGET_URL: target.url,
    TARGET_TABLE: table.name,
    DEAD_LETTER_TABLE: deadLetters,
  });
  return { table, deadLetters, lambda };
}

describe("partial batch response without a dead-letter destination", () => {
  it.each([
    ['an undecodable record ({"N": "abc"})', notANumber, "dynamodb.NewImage.price.N"],
    ["a record PostgreSQL refuses (U+0000 in a string)", nulString, undefined],
  ] as const)(
    "%s in the middle: its sequence number is reported, the records before it are applied",
    async (_name, poison, field) => {
      const table = target.table("poison");
      const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
      try {
        const event = batchWithPoison(poison);
        expect(await lambda.handler(event)).toEqual({
          batchItemFailures: [{ itemIdentifier: sequenceOf(event, 2) }],
        });
        const live = await target.live(table);
        expect(live.get("r0")).toEqual({ n: 0 });
        expect(live.get("r1")).toEqual({ n: 1 });
        expect(live.has("r2")).toBe(false);

        const failed = lambda.logs().filter((l) => l.msg === "record failed");
        expect(failed).toHaveLength(1);
        expect(failed[0]).toMatchObject({
          level: "warn",
          position: sequenceOf(event, 2),
          retryable: false,
          deadLettered: false,
        });
        if (field) expect(failed[0]?.field).toBe(field);
        expect(lambda.lastBatch()).toMatchObject({
          records: 5,
          failed: 1,
          deadLettered: 0,
          reported: sequenceOf(event, 2),
        });

        // Lambda redelivers from the reported record: the poison fails again, in first place now.
        const again = lambdaKinesisEvent([poison("r2", 2), good("r3", 3), good("r4", 4)], {
          firstSequence: sequenceOf(event, 2),
        });
        expect(await lambda.handler(again)).toEqual({
          batchItemFailures: [{ itemIdentifier: sequenceOf(event, 2) }],
        });
      } finally {
        await lambda.close();
      }
    },
  );

  it("DynamoDB Streams: the poison's SequenceNumber is reported", async () => {
    const table = target.table("poison_streams");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      const event = lambdaStreamsEvent([
        streamsRecord({ keys: id("s0") }),
        streamsRecord({ keys: id("s1"), newImage: { ...id("s1"), bad: { N: "1e999" } } }),
        streamsRecord({ keys: id("s2") }),
      ]);
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event, 1) }],
      });
      expect([...(await target.live(table)).keys()].sort()).toEqual(["s0", "s2"]);
    } finally {
      await lambda.close();
    }
  });

  it("two poisons: only the first one's sequence number is reported", async () => {
    const table = target.table("two_poisons");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      const event = lambdaKinesisEvent([
        good("t0", 0),
        nulString("t1", 1),
        good("t2", 2),
        notANumber("t3", 3),
      ]);
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event, 1) }],
      });
      expect(lambda.logs().filter((l) => l.msg === "record failed")).toHaveLength(2);
    } finally {
      await lambda.close();
    }
  });

  it("a failed record without a sequence number fails the invocation, so the whole batch is retried", async () => {
    const table = target.table("no_position");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    try {
      const event = batchWithPoison(notANumber);
      // An empty itemIdentifier would fail the batch too, but silently; throwing says why.
      (event.Records[2] as { kinesis: { sequenceNumber?: string } }).kinesis.sequenceNumber =
        undefined;
      await expect(lambda.handler(event)).rejects.toThrow(/no sequence number to report/);
      // Logged with its stack and its cause chain: the record's own error, and what it wraps.
      expect(lambda.logs().find((l) => l.msg === "batch retried whole")).toMatchObject({
        level: "error",
        error: expect.stringMatching(/no sequence number to report/),
        errorType: "WholeBatchRetry",
        causes: [expect.stringMatching(/^RecordError: /), expect.stringMatching(/^Error: /)],
        stack: expect.stringMatching(/^WholeBatchRetry: [\s\S]*\n\s+at /),
      });
    } finally {
      await lambda.close();
    }
  });
});

describe("dead-letter table (DEAD_LETTER_TABLE)", () => {
  it("both kinds of poison go to the table with their reason, and the batch succeeds", async () => {
    const { table, deadLetters, lambda } = deadLetterTableLambda("dlt");
    try {
      const event = lambdaKinesisEvent([
        good("d0", 0),
        notANumber("d1", 1),
        good("d2", 2),
        nulString("d3", 3),
        good("d4", 4),
      ]);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect([...(await target.live(table)).keys()].sort()).toEqual(["d0", "d2", "d4"]);

      const rows = await deadLetterRows(deadLetters);
      expect(rows.map((r) => r.position)).toEqual([sequenceOf(event, 1), sequenceOf(event, 3)]);
      expect(rows[0]?.reason).toMatch(/abc/);
      expect(rows[0]?.field).toBe("dynamodb.NewImage.price.N");
      expect(rows[0]?.event_source_arn).toBe(event.Records[0]?.eventSourceARN);
      expect(JSON.parse(rows[0]?.record ?? "null")).toMatchObject({ dynamodb: { Keys: id("d1") } });
      expect(rows[1]?.reason).toMatch(/PostgreSQL/);
      // The record PostgreSQL refused is stored whole, U+0000 included (as JSON text).
      expect(JSON.parse(rows[1]?.record ?? "null").dynamodb.NewImage.note.S).toBe("a\u0000b");

      expect(lambda.lastBatch()).toMatchObject({ records: 5, failed: 0, deadLettered: 2 });
      expect(lambda.metrics().at(-1)).toMatchObject({ DeadLettered: 2, Failed: 0, Records: 5 });
    } finally {
      await lambda.close();
    }
  });

  it("a record whose kinesis.data is not JSON is stored as delivered", async () => {
    const { deadLetters, lambda } = deadLetterTableLambda("dlt_raw");
    try {
      const event = lambdaKinesisEvent([good("x0", 0), "this is not JSON", good("x2", 2)]);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      const [row] = await deadLetterRows(deadLetters);
      expect(row?.field).toBe("kinesis.data");
      expect(JSON.parse(row?.record ?? "null")).toEqual(event.Records[1]);
    } finally {
      await lambda.close();
    }
  });

  it("a record whose kinesis.data is not UTF-8 fails alone, named, and is stored as delivered", async () => {
    const { table, deadLetters, lambda } = deadLetterTableLambda("dlt_utf8");
    try {
      const event = lambdaKinesisEvent([good("u0", 0), good("u1", 1), good("u2", 2)]);
      const wrapper = event.Records[1] as (typeof event.Records)[number];
      // "u1" as Latin-1 would write "ü1": the byte 0xfc, which starts no UTF-8 sequence.
      const bytes = Buffer.from(
        Buffer.from(wrapper.kinesis.data, "base64").toString("utf8").replace('"u1"', '"\u00fc1"'),
        "latin1",
      );
      wrapper.kinesis.data = bytes.toString("base64");
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect([...(await target.live(table)).keys()].sort()).toEqual(["u0", "u2"]);
      const rows = await deadLetterRows(deadLetters);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.field).toBe("kinesis.data");
      expect(rows[0]?.reason).toMatch(
        `field kinesis.data: is base64 of bytes that are not UTF-8 text (byte 0xfc at offset ${bytes.indexOf(0xfc)} starts no valid UTF-8 sequence)`,
      );
      expect(JSON.parse(rows[0]?.record ?? "null")).toEqual(wrapper);
    } finally {
      await lambda.close();
    }
  });

  it("the sink unreachable: the first record is reported and nothing is dead-lettered", async () => {
    const url = new URL(target.url);
    url.port = String(await freePort());
    const table = target.table("down");
    const lambda = testLambda({
      TARGET_URL: url.toString(),
      TARGET_TABLE: table.name,
      DEAD_LETTER_TABLE: `${table.name}_dead`,
      SINK_RETRY_ATTEMPTS: "2",
      SINK_TIMEOUT_MS: "1000",
    });
    try {
      // Good records only: a record the codec refuses (U+0000 for PostgreSQL)
      // is its own fault, outage or not.
      const event = lambdaKinesisEvent([0, 1, 2, 3, 4].map((i) => good(`r${i}`, i)));
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event, 0) }],
      });
      const failed = lambda.logs().filter((l) => l.msg === "record failed");
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((l) => l.retryable === true && l.deadLettered === false)).toBe(true);
      expect(lambda.lastBatch()).toMatchObject({ applied: 0, deadLettered: 0 });
    } finally {
      await lambda.close();
    }
  });
});

describe("dead-letter queue (DEAD_LETTER_URL, SQS)", () => {
  function sqsLambda(table: string, queue: string, extra: Record<string, string> = {}) {
    return testLambda(
      {
        TARGET_URL: target.url,
        TARGET_TABLE: table,
        DEAD_LETTER_URL: aws.queueUrl(queue),
        ...extra,
      },
      { sqsClient: aws.sqsClient() },
    );
  }
  const messagesOf = (queue: string) =>
    aws.messages
      .filter((m) => m.queueUrl === aws.queueUrl(queue))
      .map((m) => JSON.parse(m.MessageBody) as Record<string, unknown>);

  it("a poison record becomes one message {reason, field, ref, position, eventSourceARN, record}; the batch succeeds", async () => {
    const table = target.table("sqs");
    const lambda = sqsLambda(table.name, "q1");
    try {
      const event = batchWithPoison(notANumber);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      const [message, ...rest] = messagesOf("q1");
      expect(rest).toEqual([]);
      expect(message).toEqual({
        reason: expect.stringMatching(/abc/),
        field: "dynamodb.NewImage.price.N",
        ref: expect.any(String),
        position: sequenceOf(event, 2),
        eventSourceARN: event.Records[2]?.eventSourceARN,
        record: JSON.parse(
          Buffer.from(event.Records[2]?.kinesis.data ?? "", "base64").toString("utf8"),
        ),
      });
      expect([...(await target.live(table)).keys()].sort()).toEqual(["r0", "r1", "r3", "r4"]);
    } finally {
      await lambda.close();
    }
  });

  it("an entry SQS refuses stays failed and is reported; the one it took is handled", async () => {
    const table = target.table("sqs_refuse");
    const lambda = sqsLambda(table.name, "q2");
    aws.refuseWhen = (entry) => entry.MessageBody.includes('"q3"');
    try {
      const event = lambdaKinesisEvent([
        good("q0", 0),
        notANumber("q1", 1),
        good("q2", 2),
        nulString("q3", 3),
        good("q4", 4),
      ]);
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event, 3) }],
      });
      expect(messagesOf("q2").map((m) => m.position)).toEqual([sequenceOf(event, 1)]);
      const refused = lambda
        .logs()
        .find((l) => l.msg === "record failed" && l.position === sequenceOf(event, 3));
      expect(refused).toMatchObject({
        deadLettered: false,
        deadLetterError: expect.stringMatching(/refused by the fake/),
      });
      expect(lambda.lastBatch()).toMatchObject({ failed: 1, deadLettered: 1 });
    } finally {
      aws.refuseWhen = undefined;
      await lambda.close();
    }
  });

  it("SQS down: the poison stays failed and is reported", async () => {
    const table = target.table("sqs_down");
    const lambda = sqsLambda(table.name, "q3");
    aws.sqsDown = true;
    try {
      const event = batchWithPoison(notANumber);
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event, 2) }],
      });
      expect(lambda.logs().find((l) => l.msg === "record failed")).toMatchObject({
        deadLettered: false,
        deadLetterError: expect.stringMatching(/SendMessageBatch failed/),
      });
    } finally {
      aws.sqsDown = false;
      await lambda.close();
    }
  });

  it("the sink unreachable: the first record is reported and no message is sent", async () => {
    const url = new URL(target.url);
    url.port = String(await freePort());
    const lambda = sqsLambda(target.table("sqs_sink_down").name, "q4", {
      TARGET_URL: url.toString(),
      SINK_RETRY_ATTEMPTS: "2",
      SINK_TIMEOUT_MS: "1000",
    });
    try {
      const calls = aws.sqsCalls;
      const event = batchWithPoison(nulString);
      expect(await lambda.handler(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sequenceOf(event, 0) }],
      });
      expect(aws.sqsCalls).toBe(calls);
      expect(messagesOf("q4")).toEqual([]);
    } finally {
      await lambda.close();
    }
  });

  it("25 poison records go out in batches of at most 10", async () => {
    const table = target.table("sqs_many");
    const lambda = sqsLambda(table.name, "q5");
    try {
      const calls = aws.sqsCalls;
      const event = lambdaKinesisEvent(
        Array.from({ length: 25 }, (_, i) => notANumber(`m${i}`, i)),
      );
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect(aws.sqsCalls - calls).toBe(3);
      expect(messagesOf("q5").map((m) => m.position)).toEqual(
        event.Records.map((_, i) => sequenceOf(event, i)),
      );
    } finally {
      await lambda.close();
    }
  });

  it("a record larger than 256 KB is truncated, and the message says so", async () => {
    const table = target.table("sqs_big");
    const lambda = sqsLambda(table.name, "q6");
    try {
      const big = kinesisDynamoRecord({
        keys: id("big"),
        newImage: { ...id("big"), blob: { S: '"quoted" ü '.repeat(40_000) }, price: { N: "abc" } },
        millis: BASE_MILLIS,
      });
      const event = lambdaKinesisEvent([good("b0", 0), big]);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      const [raw] = aws.messages.filter((m) => m.queueUrl === aws.queueUrl("q6"));
      expect(Buffer.byteLength(raw?.MessageBody ?? "", "utf8")).toBeLessThanOrEqual(SQS_MAX_BYTES);
      const message = JSON.parse(raw?.MessageBody ?? "{}");
      expect(message).toMatchObject({
        recordTruncated: true,
        position: sequenceOf(event, 1),
        reason: expect.stringMatching(/abc/),
      });
      expect(message.recordBytes).toBeGreaterThan(SQS_MAX_BYTES);
      expect(typeof message.record).toBe("string");
      expect(JSON.stringify(big).startsWith(message.record.slice(0, 1000))).toBe(true);
    } finally {
      await lambda.close();
    }
  });
});

describe("after the batch", () => {
  it("a failing tombstone purge logs a warning and does not fail the batch", async () => {
    const table = target.table("purge");
    const lambda = testLambda({ TARGET_URL: target.url, TARGET_TABLE: table.name });
    const purge = vi
      .spyOn(ApplyPipeline.prototype, "purgeTombstones")
      .mockRejectedValueOnce(new Error("purge exploded"));
    try {
      const event = lambdaKinesisEvent([good("p0", 0)]);
      expect(await lambda.handler(event)).toEqual({ batchItemFailures: [] });
      expect(purge).toHaveBeenCalledTimes(1);
      expect(
        lambda.logs().find((l) => String(l.msg).startsWith("tombstone purge failed")),
      ).toMatchObject({
        level: "warn",
        error: "purge exploded",
      });
    } finally {
      purge.mockRestore();
      await lambda.close();
    }
  });
});
