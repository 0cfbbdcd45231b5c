// The codec: change records in, typed changes and sink-ready rows out. Pure:
// no I/O, no AWS SDK, nothing about sinks.

export { MAX_DEPTH, writeMap, writeValue } from "./attribute-json.ts";
export * from "./decimal.ts";
export * from "./key-schema.ts";
export { type Envelope, parseChange } from "./parse-change.ts";
export { canonicalKey, type EncodedRow, encodeRow, type RowFormat } from "./row.ts";
export {
  decodeSourceRecord,
  encodeSourceRecord,
  type SourceRecord,
  sourceRecords,
} from "./source-record.ts";
export { TextRecord, type TextRecordOptions } from "./text-record.ts";
export { DynamoNumber, itemToNative, type NativeValue } from "./to-native.ts";
export { transcode } from "./transcode.ts";
export type * from "./types.ts";
export { makeVersion, versionMicros } from "./version.ts";
