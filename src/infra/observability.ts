// What an operator of the deployed pipeline watches: alarms on everything
// that means changes are late or lost (lag, function errors and throttles,
// records in the dead-letter and on-failure queues, changes DynamoDB could not
// put on the Kinesis stream), and one dashboard with the function's own
// metrics (src/lambda/metrics.ts: records/s, applied, superseded, stale,
// duplicates, failed).

import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS_NAMESPACE } from "../lambda/metrics.ts";

export interface ObservabilityProps {
  fn: lambda.IFunction;
  deadLetterQueue: sqs.IQueue;
  onFailureQueue: sqs.IQueue;
  /** The DynamoDB table's name, for its Kinesis replication metric; undefined with DynamoDB Streams. */
  kinesisSourceTable: string | undefined;
  /** The target table as the function's metrics name it (dimension `Table`). */
  metricsTable: string;
  iteratorAgeSeconds: number;
  topicArn: string | undefined;
  dashboardName: string | undefined;
}

const MINUTE = Duration.minutes(1);

export class Observability extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { fn } = props;
    const topic = props.topicArn
      ? sns.Topic.fromTopicArn(this, "Topic", props.topicArn)
      : undefined;
    const alarm = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data means no traffic, not trouble.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (topic) created.addAlarmAction(new actions.SnsAction(topic));
      this.alarms.push(created);
      return created;
    };

    const iteratorAge = fn.metric("IteratorAge", { statistic: "Maximum", period: MINUTE });
    alarm(
      "IteratorAge",
      iteratorAge,
      props.iteratorAgeSeconds * 1000,
      `The oldest change not yet applied is older than ${props.iteratorAgeSeconds} s: the function falls behind or a shard is stuck retrying. Check the function's logs.`,
      5,
    );
    alarm(
      "FunctionErrors",
      fn.metricErrors({ period: Duration.minutes(5) }),
      1,
      "The function failed whole invocations (configuration, secret, or database unreachable); Lambda retries them. Check the function's logs.",
    );
    alarm(
      "FunctionThrottles",
      fn.metricThrottles({ period: Duration.minutes(5) }),
      1,
      "Invocations were throttled: raise the reserved concurrency or the account's limit.",
    );
    alarm(
      "DeadLetters",
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE }),
      1,
      "Records that can never be applied (bad data) are waiting in the dead-letter queue with their reason; fix and re-apply them with dynacrate replay.",
    );
    alarm(
      "OnFailure",
      props.onFailureQueue.metricApproximateNumberOfMessagesVisible({ period: MINUTE }),
      1,
      "Lambda gave up on a batch after its retries or its maximum record age; the message names the shard and sequence range to re-read.",
    );
    if (props.kinesisSourceTable !== undefined) {
      // The metric carries a DelegatedOperation dimension (PutItem, UpdateItem,
      // ...); a Metrics Insights query sums over all of them.
      alarm(
        "FailedToReplicate",
        new cloudwatch.MathExpression({
          expression: `SELECT SUM(FailedToReplicateRecordCount) FROM SCHEMA("AWS/DynamoDB", DelegatedOperation, TableName) WHERE TableName = '${props.kinesisSourceTable}'`,
          period: Duration.minutes(5),
          label: "FailedToReplicateRecordCount",
        }),
        1,
        "DynamoDB could not put changes on the Kinesis stream (a change over 1 MB, or the stream's permissions): those changes are not replicated.",
      );
    }

    const emf = (name: string, statistic = "Sum") =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { Table: props.metricsTable },
        statistic,
        period: MINUTE,
      });
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: "Records per second",
            left: [
              new cloudwatch.MathExpression({
                expression: "records / PERIOD(records)",
                usingMetrics: { records: emf("Records") },
                label: "records/s",
                period: MINUTE,
              }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: "Lag (ms)",
            left: [iteratorAge.with({ label: "IteratorAge (oldest record in the stream)" })],
            right: [emf("LagMs", "Maximum").with({ label: "LagMs (change to apply)" })],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: "Applied, left out by the version guard, failed (per minute)",
            left: ["Applied", "Superseded", "Stale", "Duplicates", "Failed", "DeadLettered"].map(
              (name) => emf(name),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: "Function",
            left: [
              fn.metricErrors({ period: MINUTE }),
              fn.metricThrottles({ period: MINUTE }),
              fn.metricInvocations({ period: MINUTE }),
            ],
            right: [emf("BatchDurationMs", "Maximum")],
          }),
          new cloudwatch.GraphWidget({
            title: "Queues",
            left: [
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: MINUTE,
                label: "dead letters",
              }),
              props.onFailureQueue.metricApproximateNumberOfMessagesVisible({
                period: MINUTE,
                label: "on-failure",
              }),
            ],
          }),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24 })],
      ],
    });
  }
}
