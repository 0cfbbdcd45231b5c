// A dead-letter file: records that can never be applied, one JSON object per
// line with the reason, so that nothing is dropped silently and a user can fix
// and replay them (`dynacrate replay dlq.ndjson` reads its lines as they are).
// The file is only ever created or appended to: a path that could lose data
// (the input itself, a directory, a device, a symlink to one) is refused
// before anything is read.

import { createWriteStream, statSync, type WriteStream } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError, RecordError } from "../errors.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";
import { redactSecrets } from "../sink/redact-url.ts";

/** The dead-letter line of a failed record. */
export function deadLetterEntry(failure: FailedRecord): Record<string, unknown> {
  return {
    ref: failure.ref,
    position: failure.position,
    reason: redactSecrets(failure.error.message),
    field: failure.error instanceof RecordError ? failure.error.field : undefined,
    retryable: !failure.permanent,
    failedAt: new Date().toISOString(),
    record: failure.payload,
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
      refuse(`can not be read (${(error as Error).message})`);
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

export class DeadLetterFile {
  private stream: WriteStream | undefined;
  count = 0;

  /** Checks the path at once (see checkDeadLetterPath); the file is opened on the first failure. */
  constructor(
    readonly path: string,
    inputs: string[] = [],
  ) {
    checkDeadLetterPath(path, inputs);
  }

  async write(failures: FailedRecord[]): Promise<void> {
    // Opened on the first failure, so a clean run leaves no empty file
    // behind; "a" creates or appends, never truncates.
    this.stream ??= createWriteStream(this.path, { flags: "a" });
    for (const failure of failures) {
      this.count++;
      if (!this.stream.write(`${JSON.stringify(deadLetterEntry(failure))}\n`)) {
        await new Promise<void>((resolve) => this.stream?.once("drain", () => resolve()));
      }
    }
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
