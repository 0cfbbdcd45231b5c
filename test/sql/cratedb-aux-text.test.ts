// aux_text: each member of `aux` as text, so that values of mixed types under
// one name can be filtered and read over the PostgreSQL wire protocol.

import { describe, expect, it } from "vitest";
import { auxText } from "../../src/sql/cratedb-aux-text.ts";

describe("aux_text", () => {
  it("renders strings as themselves, numbers as decimal text, lists and maps as JSON, and leaves nulls out", () => {
    const aux =
      '{"s":"approx","n":600.0,"f":-2.5,"x":"12345678901234567890.5","b":true,"z":null,' +
      '"l":[600.0,"approx"],"m":{"k":"v","n":[1.0]},"q":"a\\"b"}';
    expect(JSON.parse(auxText(aux) as string)).toEqual({
      s: "approx",
      n: "600",
      f: "-2.5",
      x: "12345678901234567890.5",
      b: "true",
      l: '[600.0,"approx"]',
      m: '{"k":"v","n":[1.0]}',
      q: 'a"b',
    });
  });

  it("is null for no aux, an empty one, or one of nulls only", () => {
    expect(auxText(null)).toBeNull();
    expect(auxText("{}")).toBeNull();
    expect(auxText('{"z":null}')).toBeNull();
  });

  it("keeps names exactly, odd ones too", () => {
    expect(JSON.parse(auxText('{"a\\tb":1.0,"x.y":"v","":"{\\"long\\":1}"}') as string)).toEqual({
      "a\tb": "1",
      "x.y": "v",
      "": '{"long":1}',
    });
  });
});
