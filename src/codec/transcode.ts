// The one-pass transcoder: a change record's JSON text straight to the
// EncodedRow a sink writes, without building the record's object tree.
//
// Why two paths: the slow path (JSON.parse -> parseChange -> encodeRow) builds
// an object tree that encodeRow then walks again to write JSON text; on a
// typical record JSON.parse alone costs twice the walk. The transcoder reads
// the text once with a hand-written scanner (json-scan.ts) and copies what it
// can (names, strings, short numbers) straight into the columns' JSON; what
// nothing on the way to a sink reads (OldImage, unknown fields) is only
// checked to be valid JSON.
//
// What guarantees equality: the transcoder answers only for input it fully
// understands, and then gives exactly `encodeRow(parseChange(JSON.parse(text),
// envelope), format)`, every column byte for byte and every Change field
// (test/codec/transcode.test.ts checks it differentially). On anything else -
// invalid JSON, a field or attribute value it does not expect, a name repeated
// in an object (JSON.parse keeps the last value), a value the slow path would
// refuse, a `Records` or `kinesis` field (a Lambda event or Kinesis record
// that a transport may still have to unwrap) - it bails: returns undefined,
// never an error, and the caller takes the slow path, which throws the proper
// RecordError. Where both paths decide something (key checks, timestamps,
// numbers, sets, references, versions) the transcoder calls the slow path's
// own functions with the same values instead of repeating their rules, and
// it mirrors what JSON.parse and for-in do to an object: attribute names
// that are array indexes come first, in numeric order.

import {
  binary,
  type JsonWriteContext,
  MAX_DEPTH,
  memberPrefix,
  numberSet,
  quoteString,
  stringSet,
  writeNumberValue,
} from "./attribute-json.ts";
import {
  BAIL,
  literalEnd,
  numberEnd,
  PLAIN,
  RECODE,
  separator,
  skipValue,
  stringEnd,
  token,
  ws,
} from "./json-scan.ts";
import {
  changeRef,
  checkKeys,
  type Envelope,
  isTtlIdentity,
  kinesisMicros,
  kinesisTick,
  OPERATIONS,
  SEQUENCE,
  sameKeyValue,
  streamsMicros,
} from "./parse-change.ts";
import { canonicalKey, type EncodedRow, type RowFormat, writeKey } from "./row.ts";
import type { AttributeMap, Change, ChangeSource, Operation } from "./types.ts";
import { makeVersion, type Tick } from "./version.ts";

/**
 * The EncodedRow of one change record given as JSON text, or undefined when
 * the transcoder bails (then decode it the slow way: that path is the one
 * that reports errors). Never throws.
 */
export function transcode(
  text: string,
  envelope: Envelope,
  format: RowFormat,
): EncodedRow | undefined {
  try {
    return transcoder.run(text, envelope, format);
  } catch {
    // BAIL, or anything a helper shared with the slow path threw (a
    // FieldProblem, a RecordError): the slow path will say it properly.
    return undefined;
  }
}

// Attribute value type descriptors.
const T_S = 1;
const T_N = 2;
const T_B = 3;
const T_BOOL = 4;
const T_NULL = 5;
const T_M = 6;
const T_L = 7;
const T_SS = 8;
const T_NS = 9;
const T_BS = 10;

// Fields of the record and of its `dynamodb` block that the slow path reads.
const F_OTHER = 0;
const F_EVENT_ID = 1;
const F_EVENT_NAME = 2;
const F_EVENT_SOURCE = 3;
const F_TABLE_NAME = 4;
const F_USER_IDENTITY = 5;
const F_DYNAMODB = 6;
/** `Records` or `kinesis`: a Lambda event or Kinesis record, not a change record. */
const F_WRAPPER = 7;
const F_KEYS = 8;
const F_NEW_IMAGE = 9;
const F_OLD_IMAGE = 10;
const F_SEQUENCE = 11;
const F_CREATED = 12;
const F_PRECISION = 13;
/** `eventSourceARN` or `StreamViewType`: only a DynamoDB Streams record has them. */
const F_STREAMS_ARN = 14;
const F_VIEW_TYPE = 15;

/** The fields read from the record, and from its `dynamodb` block. */
const RECORD_FIELDS: [string, number][] = [
  ["eventID", F_EVENT_ID],
  ["eventName", F_EVENT_NAME],
  ["eventSource", F_EVENT_SOURCE],
  ["tableName", F_TABLE_NAME],
  ["userIdentity", F_USER_IDENTITY],
  ["dynamodb", F_DYNAMODB],
  ["Records", F_WRAPPER],
  ["kinesis", F_WRAPPER],
  ["eventSourceARN", F_STREAMS_ARN],
];
const DYNAMODB_FIELDS: [string, number][] = [
  ["Keys", F_KEYS],
  ["NewImage", F_NEW_IMAGE],
  ["OldImage", F_OLD_IMAGE],
  ["SequenceNumber", F_SEQUENCE],
  ["ApproximateCreationDateTime", F_CREATED],
  ["ApproximateCreationDateTimePrecision", F_PRECISION],
  ["StreamViewType", F_VIEW_TYPE],
];

const DESCRIPTORS = new Map<unknown, number>([
  ["S", T_S],
  ["N", T_N],
  ["B", T_B],
  ["BOOL", T_BOOL],
  ["NULL", T_NULL],
  ["M", T_M],
  ["L", T_L],
  ["SS", T_SS],
  ["NS", T_NS],
  ["BS", T_BS],
]);

/** The shared checks fail by throwing; here that is a bail like any other. */
const bail = (): never => {
  throw BAIL;
};

/** A value that is neither absent nor null nor a string: what the slow path refuses as a precision. */
const OTHER_VALUE = Symbol("other");

/** Names up to this many per object are checked for repeats by a linear search, beyond by a Set. */
const LINEAR_NAMES = 16;

/**
 * The transcoder's state. One instance serves every call (transcode resets
 * it; nothing it calls can call transcode again), so a record costs no
 * allocations for it. The cursor `i` moves through the text `s`: methods
 * start at the first character of what they read and leave `i` after it.
 * Whitespace is skipped inline where it is tested for (`c <= 32`) and by a
 * call only where there is some: records rarely have any.
 */
class Transcoder {
  private s = "";
  private i = 0;
  private format: RowFormat = { numbers: "exact", keyNumbers: "exact" };
  /** For the numbers of `data` and `aux`. */
  private readonly ctx: JsonWriteContext = { numbers: "exact", rounded: 0 };
  /** The descriptor of the attribute value last transcoded. */
  private tag = 0;
  /** Whether the list last transcoded holds values of more than one type. */
  private varied = false;
  /**
   * The last member name's value as an array index, or -1 when it is none.
   * A JS object lists such names first, in numeric order (JSON.parse then
   * for-in, as the slow path reads a map), so those members are held back
   * and written first.
   */
  private index = -1;
  /** Per nesting level: the member names of the object being read there (as `"name":`). */
  private readonly names: string[][] = [];
  private readonly nameSets: (Set<string> | undefined)[] = [];
  /** The key attributes' names as `"name":` (memberPrefix's text), once `Keys` is read. */
  private keyNames: string[] | undefined;
  /** The JSON text of each key attribute's value in Keys, as JSON.stringify writes it. */
  private keyTexts: string[] = [];
  /** The record is a REMOVE (known when eventName comes before `dynamodb`). */
  private removing = false;

  run(text: string, envelope: Envelope, format: RowFormat): EncodedRow {
    this.s = text;
    this.i = 0;
    this.format = format;
    this.ctx.numbers = format.numbers;
    this.ctx.rounded = 0;
    this.keyNames = undefined;
    this.removing = false;
    try {
      return this.record(envelope);
    } finally {
      this.s = ""; // not to keep the last record's text alive
    }
  }

  private record(envelope: Envelope): EncodedRow {
    const s = this.s;
    let i = ws(s, 0);
    if (s.charCodeAt(i) !== 123) throw BAIL;
    i = ws(s, i + 1);
    let seen = 0;
    let operation: Operation | undefined;
    let sourceOk = false;
    let eventId: string | undefined;
    let tableName: string | undefined;
    let identityStart = -1;
    let identityEnd = -1;
    let block: Block | undefined;
    let streamsMark = false;
    for (;;) {
      this.i = i;
      const field = this.memberField(RECORD_FIELDS);
      i = this.i;
      if (field !== F_OTHER) {
        // JSON.parse keeps the last of repeated names: not worth mirroring.
        if (seen & (1 << field)) throw BAIL;
        seen |= 1 << field;
      }
      switch (field) {
        case F_EVENT_ID:
        case F_TABLE_NAME: {
          let value: string | undefined;
          if (s.charCodeAt(i) === 34) {
            this.i = i;
            value = this.stringValue();
            i = this.i;
          } else {
            i = skipValue(s, i);
          }
          if (field === F_EVENT_ID) eventId = value;
          else tableName = value;
          break;
        }
        case F_EVENT_NAME:
          if (s.charCodeAt(i) !== 34) throw BAIL;
          this.i = i;
          operation = OPERATIONS.get(this.stringValue());
          if (!operation) throw BAIL;
          this.removing = operation === "remove";
          i = this.i;
          break;
        case F_EVENT_SOURCE:
          if (s.charCodeAt(i) !== 34) throw BAIL;
          this.i = i;
          if (this.stringValue() !== "aws:dynamodb") throw BAIL;
          sourceOk = true;
          i = this.i;
          break;
        case F_USER_IDENTITY:
          identityStart = i;
          i = skipValue(s, i);
          identityEnd = i;
          break;
        case F_DYNAMODB:
          this.i = i;
          block = this.dynamodb();
          i = this.i;
          break;
        case F_WRAPPER:
          throw BAIL;
        case F_STREAMS_ARN:
          streamsMark = true;
          i = skipValue(s, i);
          break;
        default:
          i = skipValue(s, i);
      }
      i = separator(s, i, 125);
      if (i < 0) {
        i = ~i;
        if (s.charCodeAt(i) <= 32) i = ws(s, i);
        break;
      }
    }
    if (i !== s.length) throw BAIL; // JSON.parse refuses anything after the value
    if (!sourceOk || !operation || !block?.keys) throw BAIL;
    const keys = block.keys;

    // The columns, as encodeRow writes them.
    let data: string | null = null;
    let aux: string | null = null;
    let rounded = 0;
    if (operation !== "remove") {
      if (block.newImageStart < 0) throw BAIL; // no NewImage: the slow path says which view type lacks it
      if (block.data === undefined) {
        // NewImage came before Keys: transcoded now that the key names are known.
        this.i = block.newImageStart;
        this.image(block);
      }
      data = block.data as string;
      aux = block.aux as string;
      rounded = this.ctx.rounded;
    }

    let source: ChangeSource;
    let micros: number;
    let tick: Tick = "microsecond";
    let position: string | undefined;
    // A DynamoDB Streams record without its sequence number: the slow path refuses it.
    if (block.sequence === undefined && (streamsMark || block.viewType)) throw BAIL;
    if (block.sequence !== undefined) {
      if (!SEQUENCE.test(block.sequence)) throw BAIL;
      source = "dynamodb-streams";
      micros = streamsMicros(block.created, bail);
      position = block.sequence;
    } else {
      source = "kinesis";
      micros = kinesisMicros(block.created, block.precision, bail);
      tick = kinesisTick(block.created, block.precision);
      position = envelope.position;
    }
    const ttlDelete =
      operation === "remove" &&
      identityStart >= 0 &&
      isTtlIdentity(JSON.parse(s.slice(identityStart, identityEnd)));

    const keyCtx: JsonWriteContext = { numbers: this.format.keyNumbers, rounded: 0 };
    const pk = writeKey(keys, keyCtx);
    const version = makeVersion(micros, position ?? envelope.order, tick);
    const change = new TranscodedChange(block, operation, keys, changeRef(eventId, envelope));
    change.source = source;
    change.tableName = tableName;
    change.eventId = eventId;
    change.version = version;
    change.timestampMicros = micros;
    change.position = position;
    change.ttlDelete = ttlDelete;
    return {
      key: canonicalKey(keys),
      pk,
      data,
      aux,
      version,
      deleted: operation === "remove",
      roundedNumbers: rounded + keyCtx.rounded,
      change,
    };
  }

  /** The `dynamodb` block: keys and timestamps read, NewImage transcoded, OldImage skipped. */
  private dynamodb(): Block {
    const s = this.s;
    let i = this.i;
    if (s.charCodeAt(i) !== 123) throw BAIL;
    i = ws(s, i + 1);
    const block: Block = {
      text: s,
      newImageRead: false,
      keys: undefined,
      newImageStart: -1,
      newImageEnd: -1,
      oldImageStart: -1,
      oldImageEnd: -1,
      data: undefined,
      aux: undefined,
      sequence: undefined,
      created: undefined,
      precision: undefined,
      viewType: false,
    };
    if (s.charCodeAt(i) === 125) {
      this.i = i + 1;
      return block;
    }
    let seen = 0;
    for (;;) {
      this.i = i;
      const field = this.memberField(DYNAMODB_FIELDS);
      i = this.i;
      if (field !== F_OTHER) {
        if (seen & (1 << field)) throw BAIL;
        seen |= 1 << field;
      }
      const c = s.charCodeAt(i);
      switch (field) {
        case F_KEYS: {
          this.i = i;
          // Checked by the slow path's own rules.
          block.keys = checkKeys(this.keys(), bail);
          const names: string[] = [];
          const texts: string[] = [];
          for (const name in block.keys) {
            names.push(memberPrefix(name));
            texts.push(JSON.stringify(block.keys[name]));
          }
          this.keyNames = names;
          this.keyTexts = texts;
          i = this.i;
          break;
        }
        case F_NEW_IMAGE:
          if (c === 110) {
            i = literalEnd(s, i, "null"); // as good as absent
          } else if (c === 123) {
            block.newImageStart = i;
            // (A REMOVE's NewImage, which DynamoDB never sends, is only checked to be JSON.)
            if (this.keyNames && !this.removing) {
              this.i = i;
              this.image(block);
              i = this.i;
            } else {
              i = skipValue(s, i);
            }
            block.newImageEnd = i;
          } else {
            throw BAIL; // not a map: the slow path refuses it
          }
          break;
        case F_OLD_IMAGE:
          if (c === 110) {
            i = literalEnd(s, i, "null");
          } else if (c === 123) {
            // Only checked to be JSON: nothing reads it but the Change's lazy `oldImage`.
            block.oldImageStart = i;
            i = skipValue(s, i);
            block.oldImageEnd = i;
          } else {
            throw BAIL;
          }
          break;
        case F_SEQUENCE:
          if (c !== 34) throw BAIL;
          this.i = i;
          block.sequence = this.stringValue();
          i = this.i;
          break;
        case F_CREATED:
          if (c === 34) {
            this.i = i;
            block.created = this.stringValue();
            i = this.i;
          } else if (c === 45 || (c >= 48 && c <= 57)) {
            const end = numberEnd(s, i);
            // Number() reads JSON number text to the same double as JSON.parse.
            block.created = Number(s.slice(i, end));
            i = end;
          } else {
            throw BAIL;
          }
          break;
        case F_PRECISION:
          if (c === 34) {
            this.i = i;
            block.precision = this.stringValue();
            i = this.i;
          } else if (c === 110) {
            i = literalEnd(s, i, "null");
            block.precision = null;
          } else {
            // Refused on a Kinesis record, ignored on a DynamoDB Streams one (as the slow path does).
            i = skipValue(s, i);
            block.precision = OTHER_VALUE;
          }
          break;
        case F_VIEW_TYPE:
          block.viewType = true;
          i = skipValue(s, i);
          break;
        default:
          i = skipValue(s, i);
      }
      i = separator(s, i, 125);
      if (i < 0) {
        i = ~i;
        break;
      }
    }
    this.i = i;
    return block;
  }

  /**
   * Reads a member name and the colon after it; returns the field it names
   * (F_OTHER for any other name). A name written with escapes is decoded first.
   */
  private memberField(fields: [string, number][]): number {
    const s = this.s;
    const i = this.i;
    if (s.charCodeAt(i) !== 34) throw BAIL;
    const end = stringEnd(s, i);
    let field = F_OTHER;
    if (token.kind === PLAIN) {
      // Compared in place: no string for a name.
      const length = end - i - 2;
      const first = s.charCodeAt(i + 1);
      for (let f = 0; f < fields.length; f++) {
        const [name, code] = fields[f] as [string, number];
        if (name.length === length && name.charCodeAt(0) === first && s.startsWith(name, i + 1)) {
          field = code;
          break;
        }
      }
    } else {
      const name = JSON.parse(s.slice(i, end)) as string;
      for (const [known, code] of fields) if (known === name) field = code;
    }
    let colon = end;
    if (s.charCodeAt(end) !== 58) {
      colon = ws(s, end);
      if (s.charCodeAt(colon) !== 58) throw BAIL;
    }
    const j = colon + 1;
    this.i = s.charCodeAt(j) <= 32 ? ws(s, j) : j;
    return field;
  }

  /**
   * `Keys` (the cursor at its brace), built as JSON.parse builds it: a map of
   * `{"S" | "N" | "B": text}`. Anything else is no key the slow path takes.
   */
  private keys(): AttributeMap {
    const s = this.s;
    const keys: AttributeMap = {};
    if (s.charCodeAt(this.i) !== 123) throw BAIL;
    let i = this.i + 1;
    if (s.charCodeAt(i) <= 32) i = ws(s, i);
    for (;;) {
      if (s.charCodeAt(i) !== 34) throw BAIL;
      this.i = i;
      const name = this.stringValue();
      // Repeated: not worth mirroring. "__proto__": an assignment would set the prototype.
      if (Object.hasOwn(keys, name) || name === "__proto__") throw BAIL;
      i = this.i;
      if (s.charCodeAt(i) <= 32) i = ws(s, i);
      if (s.charCodeAt(i) !== 58) throw BAIL;
      i++;
      if (s.charCodeAt(i) <= 32) i = ws(s, i);
      if (s.charCodeAt(i) !== 123) throw BAIL;
      i++;
      if (s.charCodeAt(i) <= 32) i = ws(s, i);
      if (s.charCodeAt(i) !== 34) throw BAIL;
      let tag: number;
      if (s.charCodeAt(i + 2) === 34) {
        tag = s.charCodeAt(i + 1); // "S", "N" or "B", as DynamoDB writes them
        i += 3;
      } else {
        this.i = i;
        const descriptor = this.stringValue();
        tag = descriptor.length === 1 ? descriptor.charCodeAt(0) : 0;
        i = this.i;
      }
      if (s.charCodeAt(i) <= 32) i = ws(s, i);
      if (s.charCodeAt(i) !== 58) throw BAIL;
      i++;
      if (s.charCodeAt(i) <= 32) i = ws(s, i);
      if (s.charCodeAt(i) !== 34) throw BAIL;
      this.i = i;
      const value = this.stringValue();
      if (tag === 83) keys[name] = { S: value };
      else if (tag === 78) keys[name] = { N: value };
      else if (tag === 66) keys[name] = { B: value };
      else throw BAIL;
      i = this.i;
      if (s.charCodeAt(i) <= 32) i = ws(s, i);
      if (s.charCodeAt(i) !== 125) throw BAIL;
      i++;
      i = separator(s, i, 125);
      if (i < 0) {
        i = ~i;
        break;
      }
    }
    this.i = i;
    return keys;
  }

  /** The value of the string token at the cursor. */
  private stringValue(): string {
    const s = this.s;
    const i = this.i;
    const end = stringEnd(s, i);
    this.i = end;
    if (token.kind === PLAIN) return s.slice(i + 1, end - 1);
    return JSON.parse(s.slice(i, end)) as string;
  }

  /**
   * Reads a member name of an attribute map and the colon after it, and
   * leaves the cursor at the value. Returns `"name":` as memberPrefix writes
   * it, and sets `index` (see there). Bails on a repeated name.
   */
  private memberName(level: number, count: number): string {
    const s = this.s;
    const i = this.i;
    if (s.charCodeAt(i) !== 34) throw BAIL;
    const end = stringEnd(s, i);
    const kind = token.kind;
    let colon = end;
    if (s.charCodeAt(end) !== 58) {
      colon = ws(s, end);
      if (s.charCodeAt(colon) !== 58) throw BAIL;
    }
    let name: string;
    if (kind === RECODE) {
      const value = JSON.parse(s.slice(i, end)) as string;
      this.index = arrayIndex(value, 0, value.length);
      name = `${quoteString(value)}:`;
    } else {
      const first = s.charCodeAt(i + 1);
      this.index = first >= 48 && first <= 57 ? arrayIndex(s, i + 1, end - 1) : -1;
      // The raw name is memberPrefix's text: copied, with the colon when it follows at once.
      name = colon === end ? s.slice(i, end + 1) : `${s.slice(i, end)}:`;
    }
    // Repeated names: JSON.parse keeps the last value, at the first one's place.
    let names = this.names[level];
    if (names === undefined) {
      names = [];
      this.names[level] = names;
    }
    if (count < LINEAR_NAMES) {
      for (let j = 0; j < count; j++) if (names[j] === name) throw BAIL;
      names[count] = name;
    } else {
      let set = this.nameSets[level];
      if (count === LINEAR_NAMES || set === undefined) {
        set = new Set(names.slice(0, LINEAR_NAMES));
        this.nameSets[level] = set;
      }
      if (set.has(name)) throw BAIL;
      set.add(name);
    }
    let j = colon + 1;
    if (s.charCodeAt(j) <= 32) j = ws(s, j);
    this.i = j;
    return name;
  }

  /**
   * NewImage into `data` and `aux`, as encodeRow writes them: key attributes
   * left out (and, as there, not checked), top-level lists of mixed types to
   * `aux`, everything else to `data`, in the image's order.
   */
  private image(block: Block): void {
    const s = this.s;
    const keyNames = this.keyNames as string[];
    let data = "{";
    let aux = "{";
    let indexedData: Indexed[] | undefined;
    let indexedAux: Indexed[] | undefined;
    let i = this.i + 1;
    if (s.charCodeAt(i) <= 32) i = ws(s, i);
    if (s.charCodeAt(i) === 125) {
      i++;
    } else {
      let count = 0;
      for (;;) {
        this.i = i;
        const name = this.memberName(0, count++);
        const index = this.index;
        i = this.i;
        const k = keyNames.indexOf(name);
        if (k >= 0) {
          // The key written again: as in Keys (the common, compact text), or the same by value.
          const start = i;
          i = skipValue(s, i);
          const text = s.slice(start, i);
          if (text !== this.keyTexts[k]) {
            const key = JSON.parse(this.keyTexts[k] as string) as unknown;
            if (!sameKeyValue(key, JSON.parse(text))) throw BAIL;
          }
        } else {
          if (s.charCodeAt(i) !== 123) throw BAIL;
          const json = this.attribute(0);
          i = this.i;
          if (this.tag === T_L && this.varied) {
            if (index >= 0) indexedAux = hold(indexedAux, index, name + json);
            else aux += aux.length === 1 ? name + json : `,${name}${json}`;
          } else if (index >= 0) {
            indexedData = hold(indexedData, index, name + json);
          } else {
            data += data.length === 1 ? name + json : `,${name}${json}`;
          }
        }
        i = separator(s, i, 125);
        if (i < 0) {
          i = ~i;
          break;
        }
      }
    }
    this.i = i;
    block.newImageRead = true;
    block.data = `${indexedData ? indexedFirst(data, indexedData) : data}}`;
    block.aux = `${indexedAux ? indexedFirst(aux, indexedAux) : aux}}`;
  }

  /** One attribute value (`{"S": "x"}`, the cursor at its brace) as writeValue writes it at `depth`. */
  private attribute(depth: number): string {
    const s = this.s;
    let i = this.i + 1;
    if (s.charCodeAt(i) !== 34) {
      i = ws(s, i);
      if (s.charCodeAt(i) !== 34) throw BAIL;
    }
    // The type descriptor, as DynamoDB writes it: "S", "N", "BOOL", ...
    let tag: number;
    const d = s.charCodeAt(i + 1);
    if (s.charCodeAt(i + 2) === 34) {
      tag = d === 83 ? T_S : d === 78 ? T_N : d === 77 ? T_M : d === 76 ? T_L : d === 66 ? T_B : 0;
      i += 3;
    } else if (s.charCodeAt(i + 3) === 34 && s.charCodeAt(i + 2) === 83) {
      tag = d === 83 ? T_SS : d === 78 ? T_NS : d === 66 ? T_BS : 0;
      i += 4;
    } else if (s.startsWith('"BOOL"', i)) {
      tag = T_BOOL;
      i += 6;
    } else if (s.startsWith('"NULL"', i)) {
      tag = T_NULL;
      i += 6;
    } else {
      // A descriptor written with escapes (DynamoDB never does), or none of DynamoDB's.
      const end = stringEnd(s, i);
      tag = token.kind === PLAIN ? 0 : (DESCRIPTORS.get(JSON.parse(s.slice(i, end))) ?? 0);
      i = end;
    }
    if (tag === 0) throw BAIL;
    if (s.charCodeAt(i) !== 58) {
      i = ws(s, i);
      if (s.charCodeAt(i) !== 58) throw BAIL;
    }
    i++;
    let c = s.charCodeAt(i);
    if (c <= 32) {
      i = ws(s, i);
      c = s.charCodeAt(i);
    }
    let json: string;
    switch (tag) {
      case T_S: {
        if (c !== 34) throw BAIL;
        const end = stringEnd(s, i);
        json =
          token.kind === RECODE
            ? quoteString(JSON.parse(s.slice(i, end)) as string)
            : s.slice(i, end);
        i = end;
        break;
      }
      case T_N: {
        if (c !== 34) throw BAIL;
        const end = stringEnd(s, i);
        const text =
          token.kind === PLAIN ? s.slice(i + 1, end - 1) : (JSON.parse(s.slice(i, end)) as string);
        json = writeNumberValue(text, this.ctx);
        i = end;
        break;
      }
      case T_BOOL:
        if (c === 116) {
          i = literalEnd(s, i, "true");
          json = "true";
        } else {
          i = literalEnd(s, i, "false");
          json = "false";
        }
        break;
      case T_NULL:
        i = literalEnd(s, i, "true");
        json = "null";
        break;
      case T_B:
        if (c !== 34) throw BAIL;
        this.i = i;
        json = `"${binary(this.stringValue())}"`;
        i = this.i;
        break;
      case T_M:
        this.i = i;
        json = this.map(depth + 1);
        i = this.i;
        break;
      case T_L:
        this.i = i;
        json = this.list(depth + 1);
        i = this.i;
        break;
      default:
        this.i = i;
        json =
          tag === T_NS
            ? numberSet(this.strings(), this.ctx)
            : stringSet(this.strings(), tag === T_SS ? "SS" : "BS");
        i = this.i;
    }
    // A second member (`{"S": "a", "N": "1"}`) is not an attribute value.
    if (s.charCodeAt(i) !== 125) {
      i = ws(s, i);
      if (s.charCodeAt(i) !== 125) throw BAIL;
    }
    this.i = i + 1;
    this.tag = tag;
    return json;
  }

  /** An `M`'s map (the cursor at its brace), as writeMap writes it at `depth`. */
  private map(depth: number): string {
    const s = this.s;
    if (s.charCodeAt(this.i) !== 123 || depth > MAX_DEPTH) throw BAIL;
    let i = this.i + 1;
    let c = s.charCodeAt(i);
    if (c <= 32) {
      i = ws(s, i);
      c = s.charCodeAt(i);
    }
    if (c === 125) {
      this.i = i + 1;
      return "{}";
    }
    let out = "{";
    let count = 0;
    let indexed: Indexed[] | undefined;
    for (;;) {
      this.i = i;
      const name = this.memberName(depth, count++);
      const index = this.index;
      if (s.charCodeAt(this.i) !== 123) throw BAIL;
      const json = this.attribute(depth);
      if (index >= 0) indexed = hold(indexed, index, name + json);
      else out += out.length === 1 ? name + json : `,${name}${json}`;
      i = separator(s, this.i, 125);
      if (i < 0) {
        i = ~i;
        break;
      }
    }
    this.i = i;
    return `${indexed ? indexedFirst(out, indexed) : out}}`;
  }

  /** An `L`'s list (the cursor at its bracket), as writeList writes it at `depth`; notes whether its values' types differ. */
  private list(depth: number): string {
    const s = this.s;
    if (s.charCodeAt(this.i) !== 91 || depth > MAX_DEPTH) throw BAIL;
    let i = this.i + 1;
    let c = s.charCodeAt(i);
    if (c <= 32) {
      i = ws(s, i);
      c = s.charCodeAt(i);
    }
    if (c === 93) {
      this.i = i + 1;
      this.varied = false;
      return "[]";
    }
    let out = "[";
    let first = 0;
    let varied = false;
    for (;;) {
      if (c !== 123) throw BAIL;
      this.i = i;
      const json = this.attribute(depth);
      if (out.length === 1) {
        out += json;
        first = this.tag;
      } else {
        out += `,${json}`;
        if (this.tag !== first) varied = true;
      }
      i = separator(s, this.i, 93);
      if (i < 0) {
        i = ~i;
        break;
      }
      c = s.charCodeAt(i);
    }
    this.i = i;
    this.varied = varied;
    return `${out}]`;
  }

  /** A set's members (an array of strings, the cursor at its bracket), decoded for the writer's own set functions. */
  private strings(): string[] {
    const s = this.s;
    if (s.charCodeAt(this.i) !== 91) throw BAIL;
    let i = this.i + 1;
    if (s.charCodeAt(i) <= 32) i = ws(s, i);
    const members: string[] = [];
    if (s.charCodeAt(i) === 93) {
      this.i = i + 1;
      return members;
    }
    for (;;) {
      if (s.charCodeAt(i) !== 34) throw BAIL;
      this.i = i;
      members.push(this.stringValue());
      i = separator(s, this.i, 93);
      if (i < 0) {
        i = ~i;
        break;
      }
    }
    this.i = i;
    return members;
  }
}

const transcoder = new Transcoder();

/** What the `dynamodb` block holds, as far as the Change needs it. */
interface Block extends ImageSpans {
  text: string;
  newImageRead: boolean;
  keys: AttributeMap | undefined;
  /** Where NewImage's text starts and ends (-1: absent or null). */
  newImageStart: number;
  newImageEnd: number;
  oldImageStart: number;
  oldImageEnd: number;
  /** NewImage transcoded (undefined until then). */
  data: string | undefined;
  aux: string | undefined;
  sequence: string | undefined;
  /** ApproximateCreationDateTime: a number, or a string. */
  created: number | string | undefined;
  precision: string | null | typeof OTHER_VALUE | undefined;
  /** Whether the block names a StreamViewType (a DynamoDB Streams record). */
  viewType: boolean;
}

/** A member held back to be written first: its name is an array index. */
interface Indexed {
  index: number;
  /** `"name":value` */
  member: string;
}

function hold(indexed: Indexed[] | undefined, index: number, member: string): Indexed[] {
  const list = indexed ?? [];
  list.push({ index, member });
  return list;
}

/** An object's text so far (`{` and members) with the held-back members put first, in numeric order. */
function indexedFirst(out: string, indexed: Indexed[]): string {
  indexed.sort((a, b) => a.index - b.index);
  let first = "{";
  for (const { member } of indexed) first += first.length === 1 ? member : `,${member}`;
  return out.length === 1 ? first : `${first},${out.slice(1)}`;
}

/** The largest array index: 2^32 - 2. */
const MAX_ARRAY_INDEX = 4294967294;

/**
 * s[start, end) as an array index (a name JS objects list first, in numeric
 * order): "0", or digits without a leading zero up to 2^32 - 2. -1 if not.
 */
function arrayIndex(s: string, start: number, end: number): number {
  const length = end - start;
  if (length < 1 || length > 10 || (length > 1 && s.charCodeAt(start) === 48)) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + (c - 48);
  }
  return value <= MAX_ARRAY_INDEX ? value : -1;
}

/**
 * The Change of a transcoded record. Its images are parsed from their text
 * only when someone reads them: nothing on the way to a sink does (encodeRow
 * was what read NewImage), while tests and logs may. They are accessors on
 * the prototype, not own properties (an object with own accessors costs V8
 * about a microsecond to build), so a spread or JSON.stringify of this Change
 * leaves them out: read them by name.
 */
class TranscodedChange implements Change {
  readonly operation: Operation;
  source: ChangeSource = "kinesis";
  tableName: string | undefined = undefined;
  eventId: string | undefined = undefined;
  readonly keys: AttributeMap;
  version = "";
  timestampMicros = 0;
  position: string | undefined = undefined;
  ttlDelete = false;
  readonly ref: string;
  /** Holds the record's text too. */
  readonly #block: Block;
  #newImage: AttributeMap | undefined;
  #oldImage: AttributeMap | undefined;

  constructor(block: Block, operation: Operation, keys: AttributeMap, ref: string) {
    this.#block = block;
    this.operation = operation;
    this.keys = keys;
    this.ref = ref;
  }

  get newImage(): AttributeMap | undefined {
    const block = this.#block;
    if (this.#newImage === undefined && this.operation !== "remove" && block.newImageStart >= 0) {
      this.#newImage = JSON.parse(block.text.slice(block.newImageStart, block.newImageEnd));
    }
    return this.#newImage;
  }

  get oldImage(): AttributeMap | undefined {
    const block = this.#block;
    if (this.#oldImage === undefined && block.oldImageStart >= 0) {
      this.#oldImage = JSON.parse(block.text.slice(block.oldImageStart, block.oldImageEnd));
    }
    return this.#oldImage;
  }

  /** The record's text and where its images lie in it (see imageSpans). */
  spans(): ImageSpans {
    return this.#block;
  }
}

/**
 * Where a transcoded change's images lie in its record's text, for a reader
 * of one attribute (route-attribute.ts) that would otherwise parse them or
 * scan the whole record; undefined for a Change built any other way.
 */
export function imageSpans(change: Change): ImageSpans | undefined {
  return change instanceof TranscodedChange ? change.spans() : undefined;
}

/** See imageSpans. Starts are -1 for an image that is absent or null. */
export interface ImageSpans {
  readonly text: string;
  readonly newImageStart: number;
  readonly oldImageStart: number;
  /**
   * NewImage's top-level names were read and found distinct, and each of its
   * attribute values holds one member (NewImage was transcoded: not a REMOVE),
   * so the first member of a name is the one JSON.parse keeps.
   */
  readonly newImageRead: boolean;
}
