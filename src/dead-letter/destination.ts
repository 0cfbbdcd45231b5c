// Dead letters: records that can never be applied (undecodable, or refused by
// the database as bad data) are set aside in a destination the user chose, so
// that one poison record does not block its shard. One letter shape and one
// destination interface for every command: a file (replay, relay, load;
// file.ts), an SQS queue (sqs.ts) or a table in the sink (table.ts), the last
// two for the Lambda function. A record counts as handled only once its
// destination has accepted it; transient failures (the sink down after its
// retries) are never dead-lettered: they are retried.

import { RecordError } from "../errors.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";

/** What a dead-letter destination stores of a failed record. */
export interface DeadLetter {
  /** Index of the record in the batch as delivered. */
  index: number;
  /** Why it failed (the error's message, naming record and field). */
  reason: string;
  /** The field at fault, as a dotted path, when one is. */
  field: string | undefined;
  /** How the record is named: eventID, or position. */
  ref: string;
  /** Its sequence number in the stream. */
  position: string | undefined;
  /** The stream (and so the shard's source) it came from. */
  eventSourceARN: string | undefined;
  /**
   * The change record (decoded from `kinesis.data` for Kinesis), or the Lambda
   * record as delivered when it could not be decoded at all.
   */
  record: unknown;
}

export interface DeadLetterOutcome {
  /** Batch indexes the destination accepted. */
  sent: Set<number>;
  /** Batch index -> why the destination did not accept the letter. */
  refused: Map<number, string>;
}

export interface DeadLetterDestination {
  /** What the logs call it (never holds a credential). */
  readonly name: string;
  /** Stores letters; never throws: a letter it could not store is in `refused`. */
  send(letters: DeadLetter[]): Promise<DeadLetterOutcome>;
}

/**
 * The failures worth dead-lettering: the permanent ones before the first
 * transient failure. Lambda redelivers everything from the first reported
 * record on, so a permanent failure after a transient one will come back
 * anyway: storing it now would only store it twice.
 */
export function deadLetterCandidates(failed: FailedRecord[]): FailedRecord[] {
  const candidates: FailedRecord[] = [];
  for (const failure of [...failed].sort((a, b) => a.index - b.index)) {
    if (!failure.permanent) break;
    candidates.push(failure);
  }
  return candidates;
}

/** The letter for a failed record; `delivered` is the record as it arrived (a Lambda record, a capture line's record). */
export function deadLetterOf(failure: FailedRecord, delivered: unknown): DeadLetter {
  const arn = (delivered as { eventSourceARN?: unknown } | null | undefined)?.eventSourceARN;
  return {
    index: failure.index,
    reason: failure.error.message,
    field: failure.error instanceof RecordError ? failure.error.field : undefined,
    ref: failure.ref,
    position: failure.position,
    eventSourceARN: typeof arn === "string" ? arn : undefined,
    record: failure.payload === undefined ? delivered : failure.payload,
  };
}

/** A destination that refuses everything with one reason (used when a whole request failed). */
export function refuseAll(letters: DeadLetter[], reason: string, outcome: DeadLetterOutcome): void {
  for (const letter of letters) outcome.refused.set(letter.index, reason);
}
