// CloudWatch metrics of each batch, as one Embedded Metric Format (EMF) line:
// CloudWatch Logs turns the line into metrics without any API call or
// permission beyond writing logs.
// Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

export const METRICS_NAMESPACE = "dynacrate";

export interface BatchMetrics {
  records: number;
  applied: number;
  /** Left out: superseded in the batch, stale in the database, duplicates. */
  superseded: number;
  stale: number;
  duplicates: number;
  failed: number;
  deadLettered: number;
  /** Attributes stored in `aux` for a type that did not fit `data` (CrateDB). */
  routedToAux?: number;
  /** Now minus the oldest change time of the batch; undefined when no record could be decoded. */
  lagMs: number | undefined;
  durationMs: number;
}

type Unit = "Count" | "Milliseconds";

/** The EMF object for one batch, dimensioned by the target table. */
export function metricsLine(table: string, metrics: BatchMetrics, timestamp = Date.now()): string {
  const values: Array<[string, Unit, number | undefined]> = [
    ["Records", "Count", metrics.records],
    ["Applied", "Count", metrics.applied],
    ["Superseded", "Count", metrics.superseded],
    ["Stale", "Count", metrics.stale],
    ["Duplicates", "Count", metrics.duplicates],
    ["Failed", "Count", metrics.failed],
    ["DeadLettered", "Count", metrics.deadLettered],
    ["RoutedToAux", "Count", metrics.routedToAux],
    ["LagMs", "Milliseconds", metrics.lagMs],
    ["BatchDurationMs", "Milliseconds", metrics.durationMs],
  ];
  // A declared metric without a value makes CloudWatch reject the whole line,
  // so an unknown lag is left out rather than written as null.
  const present = values.filter(
    (v): v is [string, Unit, number] => v[2] !== undefined && Number.isFinite(v[2]),
  );
  const out: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [["Table"]],
          Metrics: present.map(([Name, Unit]) => ({ Name, Unit })),
        },
      ],
    },
    Table: table,
  };
  for (const [name, , value] of present) out[name] = value;
  return JSON.stringify(out);
}
