// Routing of change records to target tables, a layer above the apply
// pipeline: one pipeline per target table (its own key schema, learnt only
// from its own records), and each record sent to the pipeline of its target
// as the table routes say (table-routes.ts). A record that no route takes is
// refused with a reason that names its table and the option to set; it is
// never written into another table's target. Replay, the relay and the Lambda
// function apply through a router.

import type { NumberFormat } from "../codec/decimal.ts";
import { routeAttribute } from "../codec/route-attribute.ts";
import type { SourceRecord } from "../codec/source-record.ts";
import { sourceTableOf } from "../codec/source-table.ts";
import { ConfigError, type RecordError, RoutingRefusal } from "../errors.ts";
import {
  ApplyPipeline,
  DEFAULT_TOMBSTONE_RETENTION_MS,
  type PipelineOptions,
  type PreparedBatch,
} from "../pipeline/apply-pipeline.ts";
import {
  addCounts,
  type BatchResult,
  emptyBatchResult,
  type FailedRecord,
  tableCounts,
} from "../pipeline/batch-result.ts";
import type { Sink } from "../sink/sink.ts";
import { formatTableName, type TableName } from "../sql/table-name.ts";
import {
  fillTemplate,
  isTemplate,
  namedTargets,
  type Route,
  type TableRoutes,
} from "./table-routes.ts";

export interface RouterOptions extends Omit<PipelineOptions, "table"> {
  routes: TableRoutes;
  numbers?: NumberFormat | undefined;
}

/** What a batch becomes once routed: a prepared batch per target, and the refused records. */
export interface RoutedBatch {
  records: number;
  groups: Array<{ pipeline: ApplyPipeline; indices: number[]; prepared: PreparedBatch }>;
  refused: FailedRecord[];
}

type Decision =
  | { target: TableName }
  | { refuse: string; field: string; source?: string | undefined }
  | { own: RecordError };

export class Router {
  readonly sink: Sink;
  readonly routes: TableRoutes;
  private readonly options: RouterOptions;
  private readonly pipelines = new Map<string, ApplyPipeline>();
  /** The one source table a plain --table takes: given, or the first record's. */
  private sourceTable: string | undefined;
  /** Shared by every target's pipeline, made now or later (see atLeast). */
  private retentionMs: number;

  constructor(sink: Sink, options: RouterOptions) {
    this.sink = sink;
    this.options = options;
    this.retentionMs = options.tombstoneRetentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS;
    this.routes = options.routes;
    this.sourceTable = options.routes.sourceTable;
  }

  /**
   * The table the routed stream's relay checkpoints belong to: the first
   * target named up front (the relay asks for one).
   */
  get table(): TableName {
    const [first] = namedTargets(this.routes);
    if (first) return first;
    if (this.routes.table) return this.routes.table;
    throw new ConfigError(
      `name a target table (${this.routes.names.table} or ${this.routes.names.map}): a {table} template alone has none to keep checkpoints in`,
    );
  }

  /** Every target the routes name up front; the relay's checkpoints stand for their rows. */
  get targets(): TableName[] {
    return namedTargets(this.routes);
  }

  /** The pipeline of a target table, made on first use. */
  pipeline(target: TableName): ApplyPipeline {
    const key = formatTableName(target);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const { routes: _, ...rest } = this.options;
      pipeline = new ApplyPipeline(this.sink, {
        ...rest,
        table: target,
        tombstoneRetentionMs: this.retentionMs,
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  async apply(records: SourceRecord[]): Promise<BatchResult> {
    return this.commit(this.prepare(records));
  }

  /** Routes and prepares a batch (the CPU half; see ApplyPipeline.prepare). */
  prepare(records: SourceRecord[]): RoutedBatch {
    const groups = new Map<ApplyPipeline, { indices: number[]; records: SourceRecord[] }>();
    const refused: FailedRecord[] = [];
    for (let index = 0; index < records.length; index++) {
      const record = records[index] as SourceRecord;
      const decision = this.decide(record);
      if ("target" in decision) {
        const pipeline = this.pipeline(decision.target);
        let group = groups.get(pipeline);
        if (!group) {
          group = { indices: [], records: [] };
          groups.set(pipeline, group);
        }
        group.indices.push(index);
        group.records.push(record);
        continue;
      }
      const ref = record.ref ?? record.position ?? `record ${index}`;
      const error =
        "own" in decision
          ? decision.own
          : new RoutingRefusal(ref, decision.field, decision.refuse, decision.source);
      refused.push({
        index,
        ref: error.record,
        position: record.position,
        error,
        permanent: true,
        payload: record.payload,
      });
    }
    return {
      records: records.length,
      groups: [...groups].map(([pipeline, group]) => ({
        pipeline,
        indices: group.indices,
        prepared: pipeline.prepare(group.records),
      })),
      refused,
    };
  }

  /**
   * Writes a routed batch, every target at once (each is its own table: the
   * database takes them side by side); every record's fate by its index in
   * the batch, the targets' counts in the order the batch first names them.
   * When a target's write throws (a bug, not an outage: those are results),
   * the others are still awaited before it is thrown.
   */
  async commit(batch: RoutedBatch): Promise<BatchResult> {
    const settled = await Promise.allSettled(
      batch.groups.map((group) => group.pipeline.commit(group.prepared)),
    );
    const total: BatchResult = { ...emptyBatchResult(), failed: [...batch.refused], tables: [] };
    if (batch.refused.length > 0)
      total.tables?.push(
        tableCounts("", {
          ...emptyBatchResult(),
          records: batch.refused.length,
          failed: batch.refused,
        }),
      );
    for (let g = 0; g < batch.groups.length; g++) {
      const group = batch.groups[g] as RoutedBatch["groups"][number];
      const outcome = settled[g] as PromiseSettledResult<BatchResult>;
      if (outcome.status === "rejected") throw outcome.reason;
      const result = outcome.value;
      addCounts(total, result);
      total.tables?.push(tableCounts(formatTableName(group.pipeline.table), result));
      total.staleUnknown ||= result.staleUnknown;
      total.routedToAux += result.routedToAux;
      total.roundedNumbers += result.roundedNumbers;
      total.newestMicros = Math.max(total.newestMicros, result.newestMicros);
      if (result.oldestMicros > 0)
        total.oldestMicros =
          total.oldestMicros === 0
            ? result.oldestMicros
            : Math.min(total.oldestMicros, result.oldestMicros);
      for (const f of result.failed)
        total.failed.push({ ...f, index: group.indices[f.index] as number });
    }
    // Every record counts once: refused ones too, whatever the groups counted.
    total.records = batch.records;
    total.failed.sort((a, b) => a.index - b.index);
    return total;
  }

  /** The tombstone retention of every target (see ApplyPipeline.tombstoneRetentionMs). */
  get tombstoneRetentionMs(): number {
    return this.retentionMs;
  }

  /** Keeps every target's tombstones at least `ms` (see ApplyPipeline.atLeast). */
  atLeast(ms: number): void {
    if (ms > this.retentionMs) this.retentionMs = ms;
    for (const pipeline of this.pipelines.values()) pipeline.atLeast(ms);
  }

  /** Purges old tombstones of every target (at most once per interval each). */
  async purgeTombstones(now = Date.now()): Promise<boolean> {
    let ran = false;
    for (const pipeline of this.pipelines.values())
      ran = (await pipeline.purgeTombstones(now)) || ran;
    return ran;
  }

  private decide(record: SourceRecord): Decision {
    const { routes } = this;
    const { names } = routes;
    if (routes.routes?.length) {
      const route = matchRoute(routes.routes, record);
      if (route) return { target: route.target };
    }
    const source = sourceTableOf(record);
    if (routes.map) {
      if (source === undefined) return this.unnamed(record, names.map);
      const target = routes.map.get(source);
      if (target) return { target };
      return {
        field: "tableName",
        source,
        refuse: `comes from table ${source}, which ${names.map} does not map (it maps ${[...routes.map.keys()].join(", ")}); add ${source}=<target table> to ${names.map} to replicate it`,
      };
    }
    if (routes.table && isTemplate(routes.table)) {
      if (source === undefined) return this.unnamed(record, `${names.table} with {table}`);
      return { target: fillTemplate(routes.table, source) };
    }
    if (routes.table) {
      if (source === undefined || this.sourceTable === undefined) {
        this.sourceTable ??= source;
        return { target: routes.table };
      }
      if (source === this.sourceTable) return { target: routes.table };
      const target = formatTableName(routes.table);
      const chosen =
        routes.sourceTable === undefined
          ? "the table the first record names"
          : `set by ${names.sourceTable}`;
      return {
        field: "tableName",
        source,
        refuse: `comes from table ${source}, but ${names.table} ${target} takes the records of table ${this.sourceTable} (${chosen}); to replicate both, use ${names.map} ${this.sourceTable}=${target},${source}=<target table>`,
      };
    }
    return {
      field: routes.routes?.[0]?.attribute ?? "dynamodb",
      refuse: `matches no ${names.route} (${(routes.routes ?? []).map((r) => r.text).join(", ")}); add a route for it, or ${names.table} for the rest`,
    };
  }

  /** A record that names no source table where the routes need one. */
  private unnamed(record: SourceRecord, option: string): Decision {
    if (record.error) return { own: record.error };
    return {
      field: "tableName",
      refuse: `names no source table (no tableName, no eventSourceARN of a DynamoDB stream), so ${option} can not place it`,
    };
  }
}

/** The first route whose attribute (in Keys, else NewImage, else OldImage) matches. */
function matchRoute(routes: Route[], record: SourceRecord): Route | undefined {
  // Routes usually test one attribute: it is read once.
  const values = new Map<string, string | undefined>();
  for (const route of routes) {
    let value = values.get(route.attribute);
    if (!values.has(route.attribute)) {
      value = routeAttribute(record, route.attribute);
      values.set(route.attribute, value);
    }
    if (value === undefined) continue;
    if (route.test === "prefix" ? value.startsWith(route.value) : value === route.value)
      return route;
  }
  return undefined;
}
