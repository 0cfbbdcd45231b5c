// The Lambda function's work per invocation, as a factory so tests can give
// it an environment and fake AWS clients: one batch in, applied through the
// pipeline, permanent failures set aside as dead letters, and the partial
// batch response out; then one log line and one metrics line per batch.
// No decoding or SQL here: that is the pipeline's.

import type { KinesisClient } from "@aws-sdk/client-kinesis";
import type { Context, DynamoDBStreamEvent, KinesisStreamEvent } from "aws-lambda";
import { sourceRecords } from "../codec/source-record.ts";
import { deadLetterCandidates, deadLetterOf } from "../dead-letter/destination.ts";
import type { SqsClient } from "../dead-letter/sqs.ts";
import { errorFields } from "../error-text.ts";
import { ConfigError, RecordError } from "../errors.ts";
import { type LineWriter, Logger, parseLogLevel } from "../log.ts";
import type { BatchResult, FailedRecord } from "../pipeline/batch-result.ts";
import { SinkError } from "../sink/sink-error.ts";
import { type BatchResponse, batchResponse } from "./batch-response.ts";
import type { Environment } from "./config.ts";
import { type Container, ContainerState } from "./container.ts";
import { eventBridgeRecords, isEventBridgeEvent, type MongoTriggerEvent } from "./eventbridge.ts";
import { type BatchMetrics, metricsLine } from "./metrics.ts";
import type { SecretsClient } from "./secret.ts";
import { batchSource } from "./shard.ts";

/** A batch of a Kinesis or DynamoDB Streams mapping, or one MongoDB trigger event through EventBridge. */
export type StreamEvent = KinesisStreamEvent | DynamoDBStreamEvent | MongoTriggerEvent;

export interface HandlerOptions {
  env: Environment;
  /** Where log and metrics lines go; stdout by default. */
  writeLine?: LineWriter;
  secretsClient?: SecretsClient;
  sqsClient?: SqsClient;
  /** Asked for a Kinesis event source's retention; by default, one for the stream's region. */
  kinesisClient?: KinesisClient;
}

export interface LambdaHandler {
  handler: (event: StreamEvent, context?: Partial<Context>) => Promise<BatchResponse>;
  /** Closes the connections (tests; Lambda simply freezes the container). */
  close: () => Promise<void>;
}

export function createHandler(options: HandlerOptions): LambdaHandler {
  // The level is known before the configuration is checked, so that a bad configuration is logged too.
  const log = new Logger(parseLogLevel(options.env.LOG_LEVEL ?? "") ?? "info", options.writeLine);
  const state = new ContainerState({
    env: options.env,
    log,
    secretsClient: options.secretsClient,
    sqsClient: options.sqsClient,
    kinesisClient: options.kinesisClient,
  });
  // Lambda runs one invocation at a time per container: the first one is the cold start.
  let invocations = 0;

  async function handler(event: StreamEvent, context?: Partial<Context>): Promise<BatchResponse> {
    const started = performance.now();
    const coldStart = invocations++ === 0;
    const source = batchSource(event);
    const requestId = context?.awsRequestId;
    let container: Container;
    try {
      container = await state.get();
    } catch (error) {
      // Configuration or secret problems: the invocation fails and Lambda retries the batch.
      log.error("not ready", { requestId, ...errorFields(error) });
      throw error;
    }
    const { pipeline, deadLetters } = container;

    const bridged = isEventBridgeEvent(event);
    if (bridged !== (container.config.format === "mongodb")) {
      const error = new ConfigError(
        bridged
          ? "an EventBridge event arrived (a MongoDB Atlas trigger?) but MESSAGE_FORMAT is not mongodb: set MESSAGE_FORMAT=mongodb"
          : "MESSAGE_FORMAT=mongodb, but the event is not an EventBridge event of an Atlas trigger",
      );
      log.error("wrong event format", { requestId, ...errorFields(error) });
      throw error;
    }
    const records = bridged ? eventBridgeRecords(event) : sourceRecords(event);
    let result: BatchResult;
    try {
      result = await pipeline.apply(records);
    } catch (error) {
      // The pipeline fails records, not batches; this is a bug or a broken runtime: retry the whole batch.
      log.error("batch failed", {
        requestId,
        shard: source.shard,
        ...errorFields(error),
      });
      throw error;
    }

    // Permanent failures go to the dead-letter destination; those it accepts count as handled.
    const delivered = bridged ? [event] : ((event as { Records?: unknown[] }).Records ?? []);
    const sent = new Set<number>();
    const refused = new Map<number, string>();
    if (deadLetters) {
      const letters = deadLetterCandidates(result.failed).map((f) =>
        deadLetterOf(f, delivered[f.index]),
      );
      const outcome = await deadLetters.send(letters);
      for (const index of outcome.sent) sent.add(index);
      for (const [index, reason] of outcome.refused) refused.set(index, reason);
    }
    const stillFailed = result.failed.filter((f) => !sent.has(f.index));

    for (const failure of result.failed) {
      log.warn("record failed", {
        requestId,
        shard: source.shard,
        ref: failure.ref,
        position: failure.position,
        reason: failure.error.message,
        field: failure.error instanceof RecordError ? failure.error.field : undefined,
        retryable: !failure.permanent,
        deadLettered: sent.has(failure.index),
        ...(refused.has(failure.index) ? { deadLetterError: refused.get(failure.index) } : {}),
      });
    }

    // EventBridge has no partial response: a failed event fails the invocation, and Lambda
    // retries it, then hands it (with its payload) to the function's on-failure destination.
    // A Kinesis or DynamoDB Streams batch whose first failed record has no sequence number
    // to report is retried whole too.
    const answer =
      bridged && stillFailed[0] ? { retry: stillFailed[0].error } : batchResponse(stillFailed);

    const durationMs = Math.round(performance.now() - started);
    const lagMs =
      result.oldestMicros > 0
        ? Math.max(0, Math.round(Date.now() - result.oldestMicros / 1000))
        : undefined;
    // The counts once, for the log line and the metrics line alike.
    const counts: BatchMetrics = {
      records: result.records,
      applied: result.applied,
      superseded: result.superseded,
      stale: result.stale,
      duplicates: result.duplicates,
      failed: stillFailed.length,
      deadLettered: sent.size,
      routedToAux: result.routedToAux,
      lagMs,
      durationMs,
    };
    log.info("batch", {
      requestId,
      shard: source.shard,
      eventSourceARN: source.eventSourceARN,
      ...counts,
      skipped: result.skipped,
      ...(result.staleUnknown ? { staleUnknown: true } : {}),
      roundedNumbers: result.roundedNumbers,
      coldStart,
      reported: answer.response?.batchItemFailures[0]?.itemIdentifier,
    });
    log.line(metricsLine(container.tableName, counts));

    await afterBatch(container, stillFailed, source.eventSourceARN);
    if (answer.response) return answer.response;
    log.error("batch retried whole", { requestId, ...errorFields(answer.retry) });
    throw answer.retry;
  }

  async function afterBatch(
    container: Container,
    stillFailed: FailedRecord[],
    eventSourceARN: string | undefined,
  ): Promise<void> {
    const sinkErrors = stillFailed
      .map((f) => f.error)
      .filter((e): e is SinkError => e instanceof SinkError);
    if (sinkErrors.some((e) => e.kind === "fatal")) {
      // Bad credentials (a rotated secret), a dropped table: start afresh next time.
      log.warn(
        "sink failed fatally; the next invocation reconnects",
        errorFields(sinkErrors.find((e) => e.kind === "fatal")),
      );
      await state.reset();
      return;
    }
    // With the sink down, a purge would only wait through the retries again.
    if (sinkErrors.some((e) => e.kind === "transient")) return;
    // Before the first purge: tombstones outlive every change the stream can still deliver.
    await container.retention.keep(container.pipeline, eventSourceARN);
    try {
      // Rate-limited by the pipeline itself (at most once an hour).
      const purged = await container.pipeline.purgeTombstones();
      if (purged) log.debug("tombstones purged", { table: container.tableName });
    } catch (error) {
      log.warn("tombstone purge failed; the batch is not affected", {
        table: container.tableName,
        ...errorFields(error),
      });
    }
  }

  return { handler, close: () => state.close() };
}
