// Reads a MongoDB collection's change stream for the relay, as a stream with
// one shard (the collection): `watch()` with fullDocument "updateLookup",
// events in canonical Extended JSON (every BSON type kept), the resume token
// (`_id._data`) as each record's position, so the relay's checkpoints resume
// with resumeAfter. A position "@<seconds>.<increment>" is a cluster time
// (the initial copy's hand-off) and resumes with startAtOperationTime.
//
// A drop, rename or invalidate event ends the stream: the events before it
// are handed out (and applied), then the source reports the end as a
// SourceError, which stops the relay with a message saying what happened.

import {
  BSON,
  type ChangeStream,
  type Collection,
  MongoClient,
  MongoServerError,
  type Timestamp,
} from "mongodb";
import { TERMINAL_EVENTS } from "../codec/mongodb-event.ts";
import type { SourceRecord } from "../codec/source-record.ts";
import { errorMessage } from "../error-text.ts";
import { ConfigError, SourceError } from "../errors.ts";
import { redactUrl } from "../redact-url.ts";
import type { ReadResult, ShardInfo, StartPosition, StreamSource } from "./stream-source.ts";

/** `mongodb://host/db.collection` (or `db.*`) taken apart. */
export interface MongoSourceUrl {
  /** The connection string without the database part, for the driver. */
  connection: string;
  database: string;
  /** A collection name, or "*" for every collection of the database. */
  collection: string;
  /** How the source is named in logs and checkpoints: no credentials, no options. */
  name: string;
}

/** Parses `mongodb://[user:pass@]host[:port][,host...]/db.collection[?options]` (or `mongodb+srv://`). */
export function parseMongoSource(url: string): MongoSourceUrl {
  const m = /^(mongodb(?:\+srv)?:\/\/)(?:([^@/]*)@)?([^/?]+)\/([^/?]*)(\?.*)?$/.exec(url);
  const path = m?.[4] ? decodeURIComponent(m[4]) : "";
  const dot = path.indexOf(".");
  if (!m || dot <= 0 || dot === path.length - 1)
    throw new ConfigError(
      `--source must be mongodb://host[:port]/<database>.<collection> (or <database>.* for every collection), got ${redactUrl(url)}`,
    );
  const [, scheme, credentials, hosts, , query] = m as unknown as string[];
  return {
    connection: `${scheme}${credentials ? `${credentials}@` : ""}${hosts}/${query ?? ""}`,
    database: path.slice(0, dot),
    collection: path.slice(dot + 1),
    name: `${scheme}${hosts}/${path}`,
  };
}

/** Connects (bounded by serverSelectionTimeoutMS); an unreachable server is a SourceError naming the fix. */
export async function connectMongo(
  source: MongoSourceUrl,
  timeoutMs = 10_000,
): Promise<MongoClient> {
  const client = new MongoClient(source.connection, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    await client.connect();
    await client.db(source.database).command({ ping: 1 });
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    throw new SourceError(
      `can not reach MongoDB at ${source.name} (${errorMessage(error)}): check the host and port, that the server runs, and the credentials`,
      { cause: error },
    );
  }
}

/** The collections of a database (views and system collections aside). */
export async function listCollections(client: MongoClient, database: string): Promise<string[]> {
  const infos = await client.db(database).listCollections({}, { nameOnly: true }).toArray();
  return infos
    .filter((c) => (c.type ?? "collection") === "collection" && !c.name.startsWith("system."))
    .map((c) => c.name)
    .sort();
}

/** How the relay names one collection's change stream in its checkpoints. */
export function mongoStreamId(source: MongoSourceUrl, collection: string): string {
  return `${source.name.slice(0, source.name.lastIndexOf("/") + 1)}${source.database}.${collection}`;
}

/** A cluster time as the relay's position text: "@<seconds>.<increment>". */
export function clusterTimePosition(t: number, i: number): string {
  return `@${t}.${i}`;
}

interface OpenStream {
  stream: ChangeStream;
  /** An event read while checking that the stream opens, not yet handed out. */
  pending: unknown[];
  /** The resume token of the last event handed out: where to reopen after a fault. */
  last: string | undefined;
  start: StartPosition;
}

export class MongoChangeStreamSource implements StreamSource {
  readonly id: string;
  private readonly streams = new Map<string, OpenStream>();
  private counter = 0;
  /** Set once the stream ended for good (drop, rename, invalidate): every later call reports it. */
  private ended: SourceError | undefined;

  constructor(
    private readonly client: MongoClient,
    private readonly source: MongoSourceUrl,
    private readonly collection: string,
    private readonly options: { maxAwaitMs?: number; batchSize?: number } = {},
  ) {
    this.id = mongoStreamId(source, collection);
  }

  private coll(): Collection {
    return this.client.db(this.source.database).collection(this.collection);
  }

  async listShards(): Promise<ShardInfo[]> {
    if (this.ended) throw this.ended;
    const names = await listCollections(this.client, this.source.database);
    if (!names.includes(this.collection))
      throw new SourceError(
        `collection ${this.source.database}.${this.collection} does not exist on ${this.source.name}: ` +
          `check the name (collections there: ${names.join(", ") || "none"})`,
      );
    return [{ id: this.collection, parentIds: [] }];
  }

  async iterator(_shard: string, start: StartPosition): Promise<string> {
    if (this.ended) throw this.ended;
    const open = await this.open(start, undefined);
    const key = `stream-${++this.counter}`;
    this.streams.set(key, open);
    return key;
  }

  private async open(start: StartPosition, after: string | undefined): Promise<OpenStream> {
    const position: Record<string, unknown> = {};
    const sequence = after ?? (start.type === "after" ? start.sequence : undefined);
    if (sequence?.startsWith("@")) {
      const [t, i] = sequence.slice(1).split(".").map(Number) as [number, number];
      position.startAtOperationTime = new BSON.Timestamp({ t, i }) as Timestamp;
    } else if (sequence !== undefined) {
      position.resumeAfter = { _data: sequence };
    } else if (start.type === "at-timestamp") {
      position.startAtOperationTime = new BSON.Timestamp({
        t: Math.floor(start.timestamp.getTime() / 1000),
        i: 0,
      }) as Timestamp;
    } else if (start.type === "trim-horizon") {
      throw new ConfigError(
        "a MongoDB change stream can not start at the oplog's beginning: use --from latest (after dynacrate load) or an ISO timestamp",
      );
    }
    const stream = this.coll().watch([], {
      fullDocument: "updateLookup",
      // Keep every BSON type as its own class (a double 42.0 stays a double), for Extended JSON.
      promoteValues: false,
      promoteLongs: false,
      bsonRegExp: true,
      maxAwaitTimeMS: this.options.maxAwaitMs ?? 500,
      // The server answers each getMore with up to one relay batch, not the
      // default first batch of 101 events: fewer round trips, bounded memory.
      ...(this.options.batchSize === undefined ? {} : { batchSize: this.options.batchSize }),
      ...position,
    });
    const pending: unknown[] = [];
    try {
      // The first read opens the cursor: a resume token the server does not have fails here.
      const first = await stream.tryNext();
      if (first !== null) pending.push(first);
    } catch (error) {
      await stream.close().catch(() => {});
      throw this.openError(error, sequence);
    }
    return { stream, pending, last: sequence, start };
  }

  /** A server's refusal to open the stream where asked is permanent; network faults pass. */
  private openError(error: unknown, sequence: string | undefined): unknown {
    if (!(error instanceof MongoServerError)) return error;
    const where = `${this.source.database}.${this.collection}`;
    if (sequence !== undefined)
      return new SourceError(
        `the change stream of ${where} can not resume at ${sequence} (${error.message}): the server no longer has that point ` +
          `in its oplog. Re-run the initial copy (dynacrate load --source ...), which starts the relay's checkpoint anew`,
        { cause: error },
      );
    return new SourceError(`the change stream of ${where} can not be opened: ${error.message}`, {
      cause: error,
    });
  }

  async read(iterator: string, limit: number): Promise<ReadResult> {
    if (this.ended) throw this.ended;
    let open = this.streams.get(iterator);
    if (!open) throw new SourceError(`unknown change stream ${iterator}`);
    const events = open.pending.splice(0);
    try {
      while (events.length < limit) {
        const event = await open.stream.tryNext();
        if (event === null) break;
        events.push(event);
      }
    } catch (error) {
      // The driver resumes by itself once; past that, reopen after the last event handed out.
      await open.stream.close().catch(() => {});
      this.streams.delete(iterator);
      const reopened = await this.open(open.start, open.last).catch((e) => {
        throw this.openError(e, open?.last) ?? e;
      });
      this.streams.set(iterator, reopened);
      open = reopened;
      if (events.length === 0) throw error;
    }
    const records: SourceRecord[] = [];
    for (const raw of events) {
      const event = BSON.EJSON.serialize(raw, { relaxed: false }) as Record<string, unknown>;
      const type = event.operationType;
      if (typeof type === "string" && TERMINAL_EVENTS.has(type)) {
        this.ended = new SourceError(
          `the change stream of ${this.source.database}.${this.collection} ended: a ${type} event ` +
            `(the collection was dropped or renamed, or its database dropped). The target keeps its rows; ` +
            `to follow a new collection of that name, run dynacrate load again`,
        );
        break;
      }
      const token = (event._id as { _data?: unknown } | undefined)?._data;
      const position = typeof token === "string" ? token : undefined;
      records.push({
        payload: event,
        position,
        ref: `${this.source.database}.${this.collection} ${position ?? "(no token)"}`,
      });
      if (position) open.last = position;
    }
    return { records, next: iterator, behindMs: undefined };
  }

  /** Closes the open change streams (the client stays the caller's). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.streams.values()].map((s) => s.stream.close()));
    this.streams.clear();
  }
}
