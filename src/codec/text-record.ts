// A change record that arrived as JSON text (a Kinesis record's data, a line
// of a capture file). The codec transcodes the text in one pass
// (transcode.ts); the parsed JSON (`payload`) is only needed when that bails
// or when the record becomes a dead letter, so it is parsed on first use.

import { errorMessage } from "../error-text.ts";
import { RecordError } from "../errors.ts";
import type { Envelope } from "./parse-change.ts";
import type { SourceRecord } from "./source-record.ts";

export interface TextRecordOptions {
  /**
   * The record as the slow path sees it: the parsed JSON with its envelope,
   * or the error that keeps the text from being read. Default: JSON.parse,
   * and on failure a RecordError "not JSON (...)" with the text as payload.
   */
  decode?: (text: string) => SourceRecord;
  /**
   * The position is the one `decode` gives (a capture line's position is its
   * own DynamoDB Streams SequenceNumber), not the envelope's.
   */
  positionInText?: boolean;
}

export class TextRecord implements SourceRecord {
  readonly text: string;
  readonly ref: string | undefined;
  /**
   * What the transport knows without reading the text, given to the
   * transcoder. With `positionInText`, its position is undefined: parseChange
   * reads the envelope's position only for a record without SequenceNumber,
   * and for such a record the position "in the text" is undefined too.
   */
  readonly envelope: Envelope;
  readonly #decode: ((text: string) => SourceRecord) | undefined;
  readonly #positionInText: boolean;
  #decoded: SourceRecord | undefined;

  constructor(text: string, envelope: Envelope, options?: TextRecordOptions) {
    this.text = text;
    this.ref = envelope.ref;
    this.#positionInText = options?.positionInText ?? false;
    this.envelope = this.#positionInText ? { ref: envelope.ref, order: envelope.order } : envelope;
    this.#decode = options?.decode;
  }

  /** The parsed JSON (undefined if the text could not be read). Parsed once, on first use. */
  get payload(): unknown {
    return this.decoded().payload;
  }

  /** Why the text could not be read (parsed on first use, as `payload`). */
  get error(): RecordError | undefined {
    return this.decoded().error;
  }

  get position(): string | undefined {
    return this.#positionInText ? this.decoded().position : this.envelope.position;
  }

  /** The record as the slow path sees it. */
  decoded(): SourceRecord {
    this.#decoded ??= this.#decode ? this.#decode(this.text) : parseText(this.text, this.envelope);
    return this.#decoded;
  }
}

function parseText(text: string, envelope: Envelope): SourceRecord {
  try {
    return { payload: JSON.parse(text), ref: envelope.ref, position: envelope.position };
  } catch (error) {
    const name = envelope.ref ?? (envelope.position ? `at ${envelope.position}` : "(unnamed)");
    return {
      payload: text,
      ref: envelope.ref,
      position: envelope.position,
      error: new RecordError(name, undefined, `not JSON (${errorMessage(error)})`),
    };
  }
}
