// Test helpers for the transcoder: random valid change records as JSON text,
// written the many ways JSON allows (key order, whitespace, optional escapes),
// and random mutations of such text. The item arbitraries follow those of
// properties.test.ts (items via the AWS SDK's marshall, strings full of
// characters that break encoders, numbers of every shape), plus what the
// transcoder has its own code for: surrogates, varied lists, binary, sets.

// The SDK exports its NumberValue class as NumberValueImpl (NumberValue is the interface).
import { marshall, NumberValueImpl as NumberValue } from "@aws-sdk/util-dynamodb";
import fc from "fast-check";
import type { AttributeMap, AttributeValue } from "../../src/codec/index.ts";
import { prng } from "../../src/local/prng.ts";
import { decimalKey } from "./exact-json.ts";

/** Strings with the characters that break naive encoders. */
export const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.constantFrom(
    "",
    '"',
    "\\",
    "/",
    "'",
    '\\"',
    "\u0000",
    "\u001f",
    "\u007f",
    "\n\t\r\b\f\u000b",
    "\u001b[0m\u000e\u001a", // control characters whose escapes have hex letters
    "Räuber 🚀",
    "\ud83d", // a lone surrogate
    "\ude80x",
    "</script>",
    "\u2028\u2029",
    '{"S":"x"}',
    "Łódź café",
  ),
);

/** Attribute names: any text but "__proto__" (marshall itself mishandles it) and the key names. */
export const attributeName = fc
  .oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 8 }),
    fc.constantFrom("a.b", "[0]", "constructor", "toString", 'q"uote', "é", "🚀"),
    // Names JS objects list first, in numeric order (array indexes), and some that are not.
    fc.constantFrom("0", "7", "12", "4294967294", "4294967295", "01", "-1", "1e3"),
    fc.constantFrom("price", "status", "tags", "history", "shipping"),
  )
  .filter((name) => name !== "__proto__" && name !== "id" && name !== "sk");

/** DynamoDB decimal text: 1-38 significant digits, magnitude 1E-130 to 9.99E+125, in plain or scientific form. */
export function decimalText(maxDigits = 38) {
  return fc
    .record({
      negative: fc.boolean(),
      digits: fc.stringMatching(new RegExp(`^[1-9][0-9]{0,${maxDigits - 1}}$`)),
      magnitude: fc.integer({ min: -130, max: 125 }),
      style: fc.constantFrom("plain", "E", "e", "e+"),
      trailingZeros: fc.nat(2),
    })
    .map(({ negative, digits, magnitude, style, trailingZeros }) => {
      const sign = negative ? "-" : "";
      if (style === "plain") {
        if (magnitude >= 0) {
          const intLength = magnitude + 1;
          if (digits.length <= intLength)
            return sign + digits + "0".repeat(intLength - digits.length);
          return `${sign}${digits.slice(0, intLength)}.${digits.slice(intLength)}${"0".repeat(trailingZeros)}`;
        }
        return `${sign}0.${"0".repeat(-magnitude - 1)}${digits}${"0".repeat(trailingZeros)}`;
      }
      const fraction = digits.slice(1) + "0".repeat(trailingZeros);
      const mantissa = fraction ? `${digits[0]}.${fraction}` : digits;
      const exponent = style === "e+" && magnitude >= 0 ? `+${magnitude}` : String(magnitude);
      return `${sign}${mantissa}${style === "E" ? "E" : "e"}${exponent}`;
    });
}

/** Doubles DynamoDB can hold (magnitude 1E-130 to 9.99E+125). */
export const dynamoDouble = fc
  .double({ noNaN: true, noDefaultInfinity: true, min: -9.9e125, max: 9.9e125 })
  .filter((x) => x === 0 || Math.abs(x) >= 1e-130);

/** Short decimals as an application writes them (the fast path's common case). */
const shortDecimal = fc
  .tuple(fc.integer({ min: -99999, max: 99999 }), fc.nat(99))
  .map(([whole, cents]) => `${whole}.${String(cents).padStart(2, "0")}`);

/** Numbers at the edges: 38 digits, DynamoDB's range, zeros with signs, trailing zeros. */
const edgeNumber = fc.constantFrom(
  "12345678901234567890123456789012345678",
  "-0.1000000000000000055511151231257827",
  "9.9999999999999999999999999999999999999E+125",
  "1E-130",
  "-1e-130",
  "9007199254740993",
  "123456789012345.6",
  "0.30000000000000004",
  "-0",
  "-0.0",
  "0.000",
  "1.50",
  "100",
  "1e2",
  "1E+2",
  "00012",
);

/** Which numbers an item holds: integers and doubles as JS numbers, decimal text as NumberValue. */
export interface NumberChoice {
  ints: fc.Arbitrary<number>;
  decimals: fc.Arbitrary<string>;
}

/** Items with the given numbers, as an application writes them with the AWS SDK (no key attributes). */
export function itemOf(numbers: NumberChoice): fc.Arbitrary<Record<string, unknown>> {
  const number = fc.oneof(
    numbers.ints,
    dynamoDouble,
    numbers.decimals.map((t) => new NumberValue(t)),
  );
  const bytes = fc.uint8Array({ maxLength: 12 });
  const scalar = fc.oneof(text, number, fc.boolean(), fc.constant(null), bytes);
  // Sets as DynamoDB takes them: never empty, no two members equal (numbers by value).
  const sets = fc.oneof(
    fc.uniqueArray(text, { minLength: 1, maxLength: 5 }).map((members) => new Set(members)),
    fc
      .uniqueArray(fc.oneof(numbers.ints, dynamoDouble), { minLength: 1, maxLength: 5 })
      .map((members) => new Set(members)),
    fc
      .uniqueArray(numbers.decimals, { minLength: 1, maxLength: 5, selector: decimalKey })
      .map((members) => new Set(members.map((t) => new NumberValue(t)))),
    fc
      .uniqueArray(bytes, {
        minLength: 1,
        maxLength: 3,
        selector: (b) => Buffer.from(b).toString("base64"),
      })
      .map((members) => new Set(members)),
  );
  const { value } = fc.letrec<{ value: unknown; list: unknown[]; map: Record<string, unknown> }>(
    (tie) => ({
      value: fc.oneof({ depthSize: "small", maxDepth: 5 }, scalar, sets, tie("list"), tie("map")),
      list: fc.array(tie("value"), { maxLength: 4 }),
      map: fc.dictionary(attributeName, tie("value"), { maxKeys: 4, noNullPrototype: true }),
    }),
  );
  return fc.dictionary(attributeName, value, { maxKeys: 8, noNullPrototype: true });
}

/** An item with every kind of number, the edge cases and short decimals included (ids and keys added by the caller). */
export const item: fc.Arbitrary<Record<string, unknown>> = itemOf({
  ints: fc.maxSafeInteger(),
  decimals: fc.oneof(decimalText(38), shortDecimal, edgeNumber),
});

/** marshall writes B as bytes; change records carry base64 text. */
function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(value)) out[name] = toWire(member);
    return out;
  }
  return value;
}

// convertClassInstanceToMap: marshall takes a map with a member named
// "constructor" for a class instance otherwise.
export const MARSHALL = { allowImpreciseNumbers: true, convertClassInstanceToMap: true };

export function wireItem(value: Record<string, unknown>): AttributeMap {
  return toWire(marshall(value, MARSHALL)) as AttributeMap;
}

/** A key: `id` (S), and sometimes a sort key `sk` (N or B). */
const keyArbitrary: fc.Arbitrary<AttributeMap> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 10 }).map((id): AttributeMap => ({ id: { S: id } })),
  fc
    .tuple(
      fc.string({ unit: "binary", minLength: 1, maxLength: 10 }),
      fc.oneof(
        fc.oneof(decimalText(38), shortDecimal).map((N): AttributeValue => ({ N })),
        fc
          .uint8Array({ minLength: 1, maxLength: 6 })
          .map((b): AttributeValue => ({ B: Buffer.from(b).toString("base64") })),
      ),
    )
    .map(([id, sk]): AttributeMap => ({ id: { S: id }, sk })),
);

/** An arbitrary JSON value to put in fields nobody reads (the transcoder skips them). */
const junk = fc.jsonValue({ maxDepth: 3 });

/** A valid change record, as an object, in either stream's shape and of any operation. */
export const changeRecord: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    keys: keyArbitrary,
    item,
    old: fc.option(item, { nil: undefined }),
    eventName: fc.constantFrom("INSERT", "MODIFY", "REMOVE"),
    shape: fc.constantFrom("kinesis", "streams"),
    /** Whether a REMOVE's record carries a NewImage anyway, or an insert's a null OldImage. */
    oddImages: fc.boolean(),
    ttl: fc.constantFrom("none", "service", "user", "null", "junk"),
    eventID: fc.oneof(fc.uuid(), text, fc.constant(undefined), fc.integer()),
    tableName: fc.oneof(fc.constant("orders"), text, fc.constant(undefined)),
    time: fc.oneof(
      fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
      fc.integer({ min: 1_600_000_000_000_000, max: 1_800_000_000_000_000 }),
      fc.double({ min: 0, max: 2e15, noNaN: true }),
    ),
    precision: fc.constantFrom("MILLISECOND", "MICROSECOND", null, undefined),
    sequence: fc.bigInt({ min: 1n, max: 10n ** 38n }).map(String),
    extras: fc.dictionary(fc.string({ maxLength: 6 }), junk, { maxKeys: 2 }),
    dynamodbExtras: fc.dictionary(fc.string({ maxLength: 6 }), junk, { maxKeys: 2 }),
  })
  .map((r) => {
    const newImage = { ...wireItem(r.item), ...r.keys };
    const oldImage = r.old ? { ...wireItem(r.old), ...r.keys } : undefined;
    const dynamodb: Record<string, unknown> = {
      ...withoutKnown(r.dynamodbExtras),
      ApproximateCreationDateTime: r.shape === "streams" ? Math.floor(r.time / 1000) : r.time,
      Keys: r.keys,
    };
    if (r.eventName !== "REMOVE" || r.oddImages) dynamodb.NewImage = newImage;
    if (oldImage) dynamodb.OldImage = oldImage;
    else if (r.oddImages) dynamodb.OldImage = null;
    if (r.shape === "streams") {
      dynamodb.SequenceNumber = r.sequence;
      dynamodb.StreamViewType = "NEW_AND_OLD_IMAGES";
    } else if (r.precision !== undefined) {
      dynamodb.ApproximateCreationDateTimePrecision = r.precision;
    }
    dynamodb.SizeBytes = 100;
    const record: Record<string, unknown> = {
      ...withoutKnown(r.extras),
      awsRegion: "us-east-1",
      eventName: r.eventName,
      eventSource: "aws:dynamodb",
      dynamodb,
    };
    if (r.eventID !== undefined) record.eventID = r.eventID;
    if (r.tableName !== undefined) record.tableName = r.tableName;
    if (r.ttl === "service")
      record.userIdentity = { type: "Service", principalId: "dynamodb.amazonaws.com" };
    else if (r.ttl === "user") record.userIdentity = { type: "User", principalId: "someone" };
    else if (r.ttl === "null") record.userIdentity = null;
    else if (r.ttl === "junk") record.userIdentity = ["Service"];
    return record;
  });

/** Extra fields must not shadow the ones the codec reads. */
function withoutKnown(extras: Record<string, unknown>): Record<string, unknown> {
  const known = new Set([
    "eventID",
    "eventName",
    "eventSource",
    "tableName",
    "userIdentity",
    "dynamodb",
    "Records",
    "kinesis",
    "Keys",
    "NewImage",
    "OldImage",
    "SequenceNumber",
    "ApproximateCreationDateTime",
    "ApproximateCreationDateTimePrecision",
    "__proto__",
  ]);
  return Object.fromEntries(Object.entries(extras).filter(([name]) => !known.has(name)));
}

/** How a record is written as text. */
export interface TextStyle {
  /** Seeds the choices below. */
  seed: number;
  /** Chance of whitespace around each token. */
  whitespace: number;
  /** Chance of writing a character of a string as an escape JSON.stringify would not use. */
  escapes: number;
  /** Shuffle the members of every object. */
  shuffle: boolean;
}

export const textStyle: fc.Arbitrary<TextStyle> = fc.record({
  seed: fc.integer(),
  whitespace: fc.constantFrom(0, 0, 0.05, 0.5),
  escapes: fc.constantFrom(0, 0, 0, 0.02, 0.3),
  shuffle: fc.boolean(),
});

const WHITESPACE = [" ", "\n", "\t", "\r\n  ", "  "];

/**
 * JSON text of `value` that JSON.parse reads back as JSON.parse(JSON.stringify(value)),
 * written in the given style.
 */
export function writeJson(value: unknown, style: TextStyle): string {
  const random = prng(style.seed);
  const ws = () =>
    random() < style.whitespace ? (WHITESPACE[Math.floor(random() * 5)] as string) : "";
  const string = (s: string): string => {
    if (style.escapes === 0) return JSON.stringify(s);
    let out = '"';
    for (let i = 0; i < s.length; i++) {
      const ch = s[i] as string;
      // Control characters often: their escapes are where writers differ most.
      if (random() < (ch < " " ? Math.max(style.escapes, 0.5) : style.escapes)) {
        const hex = ch.charCodeAt(0).toString(16).padStart(4, "0");
        out +=
          ch === "/" && random() < 0.5 ? "\\/" : `\\u${random() < 0.5 ? hex : hex.toUpperCase()}`;
      } else {
        out += JSON.stringify(ch).slice(1, -1);
      }
    }
    return `${out}"`;
  };
  const write = (v: unknown): string => {
    if (v === null || typeof v === "boolean") return String(v);
    if (typeof v === "number") return JSON.stringify(v);
    if (typeof v === "string") return string(v);
    if (Array.isArray(v)) return `[${ws()}${v.map((m) => write(m) + ws()).join(`,${ws()}`)}]`;
    const entries = Object.entries(v as object).filter(([, m]) => m !== undefined);
    if (style.shuffle) {
      for (let i = entries.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [entries[i], entries[j]] = [
          entries[j] as [string, unknown],
          entries[i] as [string, unknown],
        ];
      }
    }
    return `{${ws()}${entries.map(([k, m]) => `${string(k)}${ws()}:${ws()}${write(m)}${ws()}`).join(`,${ws()}`)}}`;
  };
  return ws() + write(value) + ws();
}

/** One edit of a text: delete, insert or replace a character. */
export interface Mutation {
  how: "delete" | "insert" | "replace";
  at: number;
  char: string;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  how: fc.constantFrom("delete", "insert", "replace"),
  at: fc.nat(),
  char: fc.oneof(
    fc.constantFrom(...'{}[]":,\\/ \n0123456789.-+eEtrufalsnSNMLBOU'.split("")),
    fc.constantFrom("\u0000", "\u001f", "é", "\ud83d", "\ude80", "🚀", "\ufeff"),
  ),
});

export function mutate(textValue: string, mutations: Mutation[]): string {
  let out = textValue;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + (m.how === "insert" ? 1 : 0));
    if (m.how === "delete") out = out.slice(0, at) + out.slice(at + 1);
    else if (m.how === "insert") out = out.slice(0, at) + m.char + out.slice(at);
    else out = out.slice(0, at) + m.char + out.slice(at + 1);
  }
  return out;
}
