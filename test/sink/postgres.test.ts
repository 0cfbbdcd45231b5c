// The PostgreSQL sink on a live server: table creation under concurrent
// writers, and errors translated by SQLSTATE class.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresSink, translate } from "../../src/sink/postgres.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
beforeAll(async () => {
  target = await pgTarget();
});
afterAll(async () => {
  await target?.close();
});

describe("PostgresSink", () => {
  it("creates one table from many writers at once (several Lambda containers on a fresh table)", async () => {
    const table = target.table("race");
    const sinks = Array.from({ length: 8 }, () => new PostgresSink({ url: target.url }));
    try {
      await Promise.all(sinks.map((sink) => sink.ensureTable(table, undefined)));
      const rows = await target.sink.query<{ n: number }>({
        sql: "SELECT count(*)::int AS n FROM information_schema.views WHERE table_name = $1",
        params: [table.name],
      });
      expect(rows[0]?.n).toBe(1);
    } finally {
      await Promise.all(sinks.map((sink) => sink.close()));
    }
  });

  it("translates errors by SQLSTATE class: connection errors retry, data errors blame a row, the rest stop", () => {
    expect(translate({ code: "08006", message: "connection failure" }).kind).toBe("transient");
    expect(translate({ code: "40P01", message: "deadlock" }).kind).toBe("transient");
    expect(translate({ code: "22P05", message: "unsupported Unicode escape sequence" }).kind).toBe(
      "rejected",
    );
    expect(translate({ code: "23502", message: "null value" }).kind).toBe("rejected");
    expect(translate({ code: "42P01", message: "relation does not exist" }).kind).toBe("fatal");
    expect(translate({ code: "28P01", message: "password authentication failed" }).kind).toBe(
      "fatal",
    );
    expect(
      translate(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })).kind,
    ).toBe("transient");
  });
});
