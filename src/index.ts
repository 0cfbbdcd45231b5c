// dynacrate's public API: what a program that embeds the pipeline may import
// from "dynacrate". Everything else is internal and may change without notice.
//
//   codec     change records -> typed changes -> sink rows (pure, no I/O)
//   sql       the CrateDB and PostgreSQL dialects, table names, key schemas
//   sinks     openSink(url) and the two sinks behind it
//   pipeline  ApplyPipeline: one batch in, version-guarded writes out
//   relay     runRelay: a change stream (Kinesis, DynamoDB Streams) into a sink
//   lambda    createHandler: the AWS Lambda function's handler, configured from an environment
//
// The CDK construct that deploys all of it to AWS is a separate entry point,
// "dynacrate/infra" (src/infra/index.ts): it needs aws-cdk-lib, which this one never loads.

export * from "./codec/index.ts";
export { ConfigError, DynacrateError, RecordError, SourceError } from "./errors.ts";
export {
  createHandler,
  type HandlerOptions,
  type LambdaHandler,
  type StreamEvent,
} from "./lambda/create-handler.ts";
export {
  ApplyPipeline,
  DEFAULT_TOMBSTONE_RETENTION_MS,
  type PipelineOptions,
} from "./pipeline/apply-pipeline.ts";
export type { BatchResult, FailedRecord } from "./pipeline/batch-result.ts";
export { type BatchEvent, type RelayOptions, type RelayStats, runRelay } from "./relay/relay.ts";
export { CrateDbHttpSink, type CrateDbHttpSinkOptions } from "./sink/cratedb-http.ts";
export { openSink, redactUrl, type SinkOptions } from "./sink/open-sink.ts";
export { PostgresSink, type PostgresSinkOptions } from "./sink/postgres.ts";
export type { Sink, WriteResult } from "./sink/sink.ts";
export { SinkError } from "./sink/sink-error.ts";
export * from "./sql/index.ts";
