// A capture file, read for `dynacrate replay`: checked before anything is read
// (a folder, gzip or UTF-16 is named with its fix), then read line by line,
// from the line a stopped replay resumes at, with how far through the file
// the reading is (for a progress bar). Lines are split as bytes and checked
// to be UTF-8 before they are decoded: a line that is not fails alone (its
// bytes kept), instead of reaching the table with U+FFFD in place of them.

import { isUtf8 } from "node:buffer";
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { utf8Text } from "../codec/utf8.ts";
import { errorMessage } from "../error-text.ts";
import { ConfigError } from "../errors.ts";

/**
 * One line of a capture, numbered from 1 as an editor shows it: its text, or
 * its bytes when they are not UTF-8.
 */
export type CaptureLine =
  | { lineNo: number; text: string; bytes?: undefined }
  | { lineNo: number; text?: undefined; bytes: Buffer };

const NEWLINE = 0x0a;

export class CaptureFile {
  private readonly input;
  private readonly size: number;

  constructor(readonly path: string) {
    this.size = statSync(path).size;
    this.input = createReadStream(path);
  }

  /**
   * The lines from `resumeLine` on (earlier ones are applied already), blank
   * lines left out, a UTF-8 byte-order mark (editors on Windows write one)
   * taken off the first line: it is not part of the JSON. A line that is not
   * UTF-8 comes as its bytes.
   */
  async *lines(resumeLine = 1): AsyncGenerator<CaptureLine> {
    let lineNo = 0;
    // Bytes after the last newline seen, kept as chunks until one ends their line.
    let pending: Buffer[] = [];
    const line = (text: string | undefined, bytes: Buffer): CaptureLine | undefined => {
      lineNo++;
      if (lineNo < resumeLine) return undefined;
      // Copied: the line outlives the chunk it was read in.
      if (text === undefined) return { lineNo, bytes: Buffer.from(bytes) };
      // A CRLF line break leaves its CR.
      let t = text.endsWith("\r") ? text.slice(0, -1) : text;
      if (lineNo === 1 && t.charCodeAt(0) === 0xfeff) t = t.slice(1);
      return t.trim() === "" ? undefined : { lineNo, text: t };
    };
    for await (const chunk of this.input as AsyncIterable<Buffer>) {
      const end = chunk.lastIndexOf(NEWLINE);
      if (end < 0) {
        pending.push(chunk);
        continue;
      }
      const whole =
        pending.length > 0
          ? Buffer.concat([...pending, chunk.subarray(0, end + 1)])
          : chunk.subarray(0, end + 1);
      pending = end + 1 < chunk.length ? [chunk.subarray(end + 1)] : [];
      if (isUtf8(whole)) {
        // The usual case: one check and one decode for the whole chunk's lines.
        const texts = whole.toString("utf8").split("\n");
        texts.pop();
        for (const text of texts) {
          const l = line(text, whole);
          if (l) yield l;
        }
        continue;
      }
      for (let start = 0; start < whole.length; ) {
        const nl = whole.indexOf(NEWLINE, start);
        const bytes = whole.subarray(start, nl);
        start = nl + 1;
        const l = line(utf8Text(bytes), bytes);
        if (l) yield l;
      }
    }
    if (pending.length > 0) {
      const bytes = Buffer.concat(pending);
      const l = line(utf8Text(bytes), bytes);
      if (l) yield l;
    }
  }

  /** How much of the file is read, 0..1. */
  fractionRead(): number {
    return this.input.bytesRead / Math.max(1, this.size);
  }

  close(): void {
    this.input.destroy();
  }
}

/** The capture must be a readable file of text: say what it is otherwise, before anything is read. */
export function checkCaptureFile(file: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === "ENOENT"
        ? `capture file ${file} does not exist`
        : `capture file ${file} can not be read (${errorMessage(error)})`,
      { cause: error },
    );
  }
  if (stat.isDirectory())
    throw new ConfigError(`capture file ${file} is a folder; give the NDJSON file inside it`);
  const head = Buffer.alloc(4);
  let read = 0;
  try {
    const fd = openSync(file, "r");
    try {
      if (stat.isFile()) read = readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new ConfigError(`capture file ${file} can not be read (${errorMessage(error)})`, {
      cause: error,
    });
  }
  if (read >= 2 && head[0] === 0x1f && head[1] === 0x8b)
    throw new ConfigError(
      `capture file ${file} is gzip-compressed; decompress it first: gunzip -k ${file}, then replay the .ndjson`,
    );
  if (
    read >= 2 &&
    ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))
  )
    throw new ConfigError(
      `capture file ${file} is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8`,
    );
}
