// The CrateDB type model's rules for new sub-columns: a value fits only where
// every sub-column it needs exists or can be declared before the write (so
// CrateDB never adds one while it upserts), and the columns to declare come
// parents first, in CrateDB's column syntax.

import { describe, expect, it } from "vitest";
import { addColumns } from "../../src/sql/cratedb.ts";
import {
  columnDefinition,
  fits,
  inferType,
  learn,
  type TypeNode,
  typeTreeOf,
} from "../../src/sql/cratedb-types.ts";

const known = (columns: [string, string][]) =>
  typeTreeOf(
    columns.map(([column_name, data_type]) => ({ column_name, data_type })),
    "data",
  );
const fitsIn = (tree: TypeNode, name: string, value: unknown) =>
  fits(tree.child(name), inferType(value) as NonNullable<ReturnType<typeof inferType>>);

describe("CrateDB sub-columns a value needs", () => {
  it("refuses values whose new column would have no type: null, an empty list, a map holding them", () => {
    const tree = known([["data['v']", "text_array"]]);
    expect(fitsIn(tree, "n", null)).toBe(false);
    expect(fitsIn(tree, "n", [])).toBe(false);
    expect(fitsIn(tree, "n", { x: null })).toBe(false);
    expect(fitsIn(tree, "n", [[]])).toBe(false);
    // Where the column exists, no type is needed: null and [] fit it.
    expect(fitsIn(tree, "v", null)).toBe(true);
    expect(fitsIn(tree, "v", [])).toBe(true);
    expect(fitsIn(tree, "v", ["a"])).toBe(true);
  });

  it("refuses a typed value for a column that has no type yet (CrateDB would retype it while writing)", () => {
    const tree = known([
      ["data['u']", "undefined"],
      ["data['l']", "undefined_array"],
    ]);
    expect(fitsIn(tree, "u", "text")).toBe(false);
    expect(fitsIn(tree, "l", ["a"])).toBe(false);
    expect(fitsIn(tree, "u", null)).toBe(true);
    expect(fitsIn(tree, "l", [])).toBe(true);
  });

  it("learns the columns a value adds, parents first, and nothing for columns that exist", () => {
    const tree = known([["data['m']", "object"]]);
    const value = { x: "a", l: [{ z: true }], n: [[1.5]] };
    const added = learn(tree.ensureChild("m"), inferType(value) as never, ["data", "m"]);
    expect(added).toEqual([
      { path: ["data", "m", "x"], type: "text" },
      { path: ["data", "m", "l"], type: "object_array" },
      { path: ["data", "m", "l", "z"], type: "boolean" },
      { path: ["data", "m", "n"], type: "double precision_array_array" },
    ]);
    expect(learn(tree.ensureChild("m"), inferType(value) as never, ["data", "m"])).toEqual([]);
    expect(fitsIn(tree, "m", { x: 1 })).toBe(false);
  });

  it("writes the declaration in CrateDB's syntax, names quoted", () => {
    expect(columnDefinition("double precision_array_array")).toBe("ARRAY(ARRAY(DOUBLE PRECISION))");
    expect(columnDefinition("object_array")).toBe("ARRAY(OBJECT(STRICT))");
    expect(
      addColumns({ schema: "s", name: "t" }, [
        { path: ["data", "it's"], type: "object" },
        { path: ["data", "it's", "x"], type: "text" },
      ]).sql,
    ).toBe(
      `ALTER TABLE "s"."t__state" ADD COLUMN "data"['it''s'] OBJECT(STRICT), ADD COLUMN "data"['it''s']['x'] TEXT`,
    );
  });
});
