// The SQS dead-letter destination (DEAD_LETTER_URL): each letter is one
// message whose body is JSON {reason, field, ref, position, eventSourceARN,
// record}, sent with SendMessageBatch (up to 10 messages and 256 KiB per call).
// A record too large for one message is truncated, and the message says so.

import { createHash } from "node:crypto";
import type { SendMessageBatchRequestEntry, SQSClient } from "@aws-sdk/client-sqs";
import {
  type DeadLetter,
  type DeadLetterDestination,
  type DeadLetterOutcome,
  refuseAll,
} from "./destination.ts";

/** What sending needs of an SQS client; tests point a real client at a fake endpoint. */
export type SqsClient = Pick<SQSClient, "send">;

/**
 * SQS's limit for one message and for one SendMessageBatch request: 256 KiB.
 * (Queues may now allow up to 1 MiB, but 256 KiB is accepted by every queue.)
 */
export const SQS_MAX_BYTES = 256 * 1024;
const MAX_ENTRIES = 10;
// SQS counts the bodies' bytes against the limits; a margin per message keeps
// message attributes SQS may count, and rounding, from tipping a batch over.
const ENTRY_OVERHEAD = 512;

export class SqsDeadLetters implements DeadLetterDestination {
  readonly name: string;
  private readonly queueUrl: string;
  private client: SqsClient | undefined;
  private readonly fifo: boolean;

  constructor(queueUrl: string, client?: SqsClient) {
    this.queueUrl = queueUrl;
    this.client = client;
    this.fifo = queueUrl.endsWith(".fifo");
    this.name = `sqs ${queueUrl}`;
  }

  async send(letters: DeadLetter[]): Promise<DeadLetterOutcome> {
    const outcome: DeadLetterOutcome = { sent: new Set(), refused: new Map() };
    if (letters.length === 0) return outcome;
    // Loaded on demand: only a function with a dead-letter queue, and only when a record fails, pays for it.
    const sdk = await import("@aws-sdk/client-sqs");
    this.client ??= new sdk.SQSClient(regionOf(this.queueUrl));

    for (const chunk of chunks(letters.map((letter) => ({ letter, body: messageBody(letter) })))) {
      const byId = new Map(chunk.map((c) => [`r${c.letter.index}`, c.letter]));
      const entries: SendMessageBatchRequestEntry[] = chunk.map(({ letter, body }) => ({
        Id: `r${letter.index}`,
        MessageBody: body,
        ...(this.fifo
          ? {
              // One group per stream keeps a shard's letters in order; the id makes a resend a no-op.
              MessageGroupId: shortId(letter.eventSourceARN ?? "dynacrate"),
              MessageDeduplicationId: shortId(
                `${letter.eventSourceARN}|${letter.position}|${letter.ref}`,
              ),
            }
          : {}),
      }));
      try {
        const output = await this.client.send(
          new sdk.SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        for (const ok of output.Successful ?? []) {
          const letter = ok.Id ? byId.get(ok.Id) : undefined;
          if (letter) outcome.sent.add(letter.index);
        }
        for (const bad of output.Failed ?? []) {
          const letter = bad.Id ? byId.get(bad.Id) : undefined;
          if (letter)
            outcome.refused.set(
              letter.index,
              `SQS refused the message: ${bad.Code ?? "error"}${bad.Message ? ` ${bad.Message}` : ""}`,
            );
        }
        for (const letter of chunk.map((c) => c.letter)) {
          if (!outcome.sent.has(letter.index) && !outcome.refused.has(letter.index)) {
            outcome.refused.set(letter.index, "SQS did not answer for this message");
          }
        }
      } catch (error) {
        const e = error as { name?: string; message?: string };
        refuseAll(
          chunk.map((c) => c.letter),
          `SendMessageBatch failed: ${e.name ?? "Error"}: ${e.message ?? String(error)}`,
          outcome,
        );
      }
    }
    return outcome;
  }
}

/**
 * The message body: the letter as JSON, at most SQS_MAX_BYTES. A larger
 * record is replaced by the start of its JSON text, with `recordTruncated`
 * and `recordBytes` saying so; the position still finds the whole record in
 * the stream while it is retained.
 */
export function messageBody(letter: DeadLetter, limit = SQS_MAX_BYTES - ENTRY_OVERHEAD): string {
  const { index: _index, ...fields } = letter;
  const whole = sqsSafe(JSON.stringify(fields));
  if (Buffer.byteLength(whole, "utf8") <= limit) return whole;

  const recordText = JSON.stringify(letter.record) ?? "null";
  const recordBytes = Buffer.byteLength(recordText, "utf8");
  const bodyWith = (keep: number) =>
    sqsSafe(
      JSON.stringify({
        ...fields,
        record: recordText.slice(0, keep),
        recordTruncated: true,
        recordBytes,
      }),
    );
  // The longest prefix that fits: escaping (quotes, backslashes) and
  // multi-byte characters make the size of a prefix unpredictable, so search.
  let low = 0;
  let high = Math.min(recordText.length, limit);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(bodyWith(mid), "utf8") <= limit) low = mid;
    else high = mid - 1;
  }
  return bodyWith(low);
}

/**
 * SQS accepts only #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF in a
 * body. JSON.stringify already escapes control characters and lone
 * surrogates; U+FFFE and U+FFFF are escaped here.
 */
function sqsSafe(json: string): string {
  return json.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function* chunks<T extends { body: string }>(items: T[]): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(item.body, "utf8") + ENTRY_OVERHEAD;
    if (chunk.length > 0 && (chunk.length >= MAX_ENTRIES || bytes + size > SQS_MAX_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

// FIFO group and deduplication ids: at most 128 characters.
function shortId(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

// A client in the queue's own Region: a queue URL names it (sqs.<region>.amazonaws.com).
function regionOf(queueUrl: string): { region?: string } {
  const match = /^https?:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(queueUrl);
  return match ? { region: match[1] as string } : {};
}
