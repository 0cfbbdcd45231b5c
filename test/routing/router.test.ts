// A routed batch's targets are written side by side, into a real PostgreSQL:
// the second target's write starts before the first one's ends, and when the
// sink fails one target's write the other target's rows are still written
// and counted, each record's fate reported at its index in the batch. A
// record is placed by its route's attribute whether or not it decodes, and
// fails in its target's counts, or is refused when no route takes it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KeySchema } from "../../src/codec/key-schema.ts";
import type { EncodedRow } from "../../src/codec/row.ts";
import type { SourceRecord } from "../../src/codec/source-record.ts";
import { TextRecord } from "../../src/codec/text-record.ts";
import type { AttributeValue } from "../../src/codec/types.ts";
import { Router } from "../../src/routing/router.ts";
import { CLI_NAMES, parseRoute, singleTable } from "../../src/routing/table-routes.ts";
import type { Sink, WriteResult } from "../../src/sink/sink.ts";
import { SinkError } from "../../src/sink/sink-error.ts";
import { formatTableName, type TableName } from "../../src/sql/table-name.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

let micros = 1_730_000_000_000_000;
/** A change record of item `id` whose `type` is `type`, as a Kinesis record's text. */
const change = (
  id: string,
  type: string,
  more: Record<string, AttributeValue> = {},
  key = "id",
): SourceRecord =>
  new TextRecord(
    JSON.stringify(
      kinesisDynamoRecord({
        keys: { [key]: { S: id } },
        newImage: { [key]: { S: id }, type: { S: type }, ...more },
        micros: ++micros,
      }),
    ),
    { ref: id },
  );

/**
 * The test's sink over the real one: it notes when each table's creation
 * and write are asked for and when a write ends, and `around` may hold or
 * fail a write.
 */
function watchedSink(
  around: (table: TableName, write: () => Promise<WriteResult>) => Promise<WriteResult>,
) {
  const events: string[] = [];
  const sink: Sink = {
    dialect: target.sink.dialect,
    query: (statement) => target.sink.query(statement),
    appendHistory: (table, rows) => target.sink.appendHistory(table, rows),
    close: async () => {},
    ensureTable(table: TableName, keySchema: KeySchema | undefined) {
      events.push(`ensure ${table.name}`);
      return target.sink.ensureTable(table, keySchema);
    },
    async write(table: TableName, rows: EncodedRow[], keySchema: KeySchema | undefined) {
      events.push(`write ${table.name}`);
      const result = await around(table, () => target.sink.write(table, rows, keySchema));
      events.push(`written ${table.name}`);
      return result;
    },
  };
  return { sink, events };
}

describe("a routed batch", () => {
  it("writes its targets at once: the second target's write starts before the first's ends", async () => {
    const first = target.table("first");
    const second = target.table("second");
    let secondStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      secondStarted = resolve;
    });
    const { sink, events } = watchedSink(async (table, write) => {
      if (table.name === second.name) secondStarted();
      // The first target's write waits for the second's to start, once the
      // second target's commit is under way (written one after the other, it
      // is not yet, and the write goes on: the order below then fails).
      else if (events.includes(`ensure ${second.name}`)) await started;
      return write();
    });
    const router = new Router(sink, {
      routes: { ...singleTable(second), routes: [parseRoute(`type:a=${first.name}`)] },
    });

    const result = await router.apply([
      change("a1", "a"),
      change("b1", "b"),
      change("a2", "a"),
      change("b2", "b"),
    ]);

    expect(events.indexOf(`write ${second.name}`)).toBeGreaterThan(-1);
    expect(events.indexOf(`write ${second.name}`)).toBeLessThan(
      events.indexOf(`written ${first.name}`),
    );
    expect(result).toMatchObject({ records: 4, applied: 4, failed: [] });
    expect(result.tables?.map((t) => [t.table, t.applied])).toEqual([
      [formatTableName(first), 2],
      [formatTableName(second), 2],
    ]);
    expect([...(await target.live(first)).keys()].sort()).toEqual(["a1", "a2"]);
    expect([...(await target.live(second)).keys()].sort()).toEqual(["b1", "b2"]);
  });

  it("a target the sink fails does not lose the other target's rows; each failure keeps its index", async () => {
    const failing = target.table("failing");
    const working = target.table("working");
    const { sink } = watchedSink(async (table, write) => {
      if (table.name === failing.name)
        throw new SinkError("transient", "PostgreSQL: connection reset", "08006");
      return write();
    });
    const router = new Router(sink, {
      routes: { ...singleTable(working), routes: [parseRoute(`type:x=${failing.name}`)] },
    });

    const result = await router.apply([
      change("w1", "w"),
      change("x1", "x"),
      change("w2", "w"),
      change("x2", "x"),
      change("w3", "w"),
    ]);

    expect(result).toMatchObject({ records: 5, applied: 3 });
    expect(result.failed.map((f) => [f.index, f.ref, f.permanent])).toEqual([
      [1, expect.stringContaining("(x1)"), false],
      [3, expect.stringContaining("(x2)"), false],
    ]);
    expect(result.failed[0]?.error.message).toMatch("connection reset");
    expect(result.tables?.map((t) => [t.table, t.applied, t.failed])).toEqual([
      [formatTableName(working), 3, 0],
      [formatTableName(failing), 0, 2],
    ]);
    expect([...(await target.live(working)).keys()].sort()).toEqual(["w1", "w2", "w3"]);
  });

  it("places a record that does not decode by its route's attribute; one no route takes is refused first", async () => {
    const routed = target.table("routed");
    const router = new Router(target.sink, {
      routes: { table: undefined, names: CLI_NAMES, routes: [parseRoute(`type:a=${routed.name}`)] },
    });

    const result = await router.apply([
      change("a1", "a"),
      change("a2", "a", { price: { N: "twelve" } }),
      change("z1", "z", { price: { N: "twelve" } }),
      change("a3", "a", {}, "other"),
      change("a4", "a"),
    ]);

    expect(result).toMatchObject({ records: 5, applied: 2 });
    expect(result.failed.map((f) => [f.index, f.permanent, f.error.name])).toEqual([
      [1, true, "RecordError"],
      [2, true, "RoutingRefusal"],
      [3, true, "RecordError"],
    ]);
    expect(result.failed[0]?.error.message).toMatch("dynamodb.NewImage.price.N");
    expect(result.failed[1]?.error.message).toMatch(/matches no --route \(type:a=/);
    expect(result.failed[2]?.error.message).toMatch("key attribute id is missing");
    expect(result.tables?.map((t) => [t.table, t.records, t.applied, t.refused])).toEqual([
      ["", 1, 0, 1],
      [formatTableName(routed), 4, 2, 2],
    ]);
    expect([...(await target.live(routed)).keys()].sort()).toEqual(["a1", "a4"]);
  });
});
