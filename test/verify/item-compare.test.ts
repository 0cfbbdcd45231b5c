// The item comparison under CrateDB's `--numbers double`: a number, alone or
// in a number set, equal to DynamoDB's only once rounded to a double is no
// difference and is counted in `rounded`; one that differs as a double is.

import { describe, expect, it } from "vitest";
import type { AttributeMap } from "../../src/codec/types.ts";
import { parseExactJson } from "../../src/verify/exact-json.ts";
import { compareItem } from "../../src/verify/item-compare.ts";

const BIG = "63466713628992038183871270763352285687";
const item = { id: { S: "a" }, n: { N: BIG }, ns: { NS: ["-1", "0.5", BIG] } } as AttributeMap;

function row(data: string) {
  return { pk: parseExactJson('{"id":"a"}'), data: parseExactJson(data), aux: null };
}

describe("compareItem with numbers held as doubles", () => {
  it("counts a number and a number set's members equal once rounded, in any order, as rounded", () => {
    const doubles = { rounded: 0 };
    const found = compareItem(
      item,
      row('{"n":6.346671362899204E37,"ns":[6.346671362899204E37,-1.0,0.5]}'),
      {
        keyNames: ["id"],
        doubles,
      },
    );
    expect(found).toEqual([]);
    expect(doubles.rounded).toBe(2);
  });

  it("reports a set member that differs as a double, and every rounded member when doubles are not expected", () => {
    const doubles = { rounded: 0 };
    const wrong = row('{"n":6.346671362899204E37,"ns":[6.3E37,-1.0,0.5]}');
    expect(compareItem(item, wrong, { keyNames: ["id"], doubles })).toEqual([
      `ns: DynamoDB <-1,0.5,${BIG}>, sink [6.3E37,-1.0,0.5]`,
    ]);
    const rounded = row('{"n":6.346671362899204E37,"ns":[6.346671362899204E37,-1.0,0.5]}');
    expect(compareItem(item, rounded, { keyNames: ["id"] })).toHaveLength(2);
  });
});
