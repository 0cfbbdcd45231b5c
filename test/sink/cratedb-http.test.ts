// Tests of the CrateDB HTTP sink and its request bodies, against the fake
// CrateDB endpoint of test/support/fake-cratedb.ts (no CrateDB runs in CI; the
// live suite beside this file runs the sink against a real one).

import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import { parseChange } from "../../src/codec/parse-change.ts";
import { type EncodedRow, encodeRow } from "../../src/codec/row.ts";
import { sourceRecords } from "../../src/codec/source-record.ts";
import { ConfigError, InternalError } from "../../src/errors.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { bulkSqlBody, sqlBody, toJson } from "../../src/sink/cratedb-body.ts";
import {
  type CrateDbHttpSink,
  type CrateDbHttpSinkOptions,
  crateDbErrorKind,
  createCrateDbHttpSink,
} from "../../src/sink/cratedb-http.ts";
import type { RetryPolicy } from "../../src/sink/retry.ts";
import { SinkError } from "../../src/sink/sink-error.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { RawJson } from "../../src/sql/statement.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import {
  type FakeCrateDb,
  type FakeCrateDbOptions,
  startFakeCrateDb,
} from "../support/fake-cratedb.ts";
import { BASE_MILLIS, type KinesisDynamoSpec, kinesisDynamoRecord } from "../support/fixtures.ts";

const KEYS: KeySchema = [{ name: "id", type: "S" }];
const FAST: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
const PASSWORD = "s3cr3t-Pa55word";
const SELECT_1 = { sql: "SELECT 1", params: [] };

let tableCounter = 0;
function freshTable(): TableName {
  tableCounter++;
  return { schema: undefined, name: `t${tableCounter}` };
}
const stateName = (table: TableName) => `${table.schema ?? "doc"}.${table.name}__state`;

const FORMAT = cratedb.rowFormat();
/** A row as the pipeline hands it over: a Kinesis record through the real codec. */
function encoded(spec: KinesisDynamoSpec): EncodedRow {
  return encodeRow(parseChange(kinesisDynamoRecord(spec)), FORMAT);
}
function put(id: string, attributes: Record<string, string>, millis = BASE_MILLIS): EncodedRow {
  const image: Record<string, { S: string }> = { id: { S: id } };
  for (const [name, value] of Object.entries(attributes)) image[name] = { S: value };
  return encoded({ keys: { id: { S: id } }, newImage: image, millis });
}

const fakes: FakeCrateDb[] = [];
const sinks: CrateDbHttpSink[] = [];
async function fake(options?: FakeCrateDbOptions): Promise<FakeCrateDb> {
  const server = await startFakeCrateDb(options);
  fakes.push(server);
  return server;
}
/**
 * A sink on the fake; one request a batch unless a test asks for more, so
 * that the fake's scripted answers meet the rows they are written for.
 */
function sink(options: Partial<CrateDbHttpSinkOptions> & { url: string }): CrateDbHttpSink {
  const created = createCrateDbHttpSink({ retry: FAST, inFlight: 1, ...options });
  sinks.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** The rejection of `promise`, which must be a SinkError. */
async function sinkError(promise: Promise<unknown>): Promise<SinkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SinkError);
  return error as SinkError;
}

describe("request bodies (cratedb-body.ts)", () => {
  it("splices RawJson byte for byte: 42.0 stays 42.0, 20 significant digits stay 20", () => {
    const data = new RawJson('{"a":42.0,"b":12345678901234567890.5,"c":[1.50,-0.0]}');
    const body = bulkSqlBody("INSERT INTO t (pk, data) VALUES (?, ?)", [
      [new RawJson('{"id":"x"}'), data],
      [new RawJson('{"id":"y"}'), null],
    ]);
    expect(body).toBe(
      '{"stmt":"INSERT INTO t (pk, data) VALUES (?, ?)","bulk_args":[' +
        '[{"id":"x"},{"a":42.0,"b":12345678901234567890.5,"c":[1.50,-0.0]}],[{"id":"y"},null]]}',
    );
    expect(() => JSON.parse(body)).not.toThrow();
  });

  it("writes ordinary values as JSON.stringify does, and RawJson nested in them", () => {
    expect(sqlBody('SELECT "a" FROM t WHERE x = ?', ['quote " and \\ and \u2028 and é'])).toBe(
      `{"stmt":${JSON.stringify('SELECT "a" FROM t WHERE x = ?')},"args":${JSON.stringify(['quote " and \\ and \u2028 and é'])}}`,
    );
    expect(toJson([null, undefined, true, false, 0, -1.5, 1e21])).toBe(
      "[null,null,true,false,0,-1.5,1e+21]",
    );
    expect(toJson(12345678901234567890n)).toBe("12345678901234567890");
    expect(toJson(new Date(1_720_742_633_012))).toBe("1720742633012");
    expect(toJson({ a: new RawJson("1.0"), b: undefined, c: [new RawJson('{"x":2.50}')] })).toBe(
      '{"a":1.0,"c":[{"x":2.50}]}',
    );
    expect(toJson(Object.assign(Object.create(null), { n: 1 }))).toBe('{"n":1}');
  });

  it("leaves args out when there are none", () => {
    expect(sqlBody("SELECT 1", [])).toBe('{"stmt":"SELECT 1"}');
  });

  it("refuses what JSON.stringify would silently change", () => {
    // A bug of the caller's, never an outage: InternalError.
    expect(() => toJson(Number.NaN)).toThrow(InternalError);
    expect(() => toJson(Number.POSITIVE_INFINITY)).toThrow(InternalError);
    expect(() => toJson(new Date(Number.NaN))).toThrow(InternalError);
    expect(() => toJson(new Map())).toThrow(/Map/);
    expect(() => toJson(() => 1)).toThrow(InternalError);
    expect(() => toJson(Symbol("s"))).toThrow(InternalError);
    expect(() => toJson(new RawJson(""))).toThrow(InternalError);
  });
});

describe("crateDbErrorKind: CrateDB error codes (reference, HTTP endpoint, error codes)", () => {
  it.each([
    [4000, "rejected"],
    [4003, "rejected"],
    [4008, "rejected"],
    [4043, "rejected"],
    [4091, "rejected"],
    [4092, "transient"],
    [4010, "fatal"],
    [4011, "fatal"],
    [4041, "fatal"],
    [4045, "fatal"],
    [40410, "fatal"],
    [4031, "fatal"],
    [5000, "transient"],
    [5002, "transient"],
    [5030, "transient"],
  ] as const)("%i is %s", (code, kind) => {
    expect(crateDbErrorKind(code)).toBe(kind);
  });
});

describe("CrateDbHttpSink", () => {
  describe("ensureTable", () => {
    it("creates the state table and the view once per sink, with JSON headers and no REFRESH", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await Promise.all([s.ensureTable(table, KEYS), s.ensureTable(table, KEYS)]);
      await s.ensureTable(table, KEYS);
      expect(server.statements("CREATE TABLE IF NOT EXISTS")).toHaveLength(1);
      expect(server.statements("CREATE OR REPLACE VIEW")).toHaveLength(1);
      expect(server.tables.get(stateName(table))?.keyColumns).toEqual(["id"]);
      expect(server.views.get(`doc.${table.name}`)).toMatchObject({
        source: stateName(table),
        liveOnly: true,
      });
      const headers = server.requests[0]?.headers;
      expect(headers?.["content-type"]).toBe("application/json");
      expect(headers?.accept).toBe("application/json");
      expect(headers?.authorization).toBeUndefined();
      expect(server.requests.every((r) => r.path === "/_sql")).toBe(true);
    });

    it("does not remember a failure: the next call runs the statements again", async () => {
      const server = await fake();
      const s = sink({ url: server.url, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      const table = freshTable();
      server.fail({ kind: "shards-unavailable" });
      expect((await sinkError(s.ensureTable(table, KEYS))).kind).toBe("transient");
      await s.ensureTable(table, KEYS);
      expect(server.tables.has(stateName(table))).toBe(true);
    });

    it("creates a composite key and honours the schema option (Default-Schema header)", async () => {
      const server = await fake();
      const s = sink({ url: server.url, schema: "replica" });
      const table = freshTable();
      await s.ensureTable(table, [
        { name: "pk", type: "S" },
        { name: "sk", type: "N" },
      ]);
      expect(server.requests[0]?.headers["default-schema"]).toBe("replica");
      expect(server.tables.get(`replica.${table.name}__state`)?.keyColumns).toEqual(["pk", "sk"]);
    });
  });

  describe("write", () => {
    it("writes rows with one bulk request and counts them applied; stale stays 0", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const result = await s.write(table, [put("a", { v: "1" }), put("b", { v: "2" })], KEYS);
      expect(result).toEqual({
        applied: 2,
        stale: 0,
        duplicates: 0,
        staleUnknown: true,
        failedRows: new Map(),
        routedToAux: 0,
      });
      expect(server.statements("INSERT")).toHaveLength(1);
      expect(server.row(stateName(table), { id: "a" })).toMatchObject({
        data: { v: "1" },
        deleted: false,
      });
      expect(server.statements("REFRESH")).toHaveLength(0);
    });

    it("writes nothing and sends nothing for no rows", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      expect(await s.write(freshTable(), [], KEYS)).toEqual({
        applied: 0,
        stale: 0,
        duplicates: 0,
        staleUnknown: true,
        failedRows: new Map(),
      });
      expect(server.requests).toHaveLength(0);
    });

    it("reports rows with rowcount -2 by index, with CrateDB's reason, and applies the others", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const rows = [
        put("a", {}),
        put("b", { note: "__fail_row__" }),
        put("c", {}),
        put("d", { x: "__fail_row__" }),
      ];
      const result = await s.write(table, rows, KEYS);
      expect(result.applied).toBe(2);
      expect([...result.failedRows.keys()]).toEqual([1, 3]);
      const error = result.failedRows.get(1) as SinkError;
      expect(error.kind).toBe("rejected");
      expect(error.code).toBe("4000");
      expect(error.message).toContain("Cannot cast object element");
      expect(error.message).toContain(rows[1]?.change.ref);
      expect(server.row(stateName(table), { id: "b" })).toBeUndefined();
      expect(server.row(stateName(table), { id: "c" })).toBeDefined();
      expect(server.statements("INSERT")).toHaveLength(1);
    });

    it("reports -2 rows without a reason as CrateDB before 5.10 (and after the 10th failure) gives them", async () => {
      const server = await fake({ rowErrorDetails: false });
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const result = await s.write(table, [put("a", { n: "__fail_row__" }), put("b", {})], KEYS);
      const error = result.failedRows.get(0) as SinkError;
      expect(error.kind).toBe("rejected");
      expect(error.code).toBe("-2");
      expect(error.message).toMatch(/rowcount -2, no reason given/);
      expect(result.applied).toBe(1);
    });

    it("sends a large batch in chunks of maxRowsPerRequest and maps failures back to the batch's indexes", async () => {
      const server = await fake();
      const s = sink({ url: server.url, maxRowsPerRequest: 10 });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const rows = Array.from({ length: 25 }, (_, i) =>
        put(`k${i}`, i === 23 || i === 4 ? { m: "__fail_row__" } : {}),
      );
      const result = await s.write(table, rows, KEYS);
      const inserts = server
        .statements("INSERT")
        .map((r) => (JSON.parse(r.body) as { bulk_args: unknown[] }).bulk_args.length);
      expect(inserts).toEqual([10, 10, 5]);
      expect(result.applied).toBe(23);
      expect([...result.failedRows.keys()]).toEqual([4, 23]);
      expect(server.tables.get(stateName(table))?.rows.size).toBe(23);
    });

    it("with inFlight N cuts a batch into at least N requests and sends them at once", async () => {
      const server = await fake();
      const s = sink({ url: server.url, maxRowsPerRequest: 10, inFlight: 3 });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      // Slow answers, so that the requests of the batch overlap.
      server.fail(...Array.from({ length: 3 }, () => ({ kind: "delay" as const, ms: 150 })));
      const rows = Array.from({ length: 25 }, (_, i) =>
        put(`k${i}`, i === 4 || i === 23 ? { m: "__fail_row__" } : {}),
      );
      const result = await s.write(table, rows, KEYS);
      const inserts = server
        .statements("INSERT")
        .map((r) => (JSON.parse(r.body) as { bulk_args: unknown[] }).bulk_args.length);
      expect(inserts.sort((a, b) => a - b)).toEqual([8, 8, 9]);
      expect(server.mostAtOnce).toBe(3);
      expect(result.applied).toBe(23);
      expect([...result.failedRows.keys()]).toEqual([4, 23]);
      expect(server.tables.get(stateName(table))?.rows.size).toBe(23);
    });

    it("with inFlight N cuts a batch into a multiple of N requests of about one size, none left alone at the end", async () => {
      const server = await fake();
      const s = sink({ url: server.url, maxRowsPerRequest: 10, inFlight: 2 });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const rows = Array.from({ length: 50 }, (_, i) => put(`k${i}`, {}));
      const result = await s.write(table, rows, KEYS);
      const inserts = server
        .statements("INSERT")
        .map((r) => (JSON.parse(r.body) as { bulk_args: unknown[] }).bulk_args.length);
      // Five requests of 10 would leave the fifth alone for a whole turn.
      expect(inserts.sort((a, b) => a - b)).toEqual([8, 8, 8, 8, 9, 9]);
      expect(result.applied).toBe(50);
    });

    it("with inFlight N throws a failed request only after the others of the batch are answered", async () => {
      const server = await fake();
      const s = sink({
        url: server.url,
        maxRowsPerRequest: 10,
        inFlight: 2,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      server.fail({ kind: "http-503" }, { kind: "delay", ms: 150 });
      const rows = Array.from({ length: 20 }, (_, i) => put(`k${i}`, {}));
      await expect(s.write(table, rows, KEYS)).rejects.toBeInstanceOf(SinkError);
      // The slow request was written before the error reached the pipeline.
      expect(server.tables.get(stateName(table))?.rows.size).toBe(10);
    });

    it("also cuts chunks by size (maxBytesPerRequest); a row larger than the limit goes alone", async () => {
      const server = await fake();
      const s = sink({ url: server.url, maxBytesPerRequest: 2000 });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const rows = [
        put("a", { v: "x".repeat(700) }),
        put("b", { v: "x".repeat(700) }),
        put("c", { v: "x".repeat(700) }),
        put("d", { v: "x".repeat(5000) }),
        put("e", {}),
      ];
      const result = await s.write(table, rows, KEYS);
      expect(result.applied).toBe(5);
      const sent = server
        .statements("INSERT")
        .map((r) => (JSON.parse(r.body) as { bulk_args: unknown[] }).bulk_args.length);
      expect(sent).toEqual([2, 1, 1, 1]);
    });

    it("throws a refusal of the whole request (4003) as rejected, without retrying, having written nothing", async () => {
      const server = await fake();
      const s = sink({ url: server.url, retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 1 } });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const error = await sinkError(
        s.write(table, [put("a", {}), put("b", { p: "__poison__" })], KEYS),
      );
      expect(error.kind).toBe("rejected");
      expect(error.code).toBe("4003");
      expect(error.message).toMatch(/error 4003: ColumnValidationException.*\(HTTP 400\)/);
      expect(server.statements("INSERT")).toHaveLength(1);
      expect(server.tables.get(stateName(table))?.rows.size).toBe(0);
    });

    it("lets the pipeline split a refused batch down to the poison record; every other record lands", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      const pipeline = new ApplyPipeline(s, { table, keySchema: KEYS });
      const records = Array.from({ length: 8 }, (_, i) =>
        kinesisDynamoRecord({
          keys: { id: { S: `r${i}` } },
          newImage: { id: { S: `r${i}` }, v: { S: i === 5 ? "__poison__" : `v${i}` } },
        }),
      );
      const result = await pipeline.apply(records.flatMap((r) => sourceRecords(r)));
      expect(result.applied).toBe(7);
      expect(result.failed.map((f) => [f.index, f.permanent])).toEqual([[5, true]]);
      expect((result.failed[0]?.error as SinkError | undefined)?.code).toBe("4003");
      expect(server.tables.get(stateName(table))?.rows.size).toBe(7);
    });

    it("retries 503 and 5002 answers with backoff, then succeeds", async () => {
      const server = await fake();
      const retries: [string | undefined, number][] = [];
      const s = sink({
        url: server.url,
        retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 },
        onRetry: (error, attempt) => retries.push([error.code, attempt]),
      });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      server.fail({ kind: "http-503" }, { kind: "shards-unavailable" });
      const result = await s.write(table, [put("a", {})], KEYS);
      expect(result.applied).toBe(1);
      expect(server.statements("INSERT")).toHaveLength(3);
      expect(retries).toEqual([
        ["503", 1],
        ["5002", 2],
      ]);
    });

    it("throws a persistent 5002 as transient after the policy's attempts", async () => {
      const server = await fake();
      const s = sink({ url: server.url, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      server.fail(...Array.from({ length: 10 }, () => ({ kind: "shards-unavailable" as const })));
      const error = await sinkError(s.write(table, [put("a", {})], KEYS));
      expect(error.kind).toBe("transient");
      expect(error.code).toBe("5002");
      expect(error.message).toContain("ShardsUnavailable");
      expect(server.statements("INSERT")).toHaveLength(3);
    });

    it("re-sends only the rows that failed with a cluster error (per-row 5002), then counts them applied", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      server.fail({ kind: "rows-unavailable", marker: "shard-2" });
      const rows = [put("a", {}), put("b", { s: "shard-2" }), put("c", { m: "__fail_row__" })];
      const result = await s.write(table, rows, KEYS);
      expect(result.applied).toBe(2);
      expect([...result.failedRows.keys()]).toEqual([2]);
      const sent = server
        .statements("INSERT")
        .map((r) => (JSON.parse(r.body) as { bulk_args: unknown[] }).bulk_args.length);
      expect(sent).toEqual([3, 1]);
      expect(server.row(stateName(table), { id: "b" })).toBeDefined();
    });

    it("throws a per-row cluster error that does not pass as transient, not as a refused row", async () => {
      const server = await fake();
      const s = sink({ url: server.url, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      server.fail(
        { kind: "rows-unavailable", marker: "shard-2" },
        { kind: "rows-unavailable", marker: "shard-2" },
      );
      const error = await sinkError(
        s.write(table, [put("a", {}), put("b", { s: "shard-2" })], KEYS),
      );
      expect(error.kind).toBe("transient");
      expect(error.code).toBe("5002");
    });

    it("treats a request that outlasts timeoutMs as transient, and a retry that lands is harmless", async () => {
      const server = await fake();
      const table = freshTable();
      const once = sink({
        url: server.url,
        timeoutMs: 100,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      await once.ensureTable(table, KEYS);
      server.fail({ kind: "delay", ms: 400 });
      const started = Date.now();
      const error = await sinkError(once.write(table, [put("a", { v: "1" })], KEYS));
      expect(Date.now() - started).toBeLessThan(350);
      expect(error.kind).toBe("transient");
      expect(error.code).toBe("TIMEOUT");
      expect(error.message).toMatch(/within 100 ms/);

      const retrying = sink({ url: server.url, timeoutMs: 100 });
      server.fail({ kind: "delay", ms: 400 });
      const result = await retrying.write(table, [put("a", { v: "1" })], KEYS);
      expect(result.applied).toBe(1);
      await server.handled();
      // The slow request was written too, after the client gave up: still one row, same value.
      expect(server.tables.get(stateName(table))?.rows.size).toBe(1);
      expect(server.row(stateName(table), { id: "a" })?.data).toEqual({ v: "1" });
    });

    it("treats a connection dropped mid-request as transient, and retries it", async () => {
      const server = await fake();
      const table = freshTable();
      const once = sink({ url: server.url, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      await once.ensureTable(table, KEYS);
      server.fail({ kind: "drop" });
      const error = await sinkError(once.write(table, [put("a", {})], KEYS));
      expect(error.kind).toBe("transient");
      expect(error.code).toBe("CONNECTION_CLOSED");

      server.fail({ kind: "drop" });
      expect((await sink({ url: server.url }).write(table, [put("a", {})], KEYS)).applied).toBe(1);
    });

    it("treats a refused connection as transient after the policy's attempts", async () => {
      const closed = await fake();
      const url = closed.url;
      await closed.close();
      fakes.splice(fakes.indexOf(closed), 1);
      let attempts = 0;
      const s = sink({ url, onRetry: () => attempts++ });
      const error = await sinkError(s.write(freshTable(), [put("a", {})], KEYS));
      expect(error.kind).toBe("transient");
      expect(error.code).toBe("ECONNREFUSED");
      expect(attempts).toBe(FAST.attempts - 1);
    });

    it("treats an answer that is not HTTP as transient, naming the HTTP parser's code", async () => {
      const sockets = new Set<Socket>();
      const other = createNetServer((socket) => {
        sockets.add(socket);
        socket.once("data", () => socket.end("SSH-2.0-OpenSSH_9.6\r\n"));
      });
      await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
        const once = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
        const error = await sinkError(sink({ url, retry: once }).query(SELECT_1));
        expect(error.kind).toBe("transient");
        expect(error.code).toMatch(/^HPE_/);
        expect(error.message).toContain(`(${error.code})`);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => other.close(resolve));
      }
    });

    it("refuses a schema that can not be sent in a header as fatal, sending nothing", async () => {
      const server = await fake();
      const error = await sinkError(
        sink({ url: server.url, schema: "doc\r\nx: y" }).query(SELECT_1),
      );
      expect(error.kind).toBe("fatal");
      expect(error.message).toMatch(/request to CrateDB at .* is invalid/);
      expect(server.requests).toHaveLength(0);
    });

    it("throws writing to a table that does not exist as fatal (4041), naming the fix", async () => {
      const server = await fake();
      const error = await sinkError(
        sink({ url: server.url }).write(freshTable(), [put("a", {})], KEYS),
      );
      expect(error.kind).toBe("fatal");
      expect(error.code).toBe("4041");
      expect(error.message).toMatch(/RelationUnknown.*HTTP 404.*create it/);
      expect(server.statements("INSERT")).toHaveLength(1);
    });
  });

  describe("numbers and the version guard", () => {
    it("sends RawJson numbers byte-exact: 42.0 and 12345678901234567890.5 arrive as written", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const data = '{"a":42.0,"b":12345678901234567890.5}';
      await s.write(table, [{ ...put("n", {}), data }], KEYS);
      const body = server.statements("INSERT")[0]?.body ?? "";
      expect(body).toContain(`[{"id":"n"},{"id":"n"},${data},{},null,false,`);
    });

    it("the codec's numbers reach CrateDB in floating-point form (42 as 42.0), so DYNAMIC columns come out DOUBLE", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const row = encoded({
        keys: { id: { S: "n" } },
        newImage: { id: { S: "n" }, a: { N: "42" }, b: { N: "42.5" } },
      });
      await s.write(table, [row], KEYS);
      expect(server.statements("INSERT")[0]?.body).toContain('{"a":42.0,"b":42.5}');
    });

    it("keeps the newest version: newer overwrites, older and equal change nothing, a tombstone keeps late inserts out", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      const stored = () => server.row(stateName(table), { id: "k" });
      const t = BASE_MILLIS;

      await s.write(table, [put("k", { v: "first" }, t)], KEYS);
      await s.write(table, [put("k", { v: "newer" }, t + 10)], KEYS);
      expect(stored()?.data).toEqual({ v: "newer" });

      const stale = await s.write(table, [put("k", { v: "older" }, t + 5)], KEYS);
      // CrateDB counts the guarded row as updated: the sink can not report it stale.
      expect(stale).toEqual({
        applied: 1,
        stale: 0,
        duplicates: 0,
        staleUnknown: true,
        failedRows: new Map(),
        routedToAux: 0,
      });
      await s.write(table, [put("k", { v: "same time" }, t + 10)], KEYS);
      expect(stored()?.data).toEqual({ v: "newer" });

      const remove = encoded({ eventName: "REMOVE", keys: { id: { S: "k" } }, millis: t + 20 });
      await s.write(table, [remove], KEYS);
      expect(stored()).toMatchObject({ deleted: true, data: null });
      await s.write(table, [put("k", { v: "late insert" }, t + 15)], KEYS);
      expect(stored()).toMatchObject({ deleted: true, data: null });

      await s.write(table, [put("other", { v: "live" }, t)], KEYS);
      const live = await s.query<{ pk: unknown; data: unknown }>(cratedb.selectLive(table));
      expect(live).toEqual([{ pk: { id: "other" }, data: { v: "live" }, aux: {} }]);
    });
  });

  describe("query", () => {
    it("turns cols and rows into objects keyed by column name, with parameters", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      await s.write(table, [put("a", { v: "1" }), put("b", { v: "2" })], KEYS);
      const rows = await s.query({
        sql: `SELECT "data", "version" FROM "${table.name}__state" WHERE "pk"['id'] = ?`,
        params: ["b"],
      });
      expect(rows).toEqual([{ data: { v: "2" }, version: expect.any(String) }]);
      expect(JSON.parse(server.requests.at(-1)?.body ?? "")).toMatchObject({ args: ["b"] });
    });

    it("throws a statement CrateDB can not parse as rejected (4000)", async () => {
      const server = await fake();
      const error = await sinkError(
        sink({ url: server.url }).query({ sql: "SELEC 1", params: [] }),
      );
      expect(error.kind).toBe("rejected");
      expect(error.code).toBe("4000");
    });
  });

  describe("malformed answers", () => {
    let odd: Server;
    let oddUrl: string;
    let answer: { status: number; body: string };
    beforeAll(async () => {
      odd = createServer((request, response) => {
        let body = "";
        request.on("data", (chunk) => {
          body += chunk;
        });
        request.on("end", () => {
          // The sink first reads the table's key layout and columns; the odd answers are for the writes.
          const layout = body.includes("information_schema.key_column_usage");
          const lookup = layout || body.includes("information_schema.columns");
          response.writeHead(lookup ? 200 : answer.status, { "content-type": "application/json" });
          response.end(
            layout
              ? '{"cols":["layout"],"rows":[["text-key"]],"rowcount":1}'
              : lookup
                ? '{"cols":["column_name","data_type"],"rows":[],"rowcount":0}'
                : answer.body,
          );
        });
      });
      await new Promise<void>((resolve) => odd.listen(0, "127.0.0.1", resolve));
      oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      odd.closeAllConnections();
      await new Promise((resolve) => odd.close(resolve));
    });

    it.each([
      [
        "fewer results than rows",
        200,
        '{"cols":[],"duration":1,"results":[{"rowcount":1}]}',
        /1 results for 2 rows/,
      ],
      ["no results array", 200, '{"cols":[],"rows":[],"rowcount":2}', /without a results array/],
      [
        "a result without rowcount",
        200,
        '{"cols":[],"results":[{},{"rowcount":1}]}',
        /no numeric rowcount/,
      ],
      ["HTML", 200, "<html>proxy</html>", /not a JSON object/],
    ])("%s is transient and retried", async (_name, status, body, message) => {
      answer = { status, body };
      let retried = 0;
      const s = sink({ url: oddUrl, onRetry: () => retried++ });
      const error = await sinkError(s.write(freshTable(), [put("a", {}), put("b", {})], KEYS));
      expect(error.kind).toBe("transient");
      expect(error.code).toBe("MALFORMED");
      expect(error.message).toMatch(message);
      expect(retried).toBe(FAST.attempts - 1);
    });

    it.each([
      [404, "fatal", /no CrateDB _sql endpoint/],
      [413, "rejected", /lower maxRowsPerRequest/],
      [502, "transient", /HTTP 502/],
      [504, "transient", /HTTP 504/],
    ] as const)("HTTP %i without CrateDB's error object is %s", async (status, kind, message) => {
      answer = { status, body: "" };
      const error = await sinkError(
        sink({ url: oddUrl }).write(freshTable(), [put("a", {})], KEYS),
      );
      expect(error.kind).toBe(kind);
      expect(error.code).toBe(String(status));
      expect(error.message).toMatch(message);
    });

    it("an error object in a bulk result means failure whatever its rowcount (crate/crate#18088)", async () => {
      answer = {
        status: 200,
        body: '{"cols":[],"results":[{"rowcount":0,"error":{"code":4091,"message":"DuplicateKeyException[A document with the same primary key exists already]"}}]}',
      };
      const result = await sink({ url: oddUrl }).write(freshTable(), [put("a", {})], KEYS);
      expect(result.applied).toBe(0);
      expect(result.failedRows.get(0)?.code).toBe("4091");
    });
  });

  describe("credentials", () => {
    const auth = { username: "crate_writer", password: PASSWORD };
    const token = Buffer.from(`crate_writer:${PASSWORD}`).toString("base64");

    it("sends HTTP Basic authentication when a username is given", async () => {
      const server = await fake({ auth });
      const s = sink({ url: server.url, ...auth });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      expect((await s.write(table, [put("a", {})], KEYS)).applied).toBe(1);
      expect(server.requests.every((r) => r.headers.authorization === `Basic ${token}`)).toBe(true);
    });

    it("takes credentials from the URL into the header, not the request line", async () => {
      const server = await fake({ auth });
      const url = new URL(server.url);
      url.username = auth.username;
      url.password = PASSWORD;
      const s = sink({ url: url.toString() });
      await s.ensureTable(freshTable(), KEYS);
      expect(server.requests[0]?.headers.authorization).toBe(`Basic ${token}`);
      expect(server.requests[0]?.path).toBe("/_sql");
    });

    it("throws a wrong password (HTTP 401) as fatal, and missing credentials with a hint", async () => {
      const server = await fake({ auth });
      const wrong = await sinkError(
        sink({ url: server.url, username: "crate_writer", password: "nope" }).ensureTable(
          freshTable(),
          KEYS,
        ),
      );
      expect(wrong.kind).toBe("fatal");
      expect(wrong.code).toBe("401");
      expect(wrong.message).toMatch(
        /password authentication failed.*check the username and password/,
      );
      const none = await sinkError(sink({ url: server.url }).ensureTable(freshTable(), KEYS));
      expect(none.message).toMatch(/give a username and password/);
      expect(server.requests).toHaveLength(2);
    });

    it("keeps the password and its Basic token out of every error message", async () => {
      const messages: string[] = [];
      const collect = async (promise: Promise<unknown>) => {
        const error = await sinkError(promise);
        messages.push(error.message, String(error.stack));
      };
      const server = await fake({ auth: { username: "crate_writer", password: "other" } });
      const rejectAll = sink({
        url: server.url,
        ...auth,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      await collect(rejectAll.ensureTable(freshTable(), KEYS));

      const open = await fake();
      const s = sink({
        url: open.url,
        ...auth,
        timeoutMs: 100,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      await collect(s.write(table, [put("a", { p: "__poison__" })], KEYS));
      await collect(
        s.query({
          sql: `SELECT "x" FROM "${table.name}" WHERE "pk"['id'] = ?`,
          params: [PASSWORD],
        }),
      );
      open.fail({ kind: "delay", ms: 300 });
      await collect(s.write(table, [put("a", {})], KEYS));
      open.fail({ kind: "drop" });
      await collect(s.write(table, [put("a", {})], KEYS));
      const result = await s.write(table, [put("a", { note: "__fail_row__" })], KEYS);
      messages.push(...[...result.failedRows.values()].map((e) => e.message));

      const refused = await fake();
      const refusedUrl = new URL(refused.url);
      await refused.close();
      fakes.splice(fakes.indexOf(refused), 1);
      refusedUrl.username = "crate_writer";
      refusedUrl.password = PASSWORD;
      await collect(
        sink({
          url: refusedUrl.toString(),
          retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        }).write(table, [put("a", {})], KEYS),
      );
      try {
        createCrateDbHttpSink({ url: `http://crate_writer:${PASSWORD}@[bad` });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        messages.push((error as Error).message);
      }

      // A server that echoes the request (header and parameters) in its error must not leak it either.
      const echo = createServer((request, response) => {
        let body = "";
        request.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        request.on("end", () => {
          response.writeHead(400, { "content-type": "application/json" });
          const message = `SQLParseException[${request.headers.authorization} ${body}]`;
          response.end(JSON.stringify({ error: { code: 4000, message } }));
        });
      });
      await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
      const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
      await collect(sink({ url: echoUrl, ...auth }).query({ sql: "SELECT ?", params: [PASSWORD] }));
      echo.closeAllConnections();
      await new Promise((resolve) => echo.close(resolve));
      expect(messages.at(-2)).toContain("SELECT ?");

      expect(messages.length).toBeGreaterThanOrEqual(16);
      for (const message of messages) {
        expect(message).not.toContain(PASSWORD);
        expect(message).not.toContain(token);
      }
    });
  });

  describe("TLS (https URLs)", () => {
    const TLS = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "tls");
    let secure: HttpsServer;
    let secureUrl: string;
    beforeAll(async () => {
      secure = createHttpsServer(
        {
          cert: readFileSync(join(TLS, "localhost-cert.pem")),
          key: readFileSync(join(TLS, "localhost-key.pem")),
        },
        (request, response) => {
          request.resume().on("end", () => {
            response.setHeader("content-type", "application/json");
            response.end('{"cols":["x"],"rows":[[1]],"rowcount":1}');
          });
        },
      );
      await new Promise<void>((resolve) => secure.listen(0, "127.0.0.1", resolve));
      secureUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      secure.closeAllConnections();
      await new Promise((resolve) => secure.close(resolve));
    });

    it("talks to a server whose certificate is not verified when tlsRejectUnauthorized is false", async () => {
      const s = sink({ url: secureUrl, tlsRejectUnauthorized: false });
      expect(await s.query(SELECT_1)).toEqual([{ x: 1 }]);
    });

    it("refuses a certificate it can not verify as fatal, naming the fix, without retrying", async () => {
      let retried = 0;
      const error = await sinkError(
        sink({ url: secureUrl, onRetry: () => retried++ }).query(SELECT_1),
      );
      expect(error.kind).toBe("fatal");
      expect(error.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      expect(error.message).toMatch(/TLS with CrateDB at .* failed.*NODE_EXTRA_CA_CERTS/);
      expect(retried).toBe(0);
    });

    it("an https URL at a plain HTTP port is fatal, naming the scheme", async () => {
      const plain = await fake();
      const error = await sinkError(
        sink({ url: plain.url.replace(/^http:/, "https:") }).query(SELECT_1),
      );
      expect(error.kind).toBe("fatal");
      expect(error.message).toMatch(/check the URL's scheme/);
      expect(plain.requests).toHaveLength(0);
    });
  });

  describe("configuration and lifecycle", () => {
    it("refuses settings that can not work", () => {
      expect(() => createCrateDbHttpSink({ url: "ftp://host:4200" })).toThrow(
        /scheme must be http or https/,
      );
      expect(() => createCrateDbHttpSink({ url: "not a url" })).toThrow(ConfigError);
      expect(() => createCrateDbHttpSink({ url: "http://h:4200", password: "x" })).toThrow(
        /without a username/,
      );
      expect(() => createCrateDbHttpSink({ url: "http://h:4200", username: "a:b" })).toThrow(/':'/);
      expect(() => createCrateDbHttpSink({ url: "http://h:4200", maxRowsPerRequest: 0 })).toThrow(
        /positive integer/,
      );
      expect(() => createCrateDbHttpSink({ url: "http://h:4200", timeoutMs: 1.5 })).toThrow(
        /positive integer/,
      );
    });

    it("keeps a path prefix of the URL (a proxy in front of CrateDB)", async () => {
      const server = await fake();
      const error = await sinkError(
        sink({ url: `${server.url}/crate/` }).ensureTable(freshTable(), KEYS),
      );
      expect(server.requests[0]?.path).toBe("/crate/_sql");
      expect(error.kind).toBe("fatal");
    });

    it("close() lets a request on its way finish, then closes its connections", async () => {
      const server = await fake();
      const s = sink({ url: server.url });
      const table = freshTable();
      await s.ensureTable(table, KEYS);
      server.fail({ kind: "delay", ms: 200 });
      const writing = s.write(table, [put("a", {})], KEYS);
      while (server.statements("INSERT").length === 0)
        await new Promise((resolve) => setImmediate(resolve));
      await s.close();
      expect((await writing).applied).toBe(1);
      const error = await sinkError(s.write(table, [put("b", {})], KEYS));
      expect(error.message).toMatch(/closed/);
      expect(server.statements("INSERT")).toHaveLength(1);
    });

    it("is the cratedb dialect's sink, and refuses work after close()", async () => {
      const server = await fake();
      const s = createCrateDbHttpSink({ url: server.url, retry: FAST });
      expect(s.dialect).toBe(cratedb);
      await s.close();
      await s.close();
      const error = await sinkError(s.ensureTable(freshTable(), KEYS));
      expect(error.kind).toBe("fatal");
      expect(error.message).toMatch(/closed/);
      expect(server.requests).toHaveLength(0);
    });
  });
});
