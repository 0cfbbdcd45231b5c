// DynamoDB numbers: validation, a canonical exact text, and the three ways a
// number can be written into JSON for a sink. A JS `number` holds 15-17
// significant digits while DynamoDB holds 38, so the exact text is the truth
// and every conversion to a double is checked.

/** How numbers are written into the JSON of `pk`, `data` and `aux`. */
export type NumberFormat =
  /** The exact decimal as a JSON number (PostgreSQL jsonb keeps it exactly). */
  | "exact"
  /**
   * A JSON number in floating-point form (`42.0`, never `42`), so a CrateDB
   * DYNAMIC column is created DOUBLE and a later `42.5` still fits. A number a
   * double can not hold is rounded and reported.
   */
  | "double"
  /** As `double`, but a number a double can not hold fails its record. */
  | "double-strict"
  /** The exact decimal text as a JSON string. */
  | "string";

/** Every number format: what `--numbers`, NUMBER_FORMAT and the construct's `numbers` accept. */
export const NUMBER_FORMATS = [
  "exact",
  "double",
  "double-strict",
  "string",
] as const satisfies readonly NumberFormat[];

export function isNumberFormat(text: string): text is NumberFormat {
  return (NUMBER_FORMATS as readonly string[]).includes(text);
}

/** DynamoDB's limits: 38 significant digits, magnitude 1E-130 to 9.99...E+125. */
const MAX_DIGITS = 38;
const MIN_EXPONENT = -130;
const MAX_EXPONENT = 125;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,6}))?$/;

/** A number problem; the caller turns it into a RecordError naming the field. */
export class NumberProblem extends Error {}

/**
 * Fast check that `text` is plain JSON decimal text of at most 15 significant
 * digits: such a number is valid, within DynamoDB's range, and a double holds
 * it exactly (15 decimal digits always survive a round trip through a double).
 */
function isShortPlain(text: string): boolean {
  // A hand-written scan of /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/ with a digit count:
  // numbers are the most frequent values, and a regex costs more.
  const n = text.length;
  if (n === 0 || n > 17) return false;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  // A leading zero only as "0" or "0.<digits>".
  if (text.charCodeAt(i) === 48 && i + 1 < n && text.charCodeAt(i + 1) !== 46) return false;
  let digits = 0;
  let dot = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && !dot && digits > 0 && i + 1 < n) dot = true;
    else return false;
  }
  return digits <= 15;
}

/** Validates a DynamoDB number and returns its canonical exact text (valid JSON). */
export function canonicalNumber(input: unknown): string {
  if (typeof input === "number") {
    // `{"N": 7}`: DynamoDB writes numbers as text; JSON.parse has already
    // made this one a double, so a long one is rounded and could not be
    // written exactly.
    throw new NumberProblem(
      `a JSON number (${input}), but DynamoDB writes a number as a decimal string, e.g. {"N": "${input}"}`,
    );
  }
  if (typeof input !== "string") {
    throw new NumberProblem(`a number must be a decimal string, got ${typeof input}`);
  }
  const text = input;
  if (isShortPlain(text) && !text.startsWith("-0") && !(text.includes(".") && text.endsWith("0"))) {
    return text;
  }
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) {
    throw new NumberProblem(`${JSON.stringify(text)} is not a DynamoDB number`);
  }
  const negative = match[1] === "-";
  const intPart = match[2] ?? "";
  const fracPart = match[3] ?? "";
  let exponent = Number(match[4] ?? "0") - fracPart.length;
  let digits = (intPart + fracPart).replace(/^0+/, "");
  const trailing = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (digits === "") return "0";
  if (digits.length > MAX_DIGITS) {
    throw new NumberProblem(
      `${text} has ${digits.length} significant digits; DynamoDB numbers have at most ${MAX_DIGITS}`,
    );
  }
  const magnitude = exponent + digits.length - 1;
  if (magnitude > MAX_EXPONENT || magnitude < MIN_EXPONENT) {
    throw new NumberProblem(`${text} is outside DynamoDB's range 1E-130 to 9.99E+125`);
  }
  return render(negative, digits, exponent);
}

// Plain notation where it stays short, scientific beyond.
function render(negative: boolean, digits: string, exponent: number): string {
  const sign = negative ? "-" : "";
  if (exponent >= 0) {
    if (exponent + digits.length <= 40) return sign + digits + "0".repeat(exponent);
  } else if (-exponent < digits.length) {
    const point = digits.length + exponent;
    return `${sign + digits.slice(0, point)}.${digits.slice(point)}`;
  } else if (-exponent - digits.length < 20) {
    return `${sign}0.${"0".repeat(-exponent - digits.length)}${digits}`;
  }
  const magnitude = exponent + digits.length - 1;
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign + mantissa}E${magnitude >= 0 ? "+" : ""}${magnitude}`;
}

/** The result of writing one number as JSON. */
export interface WrittenNumber {
  json: string;
  /** True when the JSON holds a rounded value (format `double` only). */
  rounded: boolean;
}

/**
 * The common case of writeNumber without allocating: short plain decimal text
 * needs no canonicalisation and a double holds it exactly. Returns undefined
 * for anything else (then writeNumber does the full work).
 */
export function writeShortNumber(input: unknown, format: NumberFormat): string | undefined {
  if (typeof input !== "string" || !isShortPlain(input)) return undefined;
  // "-0", "-0.0", "-0.5": the full path drops the sign of a zero.
  if (input.charCodeAt(0) === 45 && input.charCodeAt(1) === 48) return undefined;
  if (format === "exact") return input;
  if (format === "string") return `"${input}"`;
  return input.includes(".") ? input : `${input}.0`;
}

/** Writes a DynamoDB number as JSON text in the given format. */
export function writeNumber(input: unknown, format: NumberFormat): WrittenNumber {
  const short = writeShortNumber(input, format);
  if (short !== undefined) return { json: short, rounded: false };
  const exact = canonicalNumber(input);
  switch (format) {
    case "exact":
      return { json: exact, rounded: false };
    case "string":
      return { json: `"${exact}"`, rounded: false };
    default: {
      const value = Number(exact);
      const rounded = !fitsDouble(exact, value);
      if (rounded && format === "double-strict") {
        throw new NumberProblem(
          `${exact} can not be held exactly by a double (it would be stored as ${value}); ` +
            `use the number format "string" or "double" to accept that`,
        );
      }
      return { json: floatLiteral(value), rounded };
    }
  }
}

/**
 * True when the double prints back as the same decimal: no reader of the
 * stored value can tell it from the original text.
 */
export function fitsDouble(exact: string, value = Number(exact)): boolean {
  try {
    return canonicalNumber(String(value)) === exact;
  } catch {
    // Rounding carried the value out of DynamoDB's range (9.99...E+125 -> 1E+126).
    return false;
  }
}

/** A double as JSON text that parses as a floating-point number (`42.0`, `1e+21`). */
export function floatLiteral(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
}
