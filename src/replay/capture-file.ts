// A capture file, read for `dynacrate replay`: checked before anything is read
// (a folder, gzip or UTF-16 is named with its fix), then read line by line,
// from the line a stopped replay resumes at, with how far through the file
// the reading is (for a progress bar).

import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { ConfigError } from "../errors.ts";

/** One line of a capture, numbered from 1 as an editor shows it. */
export interface CaptureLine {
  lineNo: number;
  text: string;
}

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
   * taken off the first line: it is not part of the JSON.
   */
  async *lines(resumeLine = 1): AsyncGenerator<CaptureLine> {
    const lines = createInterface({ input: this.input, crlfDelay: Number.POSITIVE_INFINITY });
    let lineNo = 0;
    for await (const raw of lines) {
      lineNo++;
      if (lineNo < resumeLine) continue;
      const text = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (text.trim() === "") continue;
      yield { lineNo, text };
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
        : `capture file ${file} can not be read (${(error as Error).message})`,
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
    throw new ConfigError(`capture file ${file} can not be read (${(error as Error).message})`, {
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
