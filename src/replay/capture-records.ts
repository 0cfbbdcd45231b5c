// The records of one capture line: a bare DynamoDB change record (kept as text
// for the one-pass transcoder), a Lambda event or a Kinesis record holding
// many, a dead-letter entry (replayed as it was delivered), or a MongoDB
// change event. A line that is not JSON is one failed record naming its line.

import { type SourceRecord, sourceRecords } from "../codec/source-record.ts";
import { TextRecord } from "../codec/text-record.ts";
import { notUtf8Reason } from "../codec/utf8.ts";
import { isDeadLetterEntry } from "../dead-letter/file.ts";
import { RecordError } from "../errors.ts";

/** The records of a line of a DynamoDB capture. */
export function recordsOfLine(line: string, lineNo: number): SourceRecord[] {
  const ref = `line ${lineNo}`;
  // The usual line is one bare change record: it goes to the codec as text,
  // to be transcoded in one pass; it is parsed (by decodeLine, on demand) only
  // if the transcoder bails or the record becomes a dead letter. A line that
  // may be a Lambda event, a Kinesis record or a dead-letter entry is
  // unwrapped now. The test is on the text: such a line names `Records`,
  // `kinesis` or `failedAt`, unless escapes spell the name, so a line with
  // `\u` escapes is unwrapped now too.
  if (
    !line.includes('"Records"') &&
    !line.includes('"kinesis"') &&
    !line.includes('"failedAt"') &&
    !line.includes("\\u")
  ) {
    return [
      new TextRecord(
        line,
        { ref, order: String(lineNo) },
        // A bare record's position is its SequenceNumber (see sourceRecords).
        {
          decode: () => inLine(decodeLine(line, ref), lineNo)[0] as SourceRecord,
          positionInText: true,
        },
      ),
    ];
  }
  return inLine(decodeLine(line, ref), lineNo);
}

/** The record of a line of a MongoDB capture: one change event, in Extended JSON. */
export function mongoRecordsOfLine(line: string, lineNo: number): SourceRecord[] {
  return decodeLine(line, `line ${lineNo}`, (event, ref) => [{ payload: event, ref }]);
}

/**
 * The line orders a record that carries no sequence number against a change
 * of its item in the same tick (see Envelope.order), whatever the batches.
 */
function inLine(records: SourceRecord[], lineNo: number): SourceRecord[] {
  for (const record of records) record.order = String(lineNo);
  return records;
}

/**
 * The records of a line, parsed: a bare change record, a Lambda event, a
 * Kinesis record, or a dead-letter entry (its `record` is replayed as it was
 * delivered, at the position it was delivered at).
 */
function decodeLine(
  line: string,
  ref: string,
  unwrap: (parsed: unknown, ref: string) => SourceRecord[] = sourceRecords,
): SourceRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    return [notJson(line, ref, error as Error)];
  }
  if (!isDeadLetterEntry(parsed)) return unwrap(parsed, ref);
  const { record, position } = parsed;
  // A line that was not JSON is kept as its text.
  if (typeof record === "string") {
    try {
      return unwrap(JSON.parse(record), ref);
    } catch (error) {
      return [notJson(record, ref, error as Error)];
    }
  }
  return unwrap(record, ref).map((r) =>
    r.position === undefined && !(r instanceof TextRecord) && typeof position === "string"
      ? { ...r, position }
      : r,
  );
}

function notJson(text: string, ref: string, error: Error): SourceRecord {
  return {
    payload: text,
    ref,
    error: new RecordError(ref, undefined, `not JSON (${error.message})`, { cause: error }),
  };
}

/**
 * A line whose bytes are not UTF-8 fails alone; its dead letter keeps the
 * bytes, in base64, since JSON can hold no invalid UTF-8.
 */
export function notUtf8Line(bytes: Buffer, lineNo: number): SourceRecord {
  const ref = `line ${lineNo}`;
  return {
    payload: bytes.toString("base64"),
    ref,
    error: new RecordError(
      ref,
      undefined,
      `${notUtf8Reason(bytes)}; the dead letter holds the line's bytes in base64`,
    ),
  };
}
