// The partial batch response of a Kinesis or DynamoDB Streams event source
// mapping (FunctionResponseTypes: ["ReportBatchItemFailures"]).
//
// Lambda restarts the shard from the LOWEST sequence number reported and
// redelivers everything after it; an empty list means the whole batch
// succeeded; an empty or null identifier fails the whole batch (FACTS.md
// section 3). So the response names exactly one record: the first failed one
// in delivery order. (The reference reports the last successful record, which
// skips the failed one: a bug.)

import type { DynamoDBBatchResponse, KinesisStreamBatchResponse } from "aws-lambda";
import { DynacrateError } from "../errors.ts";
import type { FailedRecord } from "../pipeline/batch-result.ts";

export type BatchResponse = KinesisStreamBatchResponse & DynamoDBBatchResponse;

/**
 * The first failed record has no sequence number to report: the invocation
 * fails with this error, and Lambda retries the whole batch, which loses nothing.
 */
export class WholeBatchRetry extends DynacrateError {
  override name = "WholeBatchRetry";
}

/**
 * What an invocation answers: a partial batch response, or an error that
 * fails the invocation so that Lambda retries the whole batch.
 */
export type BatchAnswer =
  | { response: BatchResponse; retry?: undefined }
  | { response?: undefined; retry: Error };

/** The answer for the records still failed after dead-lettering (any order). */
export function batchResponse(failed: FailedRecord[]): BatchAnswer {
  if (failed.length === 0) return { response: { batchItemFailures: [] } };
  let first = failed[0] as FailedRecord;
  for (const failure of failed) if (failure.index < first.index) first = failure;
  if (first.position === undefined || first.position === "") {
    return {
      retry: new WholeBatchRetry(
        `record ${first.ref} (index ${first.index}) failed and has no sequence number to report, so the whole batch is retried: ${first.error.message}`,
        { cause: first.error },
      ),
    };
  }
  return { response: { batchItemFailures: [{ itemIdentifier: first.position }] } };
}
