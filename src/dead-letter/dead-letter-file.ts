// A dead-letter file: records that can never be applied, one JSON object per
// line with the reason, so that nothing is dropped silently and a user can fix
// and replay them (`dynacrate replay` reads the `record` field's shapes).

import { createWriteStream, type WriteStream } from "node:fs";
import { RecordError } from "../errors.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";

/** The dead-letter line of a failed record. */
export function deadLetterEntry(failure: FailedRecord): Record<string, unknown> {
  return {
    ref: failure.ref,
    position: failure.position,
    reason: failure.error.message,
    field: failure.error instanceof RecordError ? failure.error.field : undefined,
    retryable: !failure.permanent,
    failedAt: new Date().toISOString(),
    record: failure.payload,
  };
}

export class DeadLetterFile {
  private stream: WriteStream | undefined;
  count = 0;

  constructor(readonly path: string) {}

  async write(failures: FailedRecord[]): Promise<void> {
    // Opened on the first failure, so a clean run leaves no empty file behind.
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
