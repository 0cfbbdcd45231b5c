// A dead-letter file: records that can never be applied, one JSON object per
// line with the reason, so that nothing is dropped silently and a user can fix
// and replay them (`dynacrate replay dlq.ndjson` reads its lines as they are).
// The file is only ever created or appended to: a path that could lose data
// (the input itself, a directory, a device, a symlink to one) is refused
// before anything is read.

import { createWriteStream, statSync, type WriteStream } from "node:fs";
import { dirname, resolve } from "node:path";
import { errorMessage } from "../error-text.ts";
import { ConfigError } from "../errors.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";
import { redactSecrets } from "../redact-url.ts";
import {
  type DeadLetter,
  type DeadLetterDestination,
  type DeadLetterOutcome,
  deadLetterOf,
  refuseAll,
} from "./destination.ts";

/** The dead-letter line of a letter: the letter itself (its batch index aside) and when it failed. */
export function deadLetterEntry(letter: DeadLetter): Record<string, unknown> {
  return {
    ref: letter.ref,
    position: letter.position,
    reason: redactSecrets(letter.reason),
    field: letter.field,
    eventSourceARN: letter.eventSourceARN,
    failedAt: new Date().toISOString(),
    record: letter.record,
  };
}

/**
 * Checks that `path` can take a dead-letter file without harm: a regular file
 * (appended to) or a new name in an existing folder, and none of `inputs`.
 * Throws ConfigError naming the problem and the fix.
 */
export function checkDeadLetterPath(path: string, inputs: string[] = []): void {
  const refuse = (problem: string): never => {
    throw new ConfigError(
      `dead-letter file ${path}: ${problem}; give the path of a new or existing regular file (it is only appended to)`,
    );
  };
  let stat: ReturnType<typeof statSync> | undefined;
  try {
    // stat follows a symlink: what counts is what it points to.
    stat = statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      refuse(`can not be read (${errorMessage(error)})`);
  }
  if (stat === undefined) {
    const parent = dirname(resolve(path));
    let folder: ReturnType<typeof statSync> | undefined;
    try {
      folder = statSync(parent);
    } catch {
      refuse(`its folder ${parent} does not exist`);
    }
    if (!folder?.isDirectory()) refuse(`${parent} is not a folder`);
    return;
  }
  if (stat.isDirectory()) refuse("is a folder");
  if (!stat.isFile()) refuse("is not a regular file (a device, a pipe or a socket)");
  for (const input of inputs) {
    let other: ReturnType<typeof statSync> | undefined;
    try {
      other = statSync(input);
    } catch {
      continue;
    }
    if (other.ino === stat.ino && other.dev === stat.dev)
      refuse(`is the input ${input} itself; writing to it would corrupt the capture`);
  }
}

/** A dead-letter destination that appends one JSON line per letter to a file. */
export class DeadLetterFile implements DeadLetterDestination {
  private stream: WriteStream | undefined;
  count = 0;
  readonly name: string;

  /** Checks the path at once (see checkDeadLetterPath); the file is opened on the first letter. */
  constructor(
    readonly path: string,
    inputs: string[] = [],
  ) {
    checkDeadLetterPath(path, inputs);
    this.name = `dead-letter file ${path}`;
  }

  /** Appends the letters of failed records (their payload is the record as read). */
  async write(failures: FailedRecord[]): Promise<void> {
    const outcome = await this.send(failures.map((f) => deadLetterOf(f, f.payload)));
    const [refused] = outcome.refused.values();
    if (refused !== undefined) throw new ConfigError(`${this.name}: ${refused}`);
  }

  async send(letters: DeadLetter[]): Promise<DeadLetterOutcome> {
    const outcome: DeadLetterOutcome = { sent: new Set(), refused: new Map() };
    try {
      // Opened on the first letter, so a clean run leaves no empty file
      // behind; "a" creates or appends, never truncates.
      this.stream ??= createWriteStream(this.path, { flags: "a" });
      for (const letter of letters) {
        this.count++;
        if (!this.stream.write(`${JSON.stringify(deadLetterEntry(letter))}\n`)) {
          await new Promise<void>((resolve) => this.stream?.once("drain", () => resolve()));
        }
        outcome.sent.add(letter.index);
      }
    } catch (error) {
      refuseAll(
        letters.filter((l) => !outcome.sent.has(l.index)),
        errorMessage(error),
        outcome,
      );
    }
    return outcome;
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}

/** True when a parsed line is a dead-letter entry (as deadLetterEntry writes it). */
export function isDeadLetterEntry(
  value: unknown,
): value is { record: unknown; position?: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    "record" in value &&
    "reason" in value &&
    "failedAt" in value
  );
}
