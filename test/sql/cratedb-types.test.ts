// The CrateDB type model's rules for new sub-columns: a value fits only where
// every sub-column it needs exists or can be declared before the write (so
// CrateDB never adds one while it upserts), and the columns to declare come
// parents first, in CrateDB's column syntax.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addColumns } from "../../src/sql/cratedb.ts";
import {
  columnDefinition,
  fits,
  fitsAsIs,
  inferType,
  learn,
  newColumnCount,
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

describe("fitsAsIs, the steady path's check", () => {
  // Small names and few types, so that values often meet columns of their own shape.
  const { value: valueArb } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
      fc.constantFrom("x", "yy", "a".repeat(33_000), "a\tb"),
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom("a", "b", "c.d"), tie("value"), { maxKeys: 3 }),
    ),
  }));

  it("says a value fits as is only when the full model says it fits and adds no column", () => {
    let asIs = 0;
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 3 }), valueArb, (earlier, value) => {
        // The known columns: what earlier values of the attribute declared.
        const tree = known([]);
        for (const before of earlier) {
          const inferred = inferType(before);
          if (inferred && fits(tree.child("v"), inferred))
            learn(tree.ensureChild("v"), inferred, ["data", "v"]);
        }
        if (!fitsAsIs(tree.child("v"), value)) return;
        asIs++;
        const inferred = inferType(value);
        expect(inferred).toBeDefined();
        expect(fits(tree.child("v"), inferred as NonNullable<typeof inferred>)).toBe(true);
        expect(newColumnCount(tree.child("v"), inferred as NonNullable<typeof inferred>)).toBe(0);
      }),
      { numRuns: 2000, seed: 7 },
    );
    // The check is exercised, not vacuous.
    expect(asIs).toBeGreaterThan(200);
  });
});
