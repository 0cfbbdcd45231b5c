// A sink whose requests are timed into a histogram: the same sink to the
// pipeline, while the sink itself knows nothing of metrics.

import type { Histogram } from "prom-client";
import type { Sink } from "../sink/sink.ts";

/** `sink` with each write and query observed in `histogram` (label `operation`), failed ones too. */
export function timedSink(sink: Sink, histogram: Histogram<"operation">): Sink {
  const time = async <T>(operation: string, request: () => Promise<T>): Promise<T> => {
    const end = histogram.startTimer({ operation });
    try {
      return await request();
    } finally {
      end();
    }
  };
  return {
    get dialect() {
      return sink.dialect;
    },
    ensureTable: (table, keySchema) => sink.ensureTable(table, keySchema),
    write: (table, rows, keySchema) => time("write", () => sink.write(table, rows, keySchema)),
    appendHistory: (table, rows) => time("history", () => sink.appendHistory(table, rows)),
    query: (statement) => time("query", () => sink.query(statement)),
    close: () => sink.close(),
  };
}
