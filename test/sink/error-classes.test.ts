// The error classification tables of both sinks: every entry is expected here
// by hand (row, batch, or sink with or without retry), so a changed or added
// entry needs a test; a few are also triggered on a live PostgreSQL.

import { describe, expect, it } from "vitest";
import {
  boundedMessage,
  CRATEDB_ERROR_CODES,
  crateDbErrorClass,
  crateDbErrorKind,
  httpStatusClass,
  MAX_MESSAGE_CHARS,
} from "../../src/sink/cratedb-errors.ts";
import {
  POSTGRES_ERROR_CLASSES,
  POSTGRES_ERROR_CODES,
  postgresErrorClass,
  translate,
} from "../../src/sink/postgres-errors.ts";

type Expected = "row" | "batch" | "retry" | "stop";

function classed(entry: { scope: string; retry?: boolean }): Expected {
  if (entry.scope === "sink") return entry.retry ? "retry" : "stop";
  return entry.scope as Expected;
}

const CRATEDB: Record<number, Expected> = {
  4000: "row",
  4001: "stop",
  4002: "stop",
  4003: "row",
  4004: "row",
  4005: "stop",
  4006: "stop",
  4007: "stop",
  4008: "row",
  4009: "stop",
  4010: "stop",
  4011: "stop",
  4031: "stop",
  4041: "stop",
  4042: "stop",
  4043: "row",
  4044: "stop",
  4045: "stop",
  4046: "stop",
  4047: "stop",
  4048: "stop",
  4049: "stop",
  40410: "stop",
  4091: "row",
  4092: "retry",
  4093: "stop",
  4094: "stop",
  4095: "stop",
  4096: "stop",
  4097: "stop",
  4098: "stop",
  4099: "stop",
  5000: "retry",
  5001: "retry",
  5002: "retry",
  5003: "retry",
  5004: "retry",
  5030: "retry",
};

const POSTGRES_CLASSES: Record<string, Expected> = {
  "03": "stop",
  "08": "retry",
  "09": "row",
  "0A": "stop",
  "0B": "stop",
  "0F": "stop",
  "0L": "stop",
  "0P": "stop",
  "0Z": "stop",
  "20": "stop",
  "21": "batch",
  "22": "row",
  "23": "row",
  "24": "stop",
  "25": "stop",
  "26": "stop",
  "27": "row",
  "28": "stop",
  "2B": "stop",
  "2D": "stop",
  "2F": "stop",
  "34": "stop",
  "38": "row",
  "39": "row",
  "3B": "stop",
  "3D": "stop",
  "3F": "stop",
  "40": "retry",
  "42": "stop",
  "44": "row",
  "53": "retry",
  "54": "row",
  "55": "stop",
  "57": "retry",
  "58": "retry",
  "72": "retry",
  F0: "stop",
  HV: "stop",
  P0: "row",
  XX: "retry",
};

const POSTGRES_CODES: Record<string, Expected> = {
  "23505": "row",
  "25006": "stop",
  "25P03": "retry",
  "40002": "row",
  "42P01": "stop",
  "42P10": "stop",
  "53200": "batch",
  "53400": "stop",
  "54000": "row",
  "54001": "batch",
  "54011": "stop",
  "54023": "batch",
  "55006": "retry",
  "55P03": "retry",
  "57P04": "stop",
  "58P01": "stop",
  XX001: "stop",
  XX002: "stop",
};

describe("CrateDB error codes", () => {
  it("every entry of the table has an expectation here", () => {
    expect([...CRATEDB_ERROR_CODES.keys()].sort()).toEqual(Object.keys(CRATEDB).map(Number).sort());
  });
  it.each(Object.entries(CRATEDB))("%s is %s", (code, expected) => {
    expect(classed(crateDbErrorClass(Number(code)))).toBe(expected);
  });
  it("unlisted codes fall back on their first digit: 4xxx a row's, 5xxx the cluster's", () => {
    expect(crateDbErrorKind(4999)).toBe("rejected");
    expect(crateDbErrorKind(5999)).toBe("transient");
  });
  it("a message that echoes a whole request is cut, saying how much was left out", () => {
    const echo = `SQLParseException[Can't parse [{"stmt":"INSERT","args":[{"${"n".repeat(120_000)}":1}]}]]`;
    const cut = boundedMessage(echo);
    expect(cut.length).toBeLessThan(MAX_MESSAGE_CHARS + 40);
    expect(cut).toMatch(/^SQLParseException\[Can't parse/);
    expect(cut).toMatch(/\.\.\. \(118,\d{3} more characters\)$/);
    expect(boundedMessage("short")).toBe("short");
  });

  it("a missing table or schema is marked as such (the relay reports a dropped target)", () => {
    expect(crateDbErrorClass(4041).missingRelation).toBe(true);
    expect(crateDbErrorClass(4045).missingRelation).toBe(true);
    expect(crateDbErrorClass(4043).missingRelation).toBeUndefined();
  });
  it.each([
    [401, "stop"],
    [403, "stop"],
    [404, "stop"],
    [413, "batch"],
    [429, "retry"],
    [503, "retry"],
    [302, "stop"],
    [418, "stop"],
  ] as const)("HTTP %i without an error object is %s", (status, expected) => {
    expect(classed(httpStatusClass(status, true))).toBe(expected);
  });
});

describe("PostgreSQL SQLSTATEs", () => {
  it("every class and code of the tables has an expectation here", () => {
    expect([...POSTGRES_ERROR_CLASSES.keys()].sort()).toEqual(Object.keys(POSTGRES_CLASSES).sort());
    expect([...POSTGRES_ERROR_CODES.keys()].sort()).toEqual(Object.keys(POSTGRES_CODES).sort());
  });
  it.each(Object.entries(POSTGRES_CLASSES))("class %s is %s", (sqlClass, expected) => {
    // A code of the class that has no entry of its own.
    expect(classed(postgresErrorClass(`${sqlClass}ZZZ`))).toBe(expected);
  });
  it.each(Object.entries(POSTGRES_CODES))("%s is %s", (code, expected) => {
    expect(classed(postgresErrorClass(code))).toBe(expected);
  });
  it("an oversized key (54000, index row size) is the row's failure, not the sink's", () => {
    expect(translate({ code: "54000", message: "index row size 3100 exceeds" }).kind).toBe(
      "rejected",
    );
  });
  it("an unknown class stops rather than blame a row; no SQLSTATE is a network fault", () => {
    expect(translate({ code: "ZZ000", message: "?" }).kind).toBe("fatal");
    expect(
      translate(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })).kind,
    ).toBe("transient");
  });
});
