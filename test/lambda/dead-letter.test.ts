// The pieces of the dead-letter path that need no database: which failures
// are dead-lettered, which record the response names, the SQS message body
// (size limit, truncation) and the dead-letter table's SQL for both dialects
// (CrateDB's checked against CrateDB's grammar).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sqlparse } from "@cratedb/cratedb-sqlparse";
import { describe, expect, it } from "vitest";
import {
  type DeadLetter,
  deadLetterCandidates,
  deadLetterOf,
} from "../../src/dead-letter/destination.ts";
import { DeadLetterFile } from "../../src/dead-letter/file.ts";
import { messageBody, SQS_MAX_BYTES } from "../../src/dead-letter/sqs.ts";
import { createDeadLetterTable, insertDeadLetters } from "../../src/dead-letter/table.ts";
import { RecordError } from "../../src/errors.ts";
import { batchResponse, WholeBatchRetry } from "../../src/lambda/batch-response.ts";
import type { FailedRecord } from "../../src/pipeline/batch-result.ts";
import { SinkError } from "../../src/sink/sink-error.ts";
import { cratedb, parseTableName, postgresql } from "../../src/sql/index.ts";

function failure(
  index: number,
  permanent: boolean,
  position: string | undefined = `${1000 + index}`,
): FailedRecord {
  const error = permanent
    ? new RecordError(`r${index}`, "dynamodb.NewImage.x.N", "bad")
    : new SinkError("transient", "PostgreSQL: connection refused");
  return { index, ref: `r${index}`, position, error, permanent, payload: { i: index } };
}

describe("batchResponse", () => {
  it("names the first failed record in delivery order, whatever the order of the list", () => {
    expect(batchResponse([failure(7, true), failure(3, false), failure(5, true)]).response).toEqual(
      {
        batchItemFailures: [{ itemIdentifier: "1003" }],
      },
    );
  });

  it("is an empty list when nothing failed", () => {
    expect(batchResponse([])).toEqual({ response: { batchItemFailures: [] } });
  });

  it("throws instead of reporting an empty or missing identifier (which would fail the batch silently)", () => {
    const unnamed = { ...failure(2, true), position: undefined };
    expect(batchResponse([unnamed, failure(4, true)]).retry).toBeInstanceOf(WholeBatchRetry);
    expect(batchResponse([failure(2, true, "")]).retry?.message).toMatch(/no sequence number/);
  });
});

describe("deadLetterCandidates", () => {
  it("takes the permanent failures before the first transient one: Lambda redelivers the rest anyway", () => {
    const failed = [failure(6, true), failure(1, true), failure(4, false), failure(2, true)];
    expect(deadLetterCandidates(failed).map((f) => f.index)).toEqual([1, 2]);
    expect(deadLetterCandidates([failure(0, false), failure(1, true)])).toEqual([]);
  });

  it("a letter carries reason, field, ref, position, the stream ARN and the decoded record", () => {
    const letter = deadLetterOf(failure(1, true), {
      eventSourceARN: "arn:aws:kinesis:us-east-1:1:stream/s",
      kinesis: {},
    });
    expect(letter).toEqual({
      index: 1,
      reason: "record r1, field dynamodb.NewImage.x.N: bad",
      field: "dynamodb.NewImage.x.N",
      ref: "r1",
      position: "1001",
      eventSourceARN: "arn:aws:kinesis:us-east-1:1:stream/s",
      record: { i: 1 },
    });
    const undecodable = { ...failure(2, true), payload: undefined };
    expect(deadLetterOf(undecodable, { kinesis: { data: "!!" } }).record).toEqual({
      kinesis: { data: "!!" },
    });
  });
});

describe("SQS message body", () => {
  const letter = (record: unknown): DeadLetter => ({
    index: 0,
    reason: "record r0: bad",
    field: undefined,
    ref: "r0",
    position: "42",
    eventSourceARN: "arn:x",
    record,
  });

  it("is the letter as JSON when it fits", () => {
    expect(JSON.parse(messageBody(letter({ a: 1 })))).toEqual({
      reason: "record r0: bad",
      ref: "r0",
      position: "42",
      eventSourceARN: "arn:x",
      record: { a: 1 },
    });
  });

  it.each([
    ["ASCII", "x"],
    ["quotes and backslashes (escaping doubles them)", '"\\'],
    ["multi-byte characters", "ü表😀"],
  ])("truncates a record over the limit and says so: %s", (_name, unit) => {
    const record = { blob: unit.repeat(Math.ceil((SQS_MAX_BYTES * 1.5) / unit.length)) };
    const body = messageBody(letter(record));
    expect(Buffer.byteLength(body, "utf8")).toBeLessThanOrEqual(SQS_MAX_BYTES);
    const parsed = JSON.parse(body);
    expect(parsed.recordTruncated).toBe(true);
    expect(parsed.recordBytes).toBe(Buffer.byteLength(JSON.stringify(record), "utf8"));
    expect(JSON.stringify(record).startsWith(parsed.record.slice(0, -2))).toBe(true);
    expect(parsed.record.length).toBeGreaterThan(SQS_MAX_BYTES / 8);
  });

  it("escapes the two characters SQS refuses that JSON leaves as they are (U+FFFE, U+FFFF)", () => {
    const body = messageBody(letter({ s: "a\uFFFEb\uFFFF" }));
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(body).record.s).toBe("a\uFFFEb\uFFFF");
  });
});

describe("dead-letter table SQL", () => {
  const table = parseTableName("ops.orders_dead");
  const letters: DeadLetter[] = [0, 1].map((i) => ({
    index: i,
    reason: `bad \u0000 ${i}`,
    field: i === 0 ? "dynamodb.Keys.id.S" : undefined,
    ref: `r${i}`,
    position: `${i}`,
    eventSourceARN: "arn:x",
    record: { s: "a\u0000b" },
  }));

  it("PostgreSQL: text columns, $n parameters, no NUL in any text", () => {
    const [schema, create] = createDeadLetterTable(postgresql, table);
    expect(schema?.sql).toBe('CREATE SCHEMA IF NOT EXISTS "ops"');
    expect(create?.sql).toMatch(
      /^CREATE TABLE IF NOT EXISTS "ops"\."orders_dead" \("position" text, /,
    );
    const insert = insertDeadLetters(postgresql, table, letters);
    expect(insert.sql).toContain(
      "VALUES ($1, $2, $3, $4, $5, $6, CURRENT_TIMESTAMP), ($7, $8, $9, $10, $11, $12, CURRENT_TIMESTAMP)",
    );
    expect(insert.params).toHaveLength(12);
    for (const param of insert.params)
      if (typeof param === "string") expect(param).not.toContain("\u0000");
    expect(JSON.parse(insert.params[5] as string)).toEqual({ s: "a\u0000b" });
  });

  it("CrateDB: statements CrateDB's grammar accepts, ? parameters", () => {
    const statements = [
      ...createDeadLetterTable(cratedb, table),
      insertDeadLetters(cratedb, table, letters),
    ];
    for (const s of statements) expect(() => sqlparse(s.sql, true), s.sql).not.toThrow();
    expect(statements[0]?.sql).toContain(
      '"record" TEXT INDEX OFF STORAGE WITH (columnstore = false)',
    );
    expect(statements[1]?.sql).toContain(
      "VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP), (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
    );
  });
});

describe("dead-letter file", () => {
  it("is a destination like SQS and the table: one JSON line per letter, appended, sent by index", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dynacrate-dlq-"));
    const path = join(dir, "dlq.ndjson");
    writeFileSync(path, '{"earlier":true}\n');
    const file = new DeadLetterFile(path);
    const letter = (index: number) =>
      deadLetterOf(
        {
          index,
          ref: `e${index}`,
          position: String(index),
          error: new RecordError(`e${index}`, "dynamodb.NewImage.v.N", "not a number"),
          permanent: true,
          payload: { eventID: `e${index}` },
        },
        undefined,
      );
    const outcome = await file.send([letter(3), letter(7)]);
    await file.close();
    expect([...outcome.sent]).toEqual([3, 7]);
    expect(outcome.refused.size).toBe(0);
    const lines = readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ earlier: true });
    expect(lines.slice(1).map((l) => [l.ref, l.field, l.record])).toEqual([
      ["e3", "dynamodb.NewImage.v.N", { eventID: "e3" }],
      ["e7", "dynamodb.NewImage.v.N", { eventID: "e7" }],
    ]);
    rmSync(dir, { recursive: true, force: true });
  });
});
