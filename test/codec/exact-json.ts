// Test helpers for numbers: a JSON reader that keeps each number's literal
// text (JSON.parse would round it to a double), and an exact decimal value key
// computed independently of the codec, to compare numbers without trusting
// the code under test.

/** A JSON number as written: `42`, `42.0`, `1e-3`. */
export class JsonNum {
  constructor(readonly text: string) {}
  /** True for a literal a JSON reader takes as floating point (`.` or exponent). */
  get isFloatLiteral(): boolean {
    return /[.eE]/.test(this.text);
  }
}

export type ExactJson =
  | null
  | boolean
  | string
  | JsonNum
  | ExactJson[]
  | { [name: string]: ExactJson };

/** Parses JSON text, keeping numbers as their literal text. Throws SyntaxError like JSON.parse. */
export function parseExact(text: string): ExactJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${i} in ${text.slice(Math.max(0, i - 20), i + 20)}`);
  };
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const value = (): ExactJson => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: { [name: string]: ExactJson } = {};
      ws();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a member name");
        const name = string();
        ws();
        if (text[i++] !== ":") fail("expected ':'");
        Object.defineProperty(out, name, {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "}") fail("expected ',' or '}'");
        return out;
      }
    }
    if (c === "[") {
      i++;
      const out: ExactJson[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i++] !== "]") fail("expected ',' or ']'");
        return out;
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("unexpected character");
    i += m[0].length;
    return new JsonNum(m[0]);
  };
  const string = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const result = value();
  ws();
  if (i !== text.length) fail("trailing text");
  return result;
}

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
