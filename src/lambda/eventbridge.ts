// MongoDB change events as Atlas database triggers deliver them through
// Amazon EventBridge (MongoDB's partner event source): one event per
// invocation, the change event in `detail`. The envelope, as MongoDB documents
// it ("Send Trigger Events to AWS EventBridge", example event):
//
//   {"version": "0", "id": "<uuid>", "detail-type": "MongoDB Database Trigger for <db>.<collection>",
//    "source": "aws.partner/mongodb.com/stitch.trigger/<trigger id>", "account", "time", "region",
//    "resources": [...], "detail": {"_id": {"_data": "<resume token>"}, "operationType": "insert",
//    "clusterTime": {"T": <seconds>, "I": <increment>}, "fullDocument": {...}, "ns": {"db", "coll"},
//    "documentKey": {"_id": ...}}}
//
// By default the trigger turns BSON types into plain JSON (an ObjectId becomes
// its hex text); with "Enable Extended JSON" it writes Extended JSON and every
// type is kept. The codec (mongodb-event.ts) reads both.

import type { EventBridgeEvent } from "aws-lambda";
import type { SourceRecord } from "../codec/source-record.ts";

export type MongoTriggerEvent = EventBridgeEvent<string, unknown>;

/** True for an EventBridge event (it has `detail-type` and `detail`), whatever its source. */
export function isEventBridgeEvent(event: unknown): event is MongoTriggerEvent {
  return (
    typeof event === "object" &&
    event !== null &&
    typeof (event as { "detail-type"?: unknown })["detail-type"] === "string" &&
    "detail" in event
  );
}

/** The one record of an EventBridge event; its EventBridge id names it. */
export function eventBridgeRecords(event: MongoTriggerEvent): SourceRecord[] {
  const id = typeof event.id === "string" ? event.id : undefined;
  return [{ payload: event, ref: id ? `event ${id}` : "event", position: id }];
}
