// Unwraps what a transport hands over (a Lambda event, a Kinesis record, a
// line of a capture file) into change records with their stream position, so
// that each can fail on its own.

import { errorMessage } from "../error-text.ts";
import { RecordError } from "../errors.ts";
import { describe } from "./attribute-json.ts";
import { type Envelope, parseChange } from "./parse-change.ts";
import { type EncodedRow, encodeRow, type RowFormat } from "./row.ts";
import { TextRecord } from "./text-record.ts";
import { transcode } from "./transcode.ts";
import type { Change } from "./types.ts";
import { notUtf8Reason, utf8Text } from "./utf8.ts";

/** One change record as delivered, not yet decoded. */
export interface SourceRecord extends Envelope {
  /** The record's JSON, or the error that kept it from being read. */
  payload: unknown;
  error?: RecordError;
  /**
   * The raw JSON text of one change record, when the transport has it: then
   * encodeSourceRecord transcodes it in one pass and needs `payload` only
   * when that bails (see TextRecord, which parses `payload` on demand).
   */
  text?: string;
  /**
   * The change itself, when the transport decoded it already (snapshot items
   * of a full load, which are not change records): then it is encoded as is.
   */
  change?: Change;
}

/**
 * The records of one input object: a Lambda event (`{"Records": [...]}`), a
 * Lambda Kinesis record (`{"kinesis": {"data": base64}}`), or a bare change record.
 */
export function sourceRecords(input: unknown, ref?: string): SourceRecord[] {
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    const records = (input as { Records?: unknown }).Records;
    if (records !== undefined) {
      if (!Array.isArray(records)) {
        return [failed(ref ?? "(event)", "Records", `must be an array, got ${describe(records)}`)];
      }
      return records.map((record, i) => unwrap(record, ref ? `${ref} record ${i}` : `record ${i}`));
    }
  }
  return [unwrap(input, ref)];
}

function unwrap(record: unknown, ref: string | undefined): SourceRecord {
  const kinesis = (record as { kinesis?: unknown } | null)?.kinesis;
  if (typeof kinesis !== "object" || kinesis === null) {
    const sequence = (record as { dynamodb?: { SequenceNumber?: unknown } } | null)?.dynamodb
      ?.SequenceNumber;
    return { payload: record, ref, position: typeof sequence === "string" ? sequence : undefined };
  }
  const { data, sequenceNumber } = kinesis as { data?: unknown; sequenceNumber?: unknown };
  const position = typeof sequenceNumber === "string" ? sequenceNumber : undefined;
  const name = ref ?? (position ? `at ${position}` : "(unnamed)");
  if (typeof data !== "string") {
    // The wrapper itself is the payload: a dead letter keeps what arrived.
    return {
      ...failed(name, "kinesis.data", `must be base64 text, got ${describe(data)}`),
      payload: record,
      position,
    };
  }
  const bytes = Buffer.from(data, "base64");
  const text = utf8Text(bytes);
  if (text === undefined) {
    return {
      ...failed(name, "kinesis.data", `is base64 of bytes that are ${notUtf8Reason(bytes)}`),
      payload: record,
      position,
    };
  }
  // The record's text goes to the transcoder; JSON.parse runs only if it bails.
  return new TextRecord(
    text,
    { ref, position },
    {
      decode: (text) => {
        try {
          return { payload: JSON.parse(text), ref, position };
        } catch (error) {
          return {
            ...failed(
              name,
              "kinesis.data",
              `is not base64 of a JSON change record (${errorMessage(error)})`,
            ),
            payload: record,
            position,
          };
        }
      },
    },
  );
}

function failed(ref: string, field: string, problem: string): SourceRecord {
  return { payload: undefined, ref, error: new RecordError(ref, field, problem) };
}

/** Decodes a source record into a Change; throws RecordError. */
export function decodeSourceRecord(record: SourceRecord): Change {
  if (record.error) throw record.error;
  return record.change ?? parseChange(record.payload, record);
}

/**
 * Decodes and encodes a source record for a sink: the codec's entry point.
 * A record with `text` is transcoded in one pass (transcode.ts); when the
 * transcoder bails, or without text, it takes the slow path (JSON.parse,
 * parseChange, encodeRow), which gives the same row or throws the RecordError
 * naming the record and field. `check` sees the Change before it is encoded
 * (the pipeline checks keys against the table's schema there), so a record
 * with two problems reports the same one on either path.
 */
export function encodeSourceRecord(
  record: SourceRecord,
  format: RowFormat,
  check?: (change: Change) => void,
): EncodedRow {
  if (record.text !== undefined) {
    const envelope = record instanceof TextRecord ? record.envelope : record;
    const row = transcode(record.text, envelope, format);
    if (row) {
      // Transcoded means encodeRow would have succeeded: only the check can still fail.
      check?.(row.change);
      return row;
    }
  }
  const change = decodeSourceRecord(record);
  check?.(change);
  return encodeRow(change, format);
}
