// --history and --history-partition: keep every change in `<table>__history`
// beside the state table (replay, relay, load).

import type { HistoryOptions } from "../pipeline/history-writer.ts";
import { HISTORY_PARTITIONS, type HistoryPartition } from "../sql/history.ts";
import { type OptionSpec, sinkOptions, wordValue } from "./args.ts";

export const HISTORY_OPTIONS = {
  history: { type: "boolean" },
  "history-partition": {
    type: "string",
    value: wordValue(HISTORY_PARTITIONS, { got: true }),
    rule: {
      reads: [],
      problem: (values) =>
        values["history-partition"] !== undefined && values.history !== true
          ? "--history-partition partitions the table of --history: add --history, or leave it out"
          : undefined,
    },
  },
} as const satisfies OptionSpec;

export const HISTORY_HELP = `  --history           also keep every change, once, in NAME__history (created if missing;
                      see README, "The change history")
  --history-partition month|day
                      CrateDB: one partition of the history table per month (default) or day`;

/** The pipeline's history options, or undefined without --history. */
export function historyOption(values: Record<string, unknown>): HistoryOptions | undefined {
  const partition = values["history-partition"];
  // --history-partition without --history is refused by its spec's rule.
  if (values.history !== true) return undefined;
  // The history table gets the state tables' refresh interval (--refresh-interval-ms).
  const refreshIntervalMs = sinkOptions(values).refreshIntervalMs;
  return {
    ...(partition === undefined ? {} : { partition: partition as HistoryPartition }),
    ...(refreshIntervalMs === undefined ? {} : { settings: { refreshIntervalMs } }),
  };
}
