// Routing of change records to target tables, a layer above the apply
// pipeline: one pipeline per target table (its own key schema, learnt only
// from its own records), and each record sent to the pipeline of its target
// as the table routes say (table-routes.ts). A record that no route takes is
// refused with a reason that names its table and the option to set; it is
// never written into another table's target. Replay, the relay and the Lambda
// function apply through a router.

import type { NumberFormat } from "../codec/decimal.ts";
import { changeAttribute, routeAttribute } from "../codec/route-attribute.ts";
import type { EncodedRow, RowFormat } from "../codec/row.ts";
import { encodeSourceRecord, type SourceRecord } from "../codec/source-record.ts";
import { sourceTableOf } from "../codec/source-table.ts";
import type { Change } from "../codec/types.ts";
import { ConfigError, RecordError, RoutingRefusal } from "../errors.ts";
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

/** Where a record goes: its target table, or why it goes nowhere. */
type Decision = TableName | Refusal;

type Refusal =
  | { refuse: string; field: string; source?: string | undefined }
  | { own: RecordError };

const isTarget = (decision: Decision): decision is TableName => "name" in decision;

/** What a record decoded to, by index (see ApplyPipeline.prepare). */
type Decoded = EncodedRow | RecordError | undefined;

interface Group {
  pipeline: ApplyPipeline;
  indices: number[];
  records: SourceRecord[];
  decoded: Decoded[];
}

export class Router {
  readonly sink: Sink;
  readonly routes: TableRoutes;
  private readonly options: RouterOptions;
  private readonly pipelines = new Map<string, ApplyPipeline>();
  /**
   * The same by the TableName object the routes hold, so that placing a
   * record builds no name (a template's targets, new objects, go by name).
   */
  private readonly byTarget = new WeakMap<TableName, ApplyPipeline>();
  /**
   * Routes by attribute decode each record first and read the attribute
   * from its change (see prepare): the row format every target's pipeline
   * uses, or undefined when the routes need no attribute or records are
   * not DynamoDB change records (another decoder).
   */
  private readonly decodeFirst: RowFormat | undefined;
  /** The record being decoded first, and where `place` put it (see prepare). */
  private placing: SourceRecord | undefined;
  private placed: Decision | undefined;
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
    this.decodeFirst =
      options.routes.routes?.length && options.decoder === undefined
        ? sink.dialect.rowFormat(options.numbers)
        : undefined;
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
    const known = this.byTarget.get(target);
    if (known) return known;
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
    this.byTarget.set(target, pipeline);
    return pipeline;
  }

  async apply(records: SourceRecord[]): Promise<BatchResult> {
    return this.commit(this.prepare(records));
  }

  /** Routes and prepares a batch (the CPU half; see ApplyPipeline.prepare). */
  prepare(records: SourceRecord[]): RoutedBatch {
    const groups = new Map<ApplyPipeline, Group>();
    const refused: FailedRecord[] = [];
    const format = this.decodeFirst;
    for (let index = 0; index < records.length; index++) {
      const record = records[index] as SourceRecord;
      let decision: Decision;
      let decoded: Decoded;
      if (format === undefined) {
        decision = this.decide(record, undefined);
      } else {
        // Decoded here, once, and placed by its change (see place): the
        // attribute is read where the codec has found it, not by a second
        // scan of the record.
        this.placing = record;
        this.placed = undefined;
        try {
          decoded = encodeSourceRecord(record, format, this.place);
        } catch (error) {
          if (!(error instanceof RecordError)) throw error;
          decoded = error;
        }
        // Not decoded as far as its change: placed by its text, as it reads.
        decision = this.placed ?? this.decide(record, undefined);
        this.placing = undefined;
      }
      if (isTarget(decision)) {
        const pipeline = this.pipeline(decision);
        let group = groups.get(pipeline);
        if (!group) {
          group = { pipeline, indices: [], records: [], decoded: [] };
          groups.set(pipeline, group);
        }
        group.indices.push(index);
        group.records.push(record);
        group.decoded.push(decoded);
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
      groups: [...groups.values()].map((group) => ({
        pipeline: group.pipeline,
        indices: group.indices,
        prepared: group.pipeline.prepare(
          group.records,
          format === undefined ? undefined : group.decoded,
        ),
      })),
      refused,
    };
  }

  /** Starts each target's history append of a routed batch ahead of its commit (see ApplyPipeline.appendAhead). */
  async appendAhead(batch: RoutedBatch): Promise<void> {
    await Promise.all(batch.groups.map((group) => group.pipeline.appendAhead(group.prepared)));
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

  /**
   * The decoder's check of the record being placed (the same function for
   * every record: nothing is made per record): places it by its change, and
   * runs its target's own check, before the change is encoded, as the
   * target's pipeline would have.
   */
  private readonly place = (change: Change): void => {
    const decision = this.decide(this.placing as SourceRecord, change);
    this.placed = decision;
    if (isTarget(decision)) this.pipeline(decision).check(change);
  };

  /** Where a record goes; its routes' attributes read from `change` when it decoded to one. */
  private decide(record: SourceRecord, change: Change | undefined): Decision {
    const { routes } = this;
    const { names } = routes;
    if (routes.routes?.length) {
      const route = matchRoute(routes.routes, record, change);
      if (route) return route.target;
    }
    const source = sourceTableOf(record);
    if (routes.map) {
      if (source === undefined) return this.unnamed(record, names.map);
      const target = routes.map.get(source);
      if (target) return target;
      return {
        field: "tableName",
        source,
        refuse: `comes from table ${source}, which ${names.map} does not map (it maps ${[...routes.map.keys()].join(", ")}); add ${source}=<target table> to ${names.map} to replicate it`,
      };
    }
    if (routes.table && isTemplate(routes.table)) {
      if (source === undefined) return this.unnamed(record, `${names.table} with {table}`);
      return fillTemplate(routes.table, source);
    }
    if (routes.table) {
      if (source === undefined || this.sourceTable === undefined) {
        this.sourceTable ??= source;
        return routes.table;
      }
      if (source === this.sourceTable) return routes.table;
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
  private unnamed(record: SourceRecord, option: string): Refusal {
    if (record.error) return { own: record.error };
    return {
      field: "tableName",
      refuse: `names no source table (no tableName, no eventSourceARN of a DynamoDB stream), so ${option} can not place it`,
    };
  }
}

/**
 * The first route whose attribute (in Keys, else NewImage, else OldImage)
 * matches, read from the record's change when it has one. Allocates
 * nothing: routes usually test one attribute, and it is read once.
 */
function matchRoute(
  routes: Route[],
  record: SourceRecord,
  change: Change | undefined,
): Route | undefined {
  let name: string | undefined;
  let value: string | undefined;
  for (let r = 0; r < routes.length; r++) {
    const route = routes[r] as Route;
    if (route.attribute !== name) {
      name = route.attribute;
      value =
        change === undefined ? routeAttribute(record, name) : changeAttribute(record, change, name);
    }
    if (value === undefined) continue;
    if (route.test === "prefix" ? value.startsWith(route.value) : value === route.value)
      return route;
  }
  return undefined;
}
