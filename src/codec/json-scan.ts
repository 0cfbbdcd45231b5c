// A validating JSON scanner over a string, the base of the one-pass transcoder
// (transcode.ts): functions that take the text and an index and return the
// index after what they read, using charCodeAt and building no strings. They
// accept only text that JSON.parse accepts; whatever they do not like
// (including valid JSON they do not handle) throws BAIL, and the transcoder's
// caller then takes the slow path. A bail is never an answer.

/**
 * Thrown to give up. One preallocated Error: throwing it captures no stack,
 * so a bail costs little (and bails are rare).
 */
export const BAIL = new Error("transcoder bailed; the slow path decides");

/** The raw token is the value's JSON text as JSON.stringify writes it, with no escapes at all. */
export const PLAIN = 0;
/** The raw token is the value's JSON text as JSON.stringify writes it, escapes included. */
export const ESCAPED = 1;
/** A valid string token that JSON.stringify would write differently (`\/`, `\u00e9`, surrogates). */
export const RECODE = 2;

/**
 * Skipped values nest at most this deep: DynamoDB's 32 levels of M and L are
 * about 66 levels of JSON, plus the record around them.
 */
const MAX_SKIP_DEPTH = 100;
/** skipValue's stack: 1 for an object, 0 for an array, per level (reused: skipValue does not nest). */
const containers = new Uint8Array(MAX_SKIP_DEPTH + 1);

/** The index after the JSON whitespace at i (space, tab, line feed, carriage return; nothing else). */
export function ws(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/**
 * After a member or an element, at i: skips whitespace to the separator.
 * Returns the index after a "," and the whitespace behind it; when the
 * container closes with `close` ("}" or "]"), the bitwise complement of the
 * index just after it (negative, so one number says both). Anything else: BAIL.
 */
export function separator(s: string, i: number, close: number): number {
  let c = s.charCodeAt(i);
  if (c <= 32) {
    i = ws(s, i);
    c = s.charCodeAt(i);
  }
  i++;
  if (c === close) return ~i;
  if (c !== 44) throw BAIL;
  return s.charCodeAt(i) <= 32 ? ws(s, i) : i;
}

/** What the last stringEnd found: PLAIN, ESCAPED or RECODE. */
export const token = { kind: PLAIN };

/**
 * The index after the string token at i (at its opening quote). Sets
 * token.kind: whether the raw token can be copied as the value's JSON text
 * (see quoteString in attribute-json.ts, which writes JSON.stringify's text).
 */
export function stringEnd(s: string, i: number): number {
  const n = s.length;
  let kind = PLAIN;
  i++;
  for (;;) {
    if (i >= n) throw BAIL;
    const c = s.charCodeAt(i);
    if (c > 92) {
      // Lowercase letters and all of Unicode beyond: the usual case.
      if (c >= 0xd800 && c <= 0xdfff) kind = RECODE; // JSON.stringify escapes lone surrogates
      i++;
    } else if (c === 34) {
      break;
    } else if (c === 92) {
      const e = s.charCodeAt(i + 1);
      if (e === 34 || e === 92 || e === 110 || e === 116 || e === 114 || e === 98 || e === 102) {
        // \" \\ \n \t \r \b \f: JSON.stringify's own short escapes.
        if (kind === PLAIN) kind = ESCAPED;
        i += 2;
      } else if (e === 117) {
        if (!isHex4(s, i + 2)) throw BAIL;
        if (kind !== RECODE) kind = isCanonicalUnicodeEscape(s, i + 2) ? ESCAPED : RECODE;
        i += 6;
      } else if (e === 47) {
        kind = RECODE; // "\/": valid, but JSON.stringify writes "/"
        i += 2;
      } else {
        throw BAIL;
      }
    } else if (c < 0x20) {
      throw BAIL; // a raw control character: JSON.parse refuses it
    } else {
      i++;
    }
  }
  token.kind = kind;
  return i + 1;
}

/** The index after the string token at i, only validating it. */
function skipString(s: string, i: number, n: number): number {
  i++;
  for (;;) {
    if (i >= n) throw BAIL;
    const c = s.charCodeAt(i);
    if (c > 92) {
      i++;
    } else if (c === 34) {
      return i + 1;
    } else if (c === 92) {
      const e = s.charCodeAt(i + 1);
      if (
        e === 34 ||
        e === 92 ||
        e === 47 ||
        e === 110 ||
        e === 116 ||
        e === 114 ||
        e === 98 ||
        e === 102
      ) {
        i += 2;
      } else if (e === 117 && isHex4(s, i + 2)) {
        i += 6;
      } else {
        throw BAIL;
      }
    } else if (c < 0x20) {
      throw BAIL;
    } else {
      i++;
    }
  }
}

/** The index after the number token at i, checking JSON's number grammar. */
export function numberEnd(s: string, i: number): number {
  if (s.charCodeAt(i) === 45) i++;
  let c = s.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) i = digitsEnd(s, i + 1);
  else throw BAIL;
  if (s.charCodeAt(i) === 46) {
    c = s.charCodeAt(i + 1);
    if (!(c >= 48 && c <= 57)) throw BAIL;
    i = digitsEnd(s, i + 2);
  }
  c = s.charCodeAt(i);
  if (c === 101 || c === 69) {
    i++;
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    c = s.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) throw BAIL;
    i = digitsEnd(s, i + 1);
  }
  return i;
}

/** The index after `word` (true, false, null) at i. */
export function literalEnd(s: string, i: number, word: string): number {
  if (!s.startsWith(word, i)) throw BAIL;
  return i + word.length;
}

/**
 * The index after the JSON value at i, validating it. One loop with an
 * explicit stack rather than recursion:
 * it skips the parts of a record nobody reads (OldImage) at near the speed
 * of a bare loop over the characters.
 */
export function skipValue(s: string, i: number): number {
  const n = s.length;
  let depth = 0;
  let c: number;
  for (;;) {
    // At a value. (Whitespace is skipped by a call only where there is some.)
    c = s.charCodeAt(i);
    if (c === 34) {
      i = skipString(s, i, n);
    } else if (c === 123 || c === 91) {
      const close = c === 123 ? 125 : 93;
      i++;
      let d = s.charCodeAt(i);
      if (d <= 32) {
        i = ws(s, i);
        d = s.charCodeAt(i);
      }
      if (d === close) {
        i++;
      } else {
        if (++depth > MAX_SKIP_DEPTH) throw BAIL;
        if (c === 123) {
          containers[depth] = 1;
          i = memberValueStart(s, i, n);
        } else {
          containers[depth] = 0;
        }
        continue;
      }
    } else if (c === 116) {
      i = literalEnd(s, i, "true");
    } else if (c === 102) {
      i = literalEnd(s, i, "false");
    } else if (c === 110) {
      i = literalEnd(s, i, "null");
    } else {
      i = numberEnd(s, i);
    }
    // After a value: a comma and the next member or element, or the container's end.
    for (;;) {
      if (depth === 0) return i;
      c = s.charCodeAt(i);
      if (c <= 32) {
        i = ws(s, i);
        c = s.charCodeAt(i);
      }
      const inObject = containers[depth] === 1;
      if (c === 44) {
        i++;
        if (s.charCodeAt(i) <= 32) i = ws(s, i);
        if (inObject) i = memberValueStart(s, i, n);
        break;
      }
      if (c !== (inObject ? 125 : 93)) throw BAIL;
      i++;
      depth--;
    }
  }
}

/** From a member's name (at i) past its colon to its value. */
function memberValueStart(s: string, i: number, n: number): number {
  if (s.charCodeAt(i) !== 34) throw BAIL;
  i = skipString(s, i, n);
  if (s.charCodeAt(i) !== 58) {
    i = ws(s, i);
    if (s.charCodeAt(i) !== 58) throw BAIL;
  }
  i++;
  return s.charCodeAt(i) <= 32 ? ws(s, i) : i;
}

function digitsEnd(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) i++;
    else return i;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function isHex4(s: string, i: number): boolean {
  return (
    hexValue(s.charCodeAt(i)) >= 0 &&
    hexValue(s.charCodeAt(i + 1)) >= 0 &&
    hexValue(s.charCodeAt(i + 2)) >= 0 &&
    hexValue(s.charCodeAt(i + 3)) >= 0
  );
}

/**
 * Whether `\uXXXX` (hex digits at i) is how JSON.stringify writes the
 * character: only control characters without a short escape, in lowercase hex
 * (`\u001f`). JSON.stringify also writes lone surrogates so; those are
 * recoded (a pair must stay raw, and telling them apart is not worth it).
 */
function isCanonicalUnicodeEscape(s: string, i: number): boolean {
  if (s.charCodeAt(i) !== 48 || s.charCodeAt(i + 1) !== 48) return false;
  const high = s.charCodeAt(i + 2);
  const low = s.charCodeAt(i + 3);
  const lowValue = low >= 48 && low <= 57 ? low - 48 : low >= 97 && low <= 102 ? low - 87 : -1;
  if (lowValue < 0) return false;
  if (high === 49) return true; // \u0010-\u001f
  // \u0000-\u000f, except \b \t \n \f \r, which JSON.stringify writes short.
  return (
    high === 48 &&
    lowValue !== 8 &&
    lowValue !== 9 &&
    lowValue !== 10 &&
    lowValue !== 12 &&
    lowValue !== 13
  );
}
