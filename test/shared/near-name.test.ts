// "Did you mean": a name differing only in case wins, else the closest typo
// (a swap of neighbours counts as one edit), and nothing when no name is close.

import { describe, expect, it } from "vitest";
import { nearName } from "../../src/near-name.ts";

describe("nearName", () => {
  it.each([
    ["forum", ["Forum", "Thread"], "Forum"],
    ["Froum", ["Forum", "Thread"], "Forum"],
    ["partitonKey", ["partitionKey", "sortKey", "name"], "partitionKey"],
    ["sourc", ["source", "target", "table"], "source"],
    ["Reply", ["Forum", "Thread"], undefined],
    ["ab", ["xy"], undefined],
    ["orders", ["orders"], undefined],
  ])("%s among %j: %s", (name, candidates, expected) => {
    expect(nearName(name, candidates)).toBe(expected);
  });
});
