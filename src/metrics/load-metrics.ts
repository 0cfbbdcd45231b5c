// The progress of `dynacrate load` as Prometheus metrics: read at scrape time
// from the load's last progress event (the one its progress lines print), and
// its health: a load whose progress has not moved for the stated time is stuck.

import { Counter, Gauge, type Registry } from "prom-client";
import type { LoadProgressEvent } from "../load/load.ts";
import type { Check } from "./server.ts";

export interface LoadMetrics {
  /** The load's onProgress. */
  progress(event: LoadProgressEvent): void;
  /** /healthz: 503 once no progress came for `stuckMs`. */
  health(): Check;
}

export function loadMetrics(
  registry: Registry,
  stuckMs: number,
  now: () => number = Date.now,
): LoadMetrics {
  let last: LoadProgressEvent | undefined;
  let movedAt = now();
  const registers = [registry];
  const gauge = (name: string, help: string, value: (e: LoadProgressEvent) => number | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const v = last && value(last);
        if (v !== undefined) this.set(v);
      },
    });
  gauge(
    "dynacrate_load_items",
    "Items applied over all runs of the load job (a resumed load counts the earlier runs)",
    (e) => e.items,
  );
  gauge(
    "dynacrate_load_items_expected",
    "Items the table or export holds, as DynamoDB or the export's manifest says (approximate)",
    (e) => e.total,
  );
  gauge(
    "dynacrate_load_parts",
    "Parts of the load: Scan segments or export data files",
    (e) => e.parts,
  );
  gauge("dynacrate_load_parts_done", "Parts read to their end and applied", (e) => e.partsDone);
  gauge("dynacrate_load_queued_pages", "Pages read and waiting to be applied", (e) => e.queued);
  new Counter({
    name: "dynacrate_load_items_read_total",
    help: "Items this run has read and applied",
    registers,
    collect() {
      this.reset();
      this.inc(last?.itemsThisRun ?? 0);
    },
  });
  return {
    progress(event) {
      last = event;
      movedAt = now();
    },
    health() {
      const still = now() - movedAt;
      if (still <= stuckMs) return { ok: true };
      return {
        ok: false,
        reason: `stuck: the load has not moved for ${Math.round(still / 1000)} s (the limit is ${Math.round(stuckMs / 1000)} s)`,
      };
    },
  };
}
