// The shapes the codec reads (DynamoDB attribute values, change records) and
// the typed change it produces.

/** A DynamoDB attribute value in its wire form, e.g. `{"S": "abc"}` or `{"N": "4.2"}`. */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { M: AttributeMap }
  | { L: AttributeValue[] }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

/** An item, an image or a key: attribute name -> attribute value. */
export type AttributeMap = Record<string, AttributeValue>;

export type Operation = "insert" | "modify" | "remove";

/** Where a change came from, which decides how its version is built. */
export type ChangeSource = "kinesis" | "dynamodb-streams" | "full-load" | "mongodb";

/** One decoded change of one item. */
export interface Change {
  operation: Operation;
  source: ChangeSource;
  /** The DynamoDB table name when the record carries it (Kinesis records do). */
  tableName: string | undefined;
  eventId: string | undefined;
  /** The item's key attributes, as the record's `Keys`. Never empty. */
  keys: AttributeMap;
  /**
   * The item after the change; present for insert and modify of DynamoDB
   * items. A MongoDB change leaves it undefined: its document goes from the
   * event straight into the row (mongodb-event.ts).
   */
  newImage: AttributeMap | undefined;
  oldImage: AttributeMap | undefined;
  /**
   * Orders changes of one item: a fixed-width text that sorts byte-wise in
   * change order (see version.ts). Equal versions mean the same change.
   */
  version: string;
  /** ApproximateCreationDateTime in microseconds since the epoch. */
  timestampMicros: number;
  /**
   * The record's position in its stream: the Kinesis sequence number, or the
   * DynamoDB Streams SequenceNumber. This is what a partial batch response names.
   */
  position: string | undefined;
  /** A delete done by DynamoDB's Time to Live, not by a user. */
  ttlDelete: boolean;
  /** How errors and logs name this record. */
  ref: string;
  /**
   * A MongoDB update event's `updateDescription` and an event's
   * `fullDocumentBeforeChange` (a pre-image), as the event holds them
   * (Extended JSON): only the change history reads them, so they are
   * converted there, not on every change.
   */
  mongo?: { updateDescription?: unknown; before?: unknown };
}
