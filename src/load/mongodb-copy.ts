// The initial copy of a MongoDB collection into a target table, with the
// hand-off to the relay that loses no write: the cluster time is taken before
// the copy starts; every copied document is written at a version older than
// any change event from that time on (mongoVersion without a token); after the
// copy, the relay's checkpoint is set to that time, so the relay resumes the
// change stream there (startAtOperationTime) and the version guard lets each
// later change win over the copy, and changes nothing the copy already holds.

import { BSON, type MongoClient } from "mongodb";
import type { NumberFormat } from "../codec/decimal.ts";
import { encodeMongoDocument, MONGODB_KEY_SCHEMA, mongoVersion } from "../codec/mongodb-event.ts";
import type { SourceRecord } from "../codec/source-record.ts";
import { SourceError } from "../errors.ts";
import { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";
import type { HistoryOptions } from "../pipeline/history-writer.ts";
import { CheckpointStore } from "../relay/checkpoint-store.ts";
import { Backoff, type OnRetry, SINK_BATCH_RETRY } from "../sink/retry.ts";
import type { Sink } from "../sink/sink.ts";
import {
  clusterTimePosition,
  listCollections,
  type MongoSourceUrl,
  mongoStreamId,
} from "../source/mongodb-change-stream.ts";
import type { TableName } from "../sql/table-name.ts";

export interface MongoCopyOptions {
  client: MongoClient;
  source: MongoSourceUrl;
  collection: string;
  sink: Sink;
  table: TableName;
  numbers?: NumberFormat | undefined;
  /** Each copied document goes to `<table>__history` too, as a snapshot row (--history). */
  history?: HistoryOptions | undefined;
  batchSize?: number;
  deadLetter?: (failures: FailedRecord[]) => Promise<void>;
  onProgress?: (copied: number, total: number) => void;
  /** How often a batch the sink failed to take is tried before the copy gives up. */
  attempts?: number;
  /** Told before a batch the sink failed to take is written again. */
  onRetry?: OnRetry;
}

export interface MongoCopyResult {
  documents: number;
  applied: number;
  skipped: number;
  deadLettered: number;
  /** The cluster time the relay resumes the change stream from. */
  clusterTime: { t: number; i: number };
  /** False for an empty collection: then the relay is started with --from (see the message). */
  checkpointed: boolean;
}

/**
 * The cluster time before the copy: the server's `operationTime` where it
 * gives one (replica sets), else its clock a second back (the stream then
 * starts early: at least once, and the version guard makes that exact).
 */
export async function clusterTimeNow(
  client: MongoClient,
  database: string,
): Promise<{ t: number; i: number }> {
  const reply = await client.db(database).command({ isMaster: 1 });
  const op = (reply.operationTime ?? reply.$clusterTime?.clusterTime) as BSON.Timestamp | undefined;
  if (op && typeof op.t === "number") return { t: op.t, i: op.i };
  const local = reply.localTime instanceof Date ? reply.localTime.getTime() : Date.now();
  return { t: Math.floor(local / 1000) - 1, i: 0 };
}

export async function copyCollection(options: MongoCopyOptions): Promise<MongoCopyResult> {
  const { client, source, collection, sink, table } = options;
  const names = await listCollections(client, source.database);
  if (!names.includes(collection))
    throw new SourceError(
      `collection ${source.database}.${collection} does not exist on ${source.name}: check the name (collections there: ${names.join(", ") || "none"})`,
    );
  const clusterTime = await clusterTimeNow(client, source.database);
  const version = mongoVersion(clusterTime.t, clusterTime.i);
  const pipeline = new ApplyPipeline(sink, {
    table,
    keySchema: MONGODB_KEY_SCHEMA,
    numbers: options.numbers,
    history: options.history,
    decoder: (record, format, check) => {
      const row = encodeMongoDocument(record.payload, version, format, record.ref ?? "document");
      check(row.change);
      return row;
    },
  });
  const coll = client.db(source.database).collection(collection);
  const total = await coll.estimatedDocumentCount();
  const batchSize = options.batchSize ?? 1000;
  const result: MongoCopyResult = {
    documents: 0,
    applied: 0,
    skipped: 0,
    deadLettered: 0,
    clusterTime,
    checkpointed: false,
  };
  const cursor = coll.find(
    {},
    { promoteValues: false, promoteLongs: false, bsonRegExp: true, batchSize },
  );
  let batch: SourceRecord[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const backoff = new Backoff(
      { ...SINK_BATCH_RETRY, attempts: options.attempts ?? 8 },
      options.onRetry,
    );
    for (;;) {
      const outcome = await pipeline.apply(batch);
      const transient = outcome.failed.filter((f) => !f.permanent);
      if (transient.length === 0) {
        const permanent = outcome.failed.filter((f) => f.permanent);
        if (permanent.length > 0) {
          if (!options.deadLetter) throw permanent[0]?.error;
          await options.deadLetter(permanent);
        }
        result.applied += outcome.applied;
        result.skipped += outcome.skipped;
        result.deadLettered += permanent.length;
        break;
      }
      if (!(await backoff.retry(transient[0]?.error))) throw transient[0]?.error;
    }
    result.documents += batch.length;
    options.onProgress?.(result.documents, total);
    batch = [];
  };
  try {
    for await (const doc of cursor) {
      const payload = BSON.EJSON.serialize(doc, { relaxed: false });
      batch.push({
        payload,
        ref: `${source.database}.${collection} _id ${BSON.EJSON.stringify(doc._id)}`,
      });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    await cursor.close();
  }
  if (result.applied + result.skipped > 0) {
    // Only now: a relay resuming at this cluster time must find the whole copy in place.
    await new CheckpointStore(sink, mongoStreamId(source, collection), table).save(collection, {
      position: clusterTimePosition(clusterTime.t, clusterTime.i),
      finished: false,
    });
    result.checkpointed = true;
  }
  return result;
}
