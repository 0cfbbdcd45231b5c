// Test helpers for numbers: the JSON reader that keeps each number's literal
// text (src/verify/exact-json.ts: JSON.parse would round it
// to a double), and an exact decimal value key computed independently of the
// codec, to compare numbers without trusting the code under test.

export {
  type ExactJson,
  JsonNumber as JsonNum,
  parseExactJson as parseExact,
} from "../../src/verify/exact-json.ts";

/**
 * The exact value of a decimal text as `sign|digits|exponent` with no leading
 * or trailing zeros in `digits` (zero is `0|0|0`, whatever its sign), so two
 * texts have equal keys exactly when they are the same number.
 */
export function decimalKey(text: string): string {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) throw new Error(`not a decimal: ${text}`);
  const frac = m[3] ?? "";
  let digits = `${m[2]}${frac}`.replace(/^0+/, "");
  let exponent = BigInt(m[4] ?? "0") - BigInt(frac.length);
  if (digits === "") return "0|0|0";
  const stripped = digits.replace(/0+$/, "");
  exponent += BigInt(digits.length - stripped.length);
  digits = stripped;
  return `${m[1] === "-" ? "-" : "+"}|${digits}|${exponent}`;
}

/** Number of significant digits of a decimal text. */
export function significantDigits(text: string): number {
  const key = decimalKey(text);
  return key === "0|0|0" ? 1 : (key.split("|")[1] as string).length;
}

/** True when the decimal text survives decimal -> double -> shortest decimal unchanged. */
export function roundTripsThroughDouble(text: string): boolean {
  const value = Number(text);
  return Number.isFinite(value) && decimalKey(String(value)) === decimalKey(text);
}
