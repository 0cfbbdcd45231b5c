// CrateDB's dynamic typing, as CrateDB 6.4.3 was seen to apply it to an
// OBJECT(DYNAMIC) column (FACTS.md section 5, test/sink/cratedb-schemaless.test.ts):
// the first value of a sub-column fixes its type (`text`, `double precision`,
// `bigint`, `boolean`, `object`, arrays as `<type>_array`, `undefined` for a
// null or an empty array until a typed value comes); a later value of another
// type is refused, or worse, silently cast (42.5 into `bigint` stores 42, a
// number into `text` stores "42.0", `true` into `text` stores "t"). Names
// holding `.`, `[` or `]` are refused at any depth; an array whose elements
// differ in type is refused (at depth, with error 5000, which reads as a
// cluster fault). Limits of its own, each refusing the whole row while
// DynamoDB accepts the item (FACTS.md section 5): an indexed string (or a
// binary's base64) over 32,766 UTF-8 bytes ("immense term"), a column name
// holding a tab, LF or CR (4008), and 1,000 columns a table (`budget` below).
//
// This module is the type model the CrateDB sink routes by: the type tree a
// JSON value would create, and whether it fits the sub-columns a table has,
// exactly (no cast), so that a value stored in `data` reads back as written.
//
// A value never makes CrateDB add a sub-column while it writes: the sink
// declares new sub-columns first (ALTER TABLE ... ADD COLUMN, see
// `newColumns`). CrateDB 6.4.3 mangles an ON CONFLICT update whose row adds a
// sub-column on the way: when the version guard keeps the stored row, the
// stored `data` becomes NULL, and updates after it in the same bulk request
// get a wrong object (test/sink/cratedb-schemaless.test.ts, "G11: ... newer
// change removes"). So a value fits only where every sub-column it needs
// exists or can be declared: a value of no type yet (null, an empty list) where
// no column is, or a typed value where a column of no type is (`undefined`,
// which a column gets from a null written by another writer), does not fit.

/** A node of a type tree: a sub-column's type and its own sub-columns (objects, arrays of objects). */
export class TypeNode {
  type: string | undefined;
  children: Map<string, TypeNode> | undefined;

  constructor(type?: string) {
    this.type = type;
  }

  child(name: string): TypeNode | undefined {
    return this.children?.get(name);
  }

  ensureChild(name: string): TypeNode {
    this.children ??= new Map();
    let node = this.children.get(name);
    if (!node) {
      node = new TypeNode();
      this.children.set(name, node);
    }
    return node;
  }
}

/** Thrown inside inference: the value can not be stored in a DYNAMIC object at all. */
class Unstorable extends Error {}

const UNSTORABLE = new Unstorable();
/** Names CrateDB refuses as a sub-column: path syntax, and the whitespace it calls illegal. */
export const ILLEGAL_NAME = /[.[\]\t\n\r]/;
/**
 * Longest name, as JSON text in UTF-8 bytes, sent as an object key: CrateDB's
 * JSON reader refuses a request with a name of about 50,000 bytes or more,
 * wherever it stands (checked on 6.4.3), so well below that.
 */
export const MAX_NAME_BYTES = 32_000;

/** True when CrateDB can take `name` as a sub-column's name. */
export function columnNameFits(name: string): boolean {
  if (ILLEGAL_NAME.test(name)) return false;
  return (
    name.length * 3 <= MAX_NAME_BYTES || Buffer.byteLength(JSON.stringify(name)) <= MAX_NAME_BYTES
  );
}

/** Lucene's limit on one indexed term, in UTF-8 bytes: a longer string fails the whole row. */
export const MAX_TERM_BYTES = 32_766;
// Integers a double holds exactly: within them, `42.0` into a `bigint` column is no cast.
const SAFE_INTEGER = 2 ** 53;

/** The number of `_array` suffixes and the element type: `text_array_array` -> ["text", 2]. */
function splitArray(type: string): [string, number] {
  let depth = 0;
  let base = type;
  while (base.endsWith("_array")) {
    base = base.slice(0, -6);
    depth++;
  }
  return [base, depth];
}

/**
 * Merges the type tree CrateDB would create for `value` into `into` (a
 * scratch tree), or throws UNSTORABLE. A number is `double precision` (the
 * sink's number formats write floats); `fractional` collects the places where
 * a number is not an integer a double holds exactly.
 */
function inferInto(value: unknown, into: TypeNode, fractional: Set<TypeNode>): void {
  if (value === null) return;
  if (Array.isArray(value)) {
    // Elements merge at one place, one array level down.
    const element = new TypeNode();
    for (const item of value) inferInto(item, element, fractional);
    setType(into, `${element.type ?? "undefined"}_array`);
    if (fractional.has(element)) fractional.add(into);
    if (element.children) {
      for (const [name, child] of element.children)
        mergeTree(into.ensureChild(name), child, fractional);
    }
    return;
  }
  switch (typeof value) {
    case "string":
      // A UTF-8 byte takes at most a third of a UTF-16 unit's share: shorter strings are safe.
      if (value.length * 3 > MAX_TERM_BYTES && Buffer.byteLength(value) > MAX_TERM_BYTES)
        throw UNSTORABLE;
      setType(into, "text");
      return;
    case "boolean":
      setType(into, "boolean");
      return;
    case "number":
      setType(into, "double precision");
      if (!Number.isInteger(value) || Math.abs(value) > SAFE_INTEGER) fractional.add(into);
      return;
    case "object": {
      setType(into, "object");
      const members = value as Record<string, unknown>;
      for (const name in members) {
        if (!columnNameFits(name)) throw UNSTORABLE;
        inferInto(members[name], into.ensureChild(name), fractional);
      }
      return;
    }
    default:
      throw UNSTORABLE;
  }
}

function setType(node: TypeNode, type: string): void {
  if (node.type === undefined || node.type === type) node.type = type;
  else if (node.type === "undefined_array" && type.endsWith("_array")) node.type = type;
  else if (!(type === "undefined_array" && node.type.endsWith("_array"))) throw UNSTORABLE;
}

function mergeTree(into: TypeNode, from: TypeNode, fractional: Set<TypeNode>): void {
  if (from.type !== undefined) setType(into, from.type);
  if (fractional.has(from)) fractional.add(into);
  if (from.children) {
    for (const [name, child] of from.children) mergeTree(into.ensureChild(name), child, fractional);
  }
}

/** The inferred type tree of one attribute's value. */
export interface InferredType {
  tree: TypeNode;
  /** Places holding a number that is not an integer a double holds exactly. */
  fractional: Set<TypeNode>;
}

/** The type tree `value` would create, or undefined when CrateDB could not store it at all. */
export function inferType(value: unknown): InferredType | undefined {
  const tree = new TypeNode();
  const fractional = new Set<TypeNode>();
  try {
    inferInto(value, tree, fractional);
  } catch (error) {
    if (error instanceof Unstorable) return undefined;
    throw error;
  }
  return { tree, fractional };
}

// Column types a whole double fits into without a cast that changes it.
const INTEGER_TYPES = new Set(["bigint", "integer", "smallint"]);

/** True when a value of type `value` is stored as written in a column of type `column`, adding no type. */
function typeFits(column: string, value: string, integral: boolean): boolean {
  if (column === value) return true;
  const [columnBase, columnDepth] = splitArray(column);
  const [valueBase, valueDepth] = splitArray(value);
  // An empty list into a list column at least as deep (a null has no type and fits anywhere).
  if (valueBase === "undefined") return valueDepth > 0 && valueDepth <= columnDepth;
  if (columnBase === "undefined") return false;
  if (columnDepth !== valueDepth) return false;
  if (valueBase === "double precision" && INTEGER_TYPES.has(columnBase)) return integral;
  return valueBase === "text" && columnBase === "character varying";
}

/** True when a column can be declared for every place of `value` (each has a type). */
function declarable(value: TypeNode): boolean {
  if (value.type === undefined || value.type.startsWith("undefined")) return false;
  if (value.children) {
    for (const child of value.children.values()) if (!declarable(child)) return false;
  }
  return true;
}

/** True when `inferred` fits the known columns under `known` (undefined: none yet). */
export function fits(known: TypeNode | undefined, inferred: InferredType): boolean {
  return fitsNode(known, inferred.tree, inferred.fractional);
}

function fitsNode(
  known: TypeNode | undefined,
  value: TypeNode,
  fractional: Set<TypeNode>,
): boolean {
  if (!known) return declarable(value);
  if (value.type !== undefined && known.type !== undefined) {
    if (!typeFits(known.type, value.type, !fractional.has(value))) return false;
  }
  if (value.children) {
    for (const [name, child] of value.children) {
      if (!fitsNode(known.child(name), child, fractional)) return false;
    }
  }
  return true;
}

/**
 * True when `value` fits the columns under `known` exactly as they are: every
 * place it needs has a column of its own type, nothing to declare, nothing
 * CrateDB could refuse. The steady path (a table whose columns no longer
 * change): it allocates nothing, unlike `inferType` + `fits` + `learn`. False
 * only means "ask those": a value may still fit (an integer into a `bigint`
 * column, an empty list in a list, a long string), or need new columns.
 */
export function fitsAsIs(known: TypeNode | undefined, value: unknown): boolean {
  if (known === undefined) return false;
  if (value === null) return true;
  return fitsTypeAsIs(known.type, known, value);
}

/** `fitsAsIs` for a place of type `type` (an array's element type) whose sub-columns are under `node`. */
function fitsTypeAsIs(type: string | undefined, node: TypeNode, value: unknown): boolean {
  switch (typeof value) {
    case "string":
      return (
        (type === "text" || type === "character varying") && value.length * 3 <= MAX_TERM_BYTES
      );
    case "boolean":
      return type === "boolean";
    case "number":
      return type === "double precision";
    case "object": {
      if (value === null) return true;
      if (Array.isArray(value)) {
        if (type === undefined || !type.endsWith("_array") || value.length === 0) return false;
        // An array's elements share one place, one level down; objects in it
        // keep their sub-columns under the array's own node.
        const element = type.slice(0, -6);
        for (const item of value) if (!fitsTypeAsIs(element, node, item)) return false;
        return true;
      }
      if (type !== "object") return false;
      const members = value as Record<string, unknown>;
      for (const name in members) {
        if (name.length * 3 > MAX_NAME_BYTES || ILLEGAL_NAME.test(name)) return false;
        const child = node.child(name);
        const member = members[name];
        if (child === undefined) return false;
        if (member !== null && !fitsTypeAsIs(child.type, child, member)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** A sub-column to declare before a value that needs it is written. */
export interface NewColumn {
  /** Names from the top column down: ["data", "m", "x"] is data['m']['x']. */
  path: string[];
  /** CrateDB's name of its type, as information_schema shows it (`text_array`). */
  type: string;
}

/**
 * How many sub-columns `inferred` would add under `known` (undefined: none
 * yet), counted as `learn` adds them, so the table's column budget can be
 * checked before anything is learnt.
 */
export function newColumnCount(known: TypeNode | undefined, inferred: InferredType): number {
  return countNew(known, inferred.tree);
}

function countNew(known: TypeNode | undefined, value: TypeNode): number {
  let count = value.type !== undefined && known?.type === undefined ? 1 : 0;
  if (value.children) {
    for (const [name, child] of value.children) count += countNew(known?.child(name), child);
  }
  return count;
}

/**
 * Adds a fitting value's types to the known tree and returns the sub-columns
 * it needs that the tree did not have, parents first, to be declared before
 * the value is written.
 */
export function learn(known: TypeNode, inferred: InferredType, path: string[]): NewColumn[] {
  const added: NewColumn[] = [];
  learnNode(known, inferred.tree, path, added);
  return added;
}

function learnNode(known: TypeNode, value: TypeNode, path: string[], added: NewColumn[]): void {
  if (value.type !== undefined && known.type === undefined) {
    known.type = value.type;
    added.push({ path, type: value.type });
  }
  if (value.children) {
    for (const [name, child] of value.children)
      learnNode(known.ensureChild(name), child, [...path, name], added);
  }
}

/** The column definition of a type as information_schema names it: `text_array` -> `ARRAY(TEXT)`. */
export function columnDefinition(type: string): string {
  if (type.endsWith("_array")) return `ARRAY(${columnDefinition(type.slice(0, -6))})`;
  // STRICT: a row that carries a sub-column nobody declared is refused, never
  // added on the way (the path on which CrateDB 6.4.3 wipes a guarded row).
  return type === "object" ? "OBJECT(STRICT)" : type.toUpperCase();
}

/**
 * The known types of `data`'s sub-columns from information_schema.columns rows
 * (`data['a']['b']`, `double precision_array`, ...). Sub-column names can not
 * hold `[` or `]`, so `']` ends a name even when it holds a quote.
 */
export function typeTreeOf(
  columns: { column_name: string; data_type: string }[],
  column: string,
): TypeNode {
  const root = new TypeNode("object");
  const prefix = `${column}[`;
  for (const { column_name, data_type } of columns) {
    if (!column_name.startsWith(prefix)) continue;
    let node = root;
    let i = column.length;
    while (i < column_name.length && column_name.startsWith("['", i)) {
      const end = column_name.indexOf("']", i + 2);
      if (end < 0) break;
      node = node.ensureChild(column_name.slice(i + 2, end));
      i = end + 2;
    }
    node.type = data_type;
  }
  return root;
}
