// The whole pipeline on one machine: DynamoDB Local with streaming tables,
// the Kinesis emulator with an N-shard stream they all stream into (as
// several DynamoDB tables can stream into one Kinesis stream), a bridge per
// table, and a
// database to replicate into (a PostgreSQL started here, or the user's
// CrateDB). Everything it starts, it stops: on stop(), on SIGINT/SIGTERM, and
// through the launchers' 'exit' hooks when the process ends any other way
// (short of SIGKILL, which no process can intercept).

import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { formatKeySchema, type KeySchema } from "../../codec/key-schema.ts";
import { errorMessage } from "../../error-text.ts";
import { LocalStackError } from "../../errors.ts";
import { sinkOfUrl } from "../../sink/open-sink.ts";
import { tableNameText } from "../../sql/table-name.ts";
import { signalExitCode, stopOnSignals } from "../../stop-signals.ts";
import { type Bridge, startBridge } from "../bridge/bridge.ts";
import type { BridgeFaults } from "../bridge/bridge-faults.ts";
import { joinBridges } from "../bridge/joined-bridges.ts";
import { localDynamoDbClient, localKinesisClient, localStreamsClient } from "./aws-clients.ts";
import {
  DynamoDbLocalStartError,
  JavaNotFoundError,
  startDynamoDbLocal,
} from "./dynamodb-local.ts";
import { KinesisLocalStartError, startKinesisLocal } from "./kinesis-local.ts";
import { PostgresStartError, startPostgres } from "./postgres.ts";
import { createKinesisStream, createStreamingTable } from "./provision.ts";

export const LOCAL_REGION = "us-east-1";

/**
 * What a separate process (`dynacrate relay`) needs to reach the emulators: a
 * region and any credentials (the same dummies as aws-clients.ts, so that
 * kinesis-mock files the streams under the same account).
 */
export const LOCAL_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: LOCAL_REGION,
  // AWS CLI v1 reads only this one.
  AWS_DEFAULT_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: "dynacratelocal",
  AWS_SECRET_ACCESS_KEY: "dynacratelocal",
};

export type LocalService = "DynamoDB Local" | "Kinesis emulator" | "PostgreSQL";

export interface StackProgress {
  service: LocalService;
  state: "starting" | "ready";
  /** Start-up time, when ready. */
  ms?: number;
  endpoint?: string;
}

/** A DynamoDB table of the stack. */
export interface LocalTable {
  name: string;
  /** The table's key, partition key first. */
  keySchema: KeySchema;
}

export interface LocalStackOptions {
  /** At least one; each gets its stream and a bridge into the one Kinesis stream. */
  tables: LocalTable[];
  /** Shards of the Kinesis stream. Default 2. */
  shards?: number;
  /** Default `<table>-changes` for one table, `local-changes` for several. */
  streamName?: string;
  /**
   * A database to replicate into, e.g. the user's CrateDB (`CRATEDB_URL`);
   * without it, a PostgreSQL is started on a free port.
   */
  targetUrl?: string | undefined;
  /** Duplicates and reordering injected by the bridge. */
  faults?: BridgeFaults | undefined;
  /** The TTL attribute: REMOVEs of items it says are expired are marked as TTL deletes. */
  ttlAttribute?: string | undefined;
  onProgress?: (event: StackProgress) => void;
  /** Told about errors the bridge survives by retrying. Default: one line on stderr. */
  onBridgeError?: (error: unknown) => void;
  /** On SIGINT / SIGTERM: stop everything, then exit with 130 / 143. Default true. */
  stopOnSignals?: boolean;
}

export interface LocalStack {
  tables: LocalTable[];
  streamName: string;
  region: string;
  dynamodbEndpoint: string;
  kinesisEndpoint: string;
  /** The sink URL (holds the password of the PostgreSQL started here). */
  targetUrl: string;
  target: "postgresql" | "cratedb";
  /** True when the database was started here (and is stopped with the stack). */
  targetStarted: boolean;
  clients: { dynamodb: DynamoDBClient; streams: DynamoDBStreamsClient; kinesis: KinesisClient };
  /** The bridges of every table, as one. */
  bridge: Bridge;
  /** Arguments of `dynacrate relay` that consume the stack's Kinesis stream into its database. */
  relayArgs(): string[];
  /** Stops the bridge and every service started here. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const { tables } = options;
  if (tables.length === 0) throw new LocalStackError("the local stack needs at least one table");
  const streamName =
    options.streamName ?? (tables.length === 1 ? `${tables[0]?.name}-changes` : "local-changes");
  const progress = options.onProgress ?? (() => {});
  const stoppers: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      signals?.dispose();
      // Last started, first stopped: the bridge before the services it reads and writes.
      for (const stop of stoppers.reverse()) {
        try {
          await stop();
        } catch {
          // keep stopping the rest; the launchers' exit hooks are the last resort
        }
      }
    })();
    return stopping;
  };
  // Installed before anything starts, so a Ctrl-C during start-up stops what is already up.
  const signals =
    options.stopOnSignals === false
      ? undefined
      : stopOnSignals((signal) => {
          void stopAll().finally(() => process.exit(signalExitCode(signal)));
        });

  const timed = async <T extends { stop(): Promise<void> }>(
    service: LocalService,
    start: () => Promise<T>,
    endpoint: (started: T) => string,
  ): Promise<T> => {
    progress({ service, state: "starting" });
    const began = performance.now();
    const started = await start();
    stoppers.push(() => started.stop());
    progress({
      service,
      state: "ready",
      ms: performance.now() - began,
      endpoint: endpoint(started),
    });
    return started;
  };

  try {
    // In parallel: the JVM dominates, the others start while it warms up.
    const [dynamo, kinesis, postgres] = await settleAll([
      timed(
        "DynamoDB Local",
        () => startDynamoDbLocal(),
        (d) => d.endpoint,
      ),
      timed(
        "Kinesis emulator",
        () => startKinesisLocal({ region: LOCAL_REGION }),
        (k) => k.endpoint,
      ),
      options.targetUrl === undefined
        ? timed(
            "PostgreSQL",
            () => startPostgres(),
            (p) => `127.0.0.1:${p.port}`,
          )
        : Promise.resolve(undefined),
    ]);
    const clients = {
      dynamodb: localDynamoDbClient(dynamo.endpoint, { region: LOCAL_REGION }),
      streams: localStreamsClient(dynamo.endpoint, { region: LOCAL_REGION }),
      kinesis: localKinesisClient(kinesis.endpoint, { region: LOCAL_REGION }),
    };
    stoppers.push(async () => {
      clients.dynamodb.destroy();
      clients.streams.destroy();
      clients.kinesis.destroy();
    });
    await Promise.all([
      ...tables.map((t) => createStreamingTable(clients.dynamodb, t.name, t.keySchema)),
      createKinesisStream(clients.kinesis, streamName, options.shards ?? 2),
    ]);
    const bridge = joinBridges(
      tables.map((t) =>
        startBridge({
          ...clients,
          table: t.name,
          stream: streamName,
          faults: options.faults,
          ttlAttribute: options.ttlAttribute,
          region: LOCAL_REGION,
          onError:
            options.onBridgeError ??
            ((error) =>
              process.stderr.write(
                `bridge${tables.length > 1 ? ` ${t.name}` : ""}: ${errorMessage(error)}\n`,
              )),
        }),
      ),
    );
    stoppers.push(async () => {
      await bridge.stop();
    });

    const targetUrl = options.targetUrl ?? (postgres as { url: string }).url;
    return {
      tables,
      streamName,
      region: LOCAL_REGION,
      dynamodbEndpoint: dynamo.endpoint,
      kinesisEndpoint: kinesis.endpoint,
      targetUrl,
      target: sinkOfUrl(targetUrl) === "postgresql" ? "postgresql" : "cratedb",
      targetStarted: options.targetUrl === undefined,
      clients,
      bridge,
      relayArgs: () => [
        "relay",
        "--source",
        `kinesis://${streamName}`,
        "--endpoint",
        kinesis.endpoint,
        "--region",
        LOCAL_REGION,
        "--target",
        targetUrl,
        // Several tables share the stream: each to a target of its own name.
        ...(tables.length === 1
          ? [
              "--table",
              tables[0]?.name as string,
              "--key",
              formatKeySchema(tables[0]?.keySchema ?? []),
            ]
          : [
              "--table-map",
              tables
                .map((t) => `${t.name}=${tableNameText({ schema: undefined, name: t.name })}`)
                .join(","),
            ]),
      ],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * True for the errors of a service that could not start (no Java, a port
 * taken, a broken install): their messages name the fix, so a command prints
 * the message rather than a stack trace.
 */
export function isStartError(error: unknown): error is Error {
  return (
    error instanceof JavaNotFoundError ||
    error instanceof DynamoDbLocalStartError ||
    error instanceof KinesisLocalStartError ||
    error instanceof PostgresStartError
  );
}

/**
 * Like Promise.all, but waits for every promise before throwing, so that a
 * service that started while another failed is known and stopped. Throws the
 * first failure in argument order.
 */
async function settleAll<T extends unknown[]>(
  promises: [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === "rejected") throw result.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
}
