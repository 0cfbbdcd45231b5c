// Bytes that must be UTF-8 text (a capture's lines, a Kinesis record's data).
// Decoding them as Node does by default would turn every invalid sequence into
// U+FFFD and store that without notice; here they are checked first, with
// Node's validator (simdutf: far faster than the JSON work that follows), and
// only bytes that fail are scanned again to say where.

import { isUtf8 } from "node:buffer";

/** The text of `bytes`, or undefined when they are not valid UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
}

/** Why `bytes` (which failed utf8Text) are not UTF-8: the first bad byte and its offset. */
export function notUtf8Reason(bytes: Uint8Array): string {
  const at = firstBadByte(bytes);
  const byte = (bytes[at] ?? 0).toString(16).padStart(2, "0");
  return `not UTF-8 text (byte 0x${byte} at offset ${at} starts no valid UTF-8 sequence)`;
}

/** The offset of the first byte that starts no valid UTF-8 sequence (RFC 3629); -1 if none. */
function firstBadByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead byte, and the least code point they may
    // encode (anything less is an overlong form).
    let n: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [n, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [n, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}
