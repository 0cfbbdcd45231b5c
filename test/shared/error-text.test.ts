// How an error is shown (src/error-text.ts): the message of anything thrown,
// and in a log line the cause chain and the stack.

import { describe, expect, it } from "vitest";
import { causesOf, errorFields, errorMessage } from "../../src/error-text.ts";
import { SinkError } from "../../src/sink/sink-error.ts";

describe("error text", () => {
  it("the message of an Error, the text of anything else thrown", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage("a string")).toBe("a string");
    expect(errorMessage(undefined)).toBe("undefined");
  });

  it("a log line's fields keep the cause chain, the nearest first, and the stack", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      name: "SystemError",
    });
    const wrapped = new SinkError("transient", "the target database failed", undefined, {
      cause: new Error("pool closed", { cause: refused }),
    });
    expect(errorFields(wrapped)).toEqual({
      error: "the target database failed",
      errorType: "SinkError",
      causes: ["Error: pool closed", "SystemError: connect ECONNREFUSED 127.0.0.1:5432"],
      stack: expect.stringMatching(/^SinkError: the target database failed\n\s+at /),
    });
    expect(errorFields("thrown text")).toEqual({ error: "thrown text" });
  });

  it("a cause that is not an Error is shown as text; a cycle ends the chain", () => {
    expect(causesOf(new Error("a", { cause: { code: 7 } }))).toEqual(["[object Object]"]);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(causesOf(a)).toEqual(["Error: b"]);
  });
});
