// The demo's side-by-side view: each DynamoDB item beside the sink's row for
// it, both written in the same compact notation (attributes sorted, numbers
// as their digits), cut to the terminal's width; the verdict does not rest on
// this view but on compareTable, which compares every value in full.

import type { AttributeMap } from "../../codec/types.ts";
import { type ExactJson, JsonNumber } from "../../verify/exact-json.ts";
import {
  itemKey,
  normalDecimal,
  type SinkRow,
  type TableComparison,
} from "../../verify/item-compare.ts";

export interface SideBySideOptions {
  keyNames: string[];
  /** Heading of the right-hand column, e.g. "PostgreSQL (view demo_orders)". */
  sinkTitle: string;
  /** Characters per line. */
  width: number;
  /** Attributes to show first, in this order (the rest follow, scalars first). */
  leading?: string[];
}

export function renderSideBySide(
  items: AttributeMap[],
  rows: SinkRow[],
  comparison: TableComparison,
  options: SideBySideOptions,
): string[] {
  const { keyNames } = options;
  const keyed = new Map(rows.map((row) => [rowKeyText(row, keyNames), row]));
  const keys = [
    ...new Set([...items.map((item) => itemKey(item, keyNames)), ...keyed.keys()]),
  ].sort();
  const byItem = new Map(items.map((item) => [itemKey(item, keyNames), item]));
  const differing = new Set([
    ...comparison.different.map((d) => d.key),
    ...comparison.missing,
    ...comparison.extra,
  ]);
  // Keys as a reader writes them: 12345678901234567890, not the compared form 1234567890123456789E1.
  const shown = new Map(
    keys.map((key) => {
      const item = byItem.get(key);
      const row = keyed.get(key);
      const parts = keyNames.map((name) => {
        const value = item ? item[name] : (row?.pk as Record<string, ExactJson> | null)?.[name];
        if (value instanceof JsonNumber) return numberText(value.text);
        if (value && typeof value === "object" && "N" in value) return numberText(String(value.N));
        if (value && typeof value === "object" && "S" in value) return String(value.S);
        return String(value);
      });
      return [key, parts.join(" / ")];
    }),
  );
  const keyWidth = Math.max(3, ...[...shown.values()].map((k) => k.length));
  const side = Math.max(20, Math.floor((options.width - keyWidth - 8) / 2));
  const line = (key: string, left: string, right: string, mark: string) =>
    `${mark} ${key.padEnd(keyWidth)}  ${cut(left, side).padEnd(side)}  ${cut(right, side)}`;
  const out = [line(keyNames.join(" / "), "DynamoDB (Scan)", options.sinkTitle, " ")];
  for (const key of keys) {
    const item = byItem.get(key);
    const row = keyed.get(key);
    out.push(
      line(
        shown.get(key) as string,
        item ? itemText(item, keyNames, options.leading ?? []) : "(no item)",
        row ? rowText(row, options.leading ?? []) : "(no row)",
        differing.has(key) ? "≠" : "=",
      ),
    );
  }
  return out;
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * Scalars first, then lists and sets, then maps, each by name: the short
 * values fit the column, and both sides come out in the same order.
 */
function byShape<T>(
  entries: Array<[string, T]>,
  rank: (value: T) => number,
  leading: string[],
): Array<[string, T]> {
  const place = (name: string, value: T) => {
    const at = leading.indexOf(name);
    return at >= 0 ? at - leading.length : rank(value);
  };
  return entries.sort(
    ([a, x], [b, y]) => place(a, x) - place(b, y) || (a < b ? -1 : a > b ? 1 : 0),
  );
}

function itemText(item: AttributeMap, keyNames: string[], leading: string[]): string {
  const entries = byShape(
    Object.entries(item).filter(([name]) => !keyNames.includes(name)),
    (av) => ("M" in av ? 2 : "L" in av || "SS" in av || "NS" in av || "BS" in av ? 1 : 0),
    leading,
  );
  return `{${entries.map(([name, av]) => `${name}:${valueText(av)}`).join(", ")}}`;
}

function valueText(av: unknown): string {
  const v = av as Record<string, unknown>;
  if (typeof v.S === "string") return JSON.stringify(v.S);
  if (typeof v.N === "string") return numberText(v.N);
  if (typeof v.B === "string") return JSON.stringify(v.B);
  if (typeof v.BOOL === "boolean") return String(v.BOOL);
  if (v.NULL === true) return "null";
  if (Array.isArray(v.SS)) return `[${v.SS.map((x) => JSON.stringify(x)).join(",")}]`;
  if (Array.isArray(v.BS)) return `[${v.BS.map((x) => JSON.stringify(x)).join(",")}]`;
  if (Array.isArray(v.NS)) return `[${v.NS.map(numberText).join(",")}]`;
  if (Array.isArray(v.L)) return `[${v.L.map(valueText).join(",")}]`;
  const map = (v.M ?? {}) as Record<string, unknown>;
  return `{${Object.keys(map)
    .sort()
    .map((k) => `${k}:${valueText(map[k])}`)
    .join(",")}}`;
}

function rowText(row: SinkRow, leading: string[]): string {
  const merged: Record<string, ExactJson> = {};
  for (const column of [row.data, row.aux]) {
    if (
      column &&
      typeof column === "object" &&
      !Array.isArray(column) &&
      !(column instanceof JsonNumber)
    )
      Object.assign(merged, column);
  }
  const entries = byShape(
    Object.entries(merged),
    (value) =>
      Array.isArray(value)
        ? 1
        : value !== null && typeof value === "object" && !(value instanceof JsonNumber)
          ? 2
          : 0,
    leading,
  );
  return `{${entries.map(([name, value]) => `${name}:${jsonText(value)}`).join(", ")}}`;
}

function jsonText(value: ExactJson): string {
  if (value instanceof JsonNumber) return numberText(value.text);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${k}:${jsonText(value[k] ?? null)}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

function rowKeyText(row: SinkRow, keyNames: string[]): string {
  const pk = row.pk as Record<string, ExactJson>;
  const item: AttributeMap = {};
  for (const name of keyNames) {
    const value = pk?.[name];
    item[name] = value instanceof JsonNumber ? { N: value.text } : { S: String(value) };
  }
  return itemKey(item, keyNames);
}

/**
 * One notation for both sides, so equal numbers look equal: DynamoDB and
 * PostgreSQL write the same value differently (`1E-130` and 130 zeros).
 */
function numberText(text: string): string {
  let normal: string;
  try {
    normal = normalDecimal(text);
  } catch {
    return text;
  }
  if (normal === "0") return "0";
  const [mantissa = "", exp = "0"] = normal.split("E");
  const negative = mantissa.startsWith("-");
  const digits = negative ? mantissa.slice(1) : mantissa;
  const exponent = Number(exp);
  const sign = negative ? "-" : "";
  const point = digits.length + exponent;
  if (exponent >= 0 && point <= 40) return sign + digits + "0".repeat(exponent);
  if (exponent < 0 && point > 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  if (exponent < 0 && point > -20) return `${sign}0.${"0".repeat(-point)}${digits}`;
  const magnitude = point - 1;
  return `${sign}${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ""}E${magnitude >= 0 ? "+" : ""}${magnitude}`;
}
