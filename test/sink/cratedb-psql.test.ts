// The README's CrateDB statements (its sql blocks: the queries of "The
// table", the numeric-key queries, the DDL, the MongoDB query), run as a user
// runs them: with psql, over CrateDB's PostgreSQL wire protocol, against rows
// dynacrate replicated into a live CrateDB (values of several types under one
// name included). Runs where CRATEDB_URL and CRATEDB_PSQL_PORT are set (the
// ../shared/cratedb/start script sets both) and psql is installed.

import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceRecords } from "../../src/codec/source-record.ts";
import type { AttributeMap } from "../../src/codec/types.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { type CrateDbHttpSink, createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { stateTable } from "../../src/sql/table-name.ts";
import { dropTables, tableNames } from "../support/drop-tables.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";

const url = process.env.CRATEDB_URL;
const psqlPort = process.env.CRATEDB_PSQL_PORT;
const hasPsql = (() => {
  try {
    execFileSync("psql", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const SKIP_REASON = !url
  ? "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite"
  : !psqlPort
    ? "CRATEDB_PSQL_PORT is not set (CrateDB's PostgreSQL port; ../shared/cratedb/start sets it)"
    : !hasPsql
      ? "psql is not installed"
      : undefined;
if (SKIP_REASON) console.log(`cratedb-psql.test.ts skipped: ${SKIP_REASON}`);

const run = promisify(execFile);

/** Every line of the README's ```sql blocks, statements joined where they span lines. */
function readmeSql(): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  return [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] as string)
      .replace(/\n(?=\s)/g, " ")
      .split("\n")
      .filter((line) => line.trim() !== ""),
  );
}

/** The README's CrateDB queries of "The table" section over `relation` (`orders` or `events`). */
function readmeQueries(relation: "orders" | "events"): string[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## The table"), readme.indexOf("## Sinks"));
  const lines = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] as string).split("\n"),
  );
  const pattern = new RegExp(` FROM ${relation}\\b`);
  return lines
    .filter((line) => pattern.test(line) && (relation === "events" || /-- CrateDB/.test(line)))
    .map((line) => (line.split("--")[0] as string).trim());
}

describe.skipIf(SKIP_REASON !== undefined)(
  `the README's CrateDB queries over psql${SKIP_REASON ? ` (skipped: ${SKIP_REASON})` : ""}`,
  () => {
    let sink: CrateDbHttpSink;
    const { tables, fresh } = tableNames();
    const table = fresh("orders");
    const events = fresh("events");
    const items: AttributeMap[] = [
      {
        id: { S: "o1" },
        price: { N: "9.5" },
        tags: { SS: ["new"] },
        status: { S: "open" },
        v: { N: "42" },
        PageCount: { L: [{ N: "600" }, { S: "approx" }] },
      },
      { id: { S: "o2" }, status: { S: "closed" }, v: { S: "forty-two" } },
      { id: { S: "o3" }, status: { S: "open" }, v: { N: "41.5" }, PageCount: { N: "12" } },
    ];

    const psql = async (sql: string) => {
      const { stdout } = await run("psql", [
        "-h",
        "127.0.0.1",
        "-p",
        psqlPort as string,
        "-U",
        "crate",
        "-d",
        "doc",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        sql,
      ]);
      return stdout.trim().split("\n").filter(Boolean).sort();
    };

    beforeAll(async () => {
      sink = createCrateDbHttpSink({ url: url as string });
      const pipeline = new ApplyPipeline(sink, {
        table,
        keySchema: [{ name: "id", type: "S" }],
      });
      const result = await pipeline.apply(
        items.flatMap((item, i) =>
          sourceRecords({
            eventID: `p-${i}`,
            eventName: "INSERT",
            eventSource: "aws:dynamodb",
            dynamodb: {
              ApproximateCreationDateTime: 1_720_000_000_000_000 + i,
              ApproximateCreationDateTimePrecision: "MICROSECOND",
              Keys: { id: item.id },
              NewImage: item,
            },
          }),
        ),
      );
      expect(result.failed).toEqual([]);
      const keyed = new ApplyPipeline(sink, {
        table: events,
        keySchema: [{ name: "ts", type: "N" }],
      });
      const numbers = [
        "1720740233.012",
        "1720745000",
        "12345678901234567891",
        "12345678901234567890",
      ];
      const written = await keyed.apply(
        numbers.flatMap((ts, i) =>
          sourceRecords(
            kinesisDynamoRecord({
              keys: { ts: { N: ts } },
              newImage: { ts: { N: ts }, n: { N: String(i) } },
              micros: 1_720_000_000_000_000 + i,
            }),
          ),
        ),
      );
      expect(written.failed).toEqual([]);
      for (const t of [table, events])
        await sink.query({
          sql: `REFRESH TABLE ${sink.dialect.quoteTable(stateTable(t))}`,
          params: [],
        });
    });
    afterAll(async () => {
      if (sink) await dropTables(sink, tables);
      await sink?.close();
    });

    it("finds the README's queries of `orders`", () => {
      expect(readmeQueries("orders").length).toBeGreaterThanOrEqual(4);
      expect(readmeQueries("events").length).toBe(4);
    });

    it("runs each of them over psql, with the rows each promises", async () => {
      const view = `"${table.name}"`;
      const answers = new Map<string, string[]>();
      for (const query of readmeQueries("orders"))
        answers.set(query, await psql(query.replace(/\borders\b/, view)));
      const [open, both, filtered, asText] = [...answers.values()];
      // psql prints an array as {...}.
      expect(open).toEqual(['o1|9.5|{"new"}', "o3||"]);
      expect(both).toEqual(["o1|42.0|", "o2||forty-two", "o3|41.5|"]);
      expect(filtered).toEqual(["o1", "o3"]);
      expect(asText).toEqual([
        'o1|{"PageCount":[600.0,"approx"]}',
        'o2|{"v":"forty-two"}',
        // A row with nothing moved has an empty aux.
        "o3|{}",
      ]);
    });

    it("runs the README's numeric-key queries over psql: as numbers, and exactly as text", async () => {
      const view = `"${events.name}"`;
      const [key, range, equal, exact] = await Promise.all(
        readmeQueries("events").map((query) => psql(query.replace(/\bevents\b/, view))),
      );
      expect(key).toEqual(["12345678901234567891"]);
      expect(range).toEqual(['1720740233.012|{"n":0.0}', '1720745000|{"n":1.0}']);
      expect(equal).toEqual(['{"n":0.0}']);
      expect(exact).toEqual(['{"n":2.0}']);
    });

    it("runs every other CrateDB statement of the README over psql: its DDL (which dynacrate adopts) and its MongoDB query", async () => {
      const statements = readmeSql();
      const ddl = statements.filter((line) => /^CREATE (TABLE|OR REPLACE VIEW) "orders/.test(line));
      expect(ddl).toHaveLength(2);
      const adopted = fresh("adopted");
      for (const statement of ddl)
        await psql(statement.replaceAll('"orders', `"${adopted.name}`).replace(/;$/, ""));
      // The README's layout is dynacrate's own: the sink writes through it.
      const pipeline = new ApplyPipeline(sink, {
        table: adopted,
        keySchema: [{ name: "id", type: "S" }],
      });
      const result = await pipeline.apply(
        sourceRecords(
          kinesisDynamoRecord({
            keys: { id: { S: "x" } },
            newImage: { id: { S: "x" }, n: { N: "1" } },
          }),
        ),
      );
      expect(result.failed).toEqual([]);

      const mongo = statements.filter((line) => /pk\['oid'\]/.test(line));
      expect(mongo).toHaveLength(1);
      const collection = fresh("mongo");
      const documents = new ApplyPipeline(sink, {
        table: collection,
        keySchema: [{ name: "oid", type: "S" }],
      });
      const written = await documents.apply(
        sourceRecords(
          kinesisDynamoRecord({
            keys: { oid: { S: "o-1" } },
            newImage: {
              oid: { S: "o-1" },
              status: { S: "paid" },
              total: { N: "5" },
              customer: { M: { id: { S: "c-17" } } },
            },
          }),
        ),
      );
      expect(written.failed).toEqual([]);
      await sink.query({
        sql: `REFRESH TABLE ${sink.dialect.quoteTable(stateTable(collection))}`,
        params: [],
      });
      const query = ((mongo[0] as string).split("--")[0] as string).trim();
      expect(await psql(query.replace(/\borders\b/, `"${collection.name}"`))).toEqual([
        "o-1|paid|5.0",
      ]);
    });

    it("reads a mixed list through aux_text over psql, where aux['v'] can not be sent", async () => {
      const view = `"${table.name}"`;
      await expect(psql(`SELECT aux['PageCount'] FROM ${view}`)).rejects.toThrow(/Cannot cast/);
      expect(await psql(`SELECT pk['id'], aux_text['PageCount'] FROM ${view}`)).toEqual([
        'o1|[600.0,"approx"]',
        "o2|",
        // o3's number was the first PageCount value for its `data` column.
        "o3|",
      ]);
    });
  },
);
