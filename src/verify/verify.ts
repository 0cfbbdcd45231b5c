// `dynacrate verify`: compares a DynamoDB table with its target, item by
// item, and optionally repairs the target.
//
// - Source side: the load's parallel Scan reader (source/dynamodb-scan.ts),
//   one reader per segment; each page's keys are looked up in the target in
//   one keyed query (target-rows.ts). Then a keyed pass over the target's live
//   rows, in pages, asks the source (BatchGetItem) which keys it lacks: extras.
//   Memory holds a page and at most `maxPending` suspects, whatever the size.
// - A suspect (missing, extra or different) is not reported at once: the
//   replication may be on its way. After the grace period it is read again,
//   the source with a consistent read and the target by key, and reported
//   only if it still differs. One whose source item or target row changed
//   since they were last read is a change in flight, not a divergence: it
//   waits another grace period (a key written over and over may always be a
//   little ahead of the stream; a key deleted, written and deleted again
//   looks unchanged in the source, but its target row moved), up to
//   MAX_ROUNDS times; still differing then, it is reported.
// - Repair (G16): the source's image read then is written through the apply
//   pipeline's version guard at the version a snapshot cut at the read's time
//   minus a margin would get (codec/snapshot.ts, G13): any change made after
//   the cut ranks above it, so a repair never overtakes the stream; a target
//   row holding such a change is left alone and counted as not repaired.
//   An extra is deleted with a tombstone at the same version. Each repaired
//   key is read again after the grace period; one that still differs counts
//   as `remaining` (the command's exit status rests on it).

import { createHash } from "node:crypto";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { KeySchema } from "../codec/key-schema.ts";
import { canonicalKey } from "../codec/row.ts";
import { snapshotChange, snapshotRemoval, snapshotVersion } from "../codec/snapshot.ts";
import type { SourceRecord } from "../codec/source-record.ts";
import type { AttributeMap } from "../codec/types.ts";
import { SourceError } from "../errors.ts";
import type { ApplyPipeline } from "../pipeline/apply-pipeline.ts";
import { Backoff, pause, type RetryPolicy } from "../sink/retry.ts";
import type { DynamoDbScanSource } from "../source/dynamodb-scan.ts";
import { wireAttributeMap } from "../source/streams-record.ts";
import { type CompareOptions, compareItem, showValue } from "./item-compare.ts";
import type { StateRow, TargetRows } from "./target-rows.ts";

export type DifferenceKind = "missing" | "extra" | "different";

export interface Difference {
  kind: DifferenceKind;
  /** The key attributes as `name=value`. */
  key: string;
  /** For `different`: each attribute as `path: DynamoDB ..., sink ...`. */
  details: string[];
}

export interface VerifySummary {
  /** Items of the source compared (after sampling). */
  compared: number;
  equal: number;
  missing: number;
  extra: number;
  different: number;
  /** Suspects that matched when read again (changes in flight). */
  resolved: number;
  /** Numbers equal only once rounded to a double (number format `double`). */
  rounded: number;
  repaired: number;
  /** Differences left alone because the target holds a change newer than the repair's cut. */
  notRepaired: number;
  /** Repaired keys that still differed when read again after the grace period. */
  remaining: number;
  /** The first differences, at most `keepDifferences`. */
  differences: Difference[];
  seconds: number;
  match: boolean;
}

export interface VerifyOptions {
  source: DynamoDbScanSource;
  dynamodb: DynamoDBClient;
  tableName: string;
  keySchema: KeySchema;
  target: TargetRows;
  compare: Omit<CompareOptions, "keyNames" | "doubles">;
  /** The target holds numbers as doubles (number format `double`). */
  doubles: boolean;
  /** Scan segments read at once. */
  segments: number;
  graceMs: number;
  /** Fraction of keys checked, chosen by a hash of the key (1: all). */
  sample: number;
  /** With it, differences are repaired through it. */
  repair?: ApplyPipeline;
  /** The repair's cut is its read's time minus this (clock skew), as a load's. */
  marginMs: number;
  keepDifferences?: number;
  /** Suspects held before the scan waits for their re-check. */
  maxPending?: number;
  /** Live target rows per page of the extras pass. */
  pageSize?: number;
  onProgress?: (event: { compared: number; total: number | undefined; phase: string }) => void;
  total?: number | undefined;
  now?: () => number;
}

/** Grace periods a suspect whose source item or target row keeps changing waits at most. */
const MAX_ROUNDS = 5;

interface Suspect {
  keys: AttributeMap;
  dueMs: number;
  /** The source item and the target row's version as last read (`seen()`). */
  seen: string;
  /** Grace periods waited so far. */
  rounds: number;
  /** Repaired already: this reading only checks the repair. */
  repaired?: boolean;
}

export async function runVerify(options: VerifyOptions): Promise<VerifySummary> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const keyNames = options.keySchema.map((k) => k.name);
  const doubles = { rounded: 0 };
  const compare: CompareOptions = {
    ...options.compare,
    keyNames,
    ...(options.doubles ? { doubles } : {}),
  };
  const keep = options.keepDifferences ?? 100;
  const maxPending = options.maxPending ?? 1000;
  const summary: VerifySummary = {
    compared: 0,
    equal: 0,
    missing: 0,
    extra: 0,
    different: 0,
    resolved: 0,
    rounded: 0,
    repaired: 0,
    notRepaired: 0,
    remaining: 0,
    differences: [],
    seconds: 0,
    match: false,
  };
  const sampled = (keys: AttributeMap) =>
    options.sample >= 1 ||
    createHash("sha1").update(canonicalKey(keys)).digest().readUInt32BE(0) / 2 ** 32 <
      options.sample;
  const keysOf = (item: AttributeMap) =>
    Object.fromEntries(keyNames.map((n) => [n, item[n]])) as AttributeMap;

  /** What one item and its row say: undefined when equal. */
  const judge = (
    item: AttributeMap | undefined,
    row: StateRow | undefined,
  ): Omit<Difference, "key"> | undefined => {
    const live = row && !row.deleted ? row : undefined;
    if (!item) return live ? { kind: "extra", details: [] } : undefined;
    if (!live) return { kind: "missing", details: [] };
    const details = compareItem(item, live, compare);
    return details.length > 0 ? { kind: "different", details } : undefined;
  };

  // Suspects wait for the grace period, then are read again from both sides.
  // By canonical key: a key met twice (in the scan and in the extras pass, or
  // twice in a scan of a table being written) waits once, and BatchGetItem
  // refuses a key listed twice.
  const pending = new Map<string, Suspect>();
  const enqueue = (s: Suspect) => {
    const key = canonicalKey(s.keys);
    if (!pending.has(key)) pending.set(key, s);
  };
  const recheck = async (all: boolean) => {
    const at = now();
    const due = [...pending.values()].filter((s) => all || s.dueMs <= at);
    if (due.length === 0) return;
    const wait = Math.max(0, ...due.map((s) => s.dueMs - at));
    if (wait > 0) await pause(wait);
    for (const s of due) pending.delete(canonicalKey(s.keys));
    for (let i = 0; i < due.length; i += 100) {
      const suspects = due.slice(i, i + 100);
      const chunk = suspects.map((s) => s.keys);
      const readAt = now();
      const items = await getItems(options.dynamodb, options.tableName, chunk, true);
      await options.target.refresh();
      const rows = await options.target.byKeys(chunk);
      const repairs: SourceRecord[] = [];
      const repairedKeys: AttributeMap[] = [];
      const cutMs = readAt - options.marginMs;
      for (const { keys, repaired, seen: before, rounds } of suspects) {
        const key = canonicalKey(keys);
        const item = items.get(key);
        const row = rows.get(key);
        const found = judge(item, row);
        if (repaired) {
          // Counted when first found; now only whether the repair holds.
          if (found) summary.remaining++;
          continue;
        }
        const current = seen(item, row);
        if (found && current !== before && rounds < MAX_ROUNDS) {
          // The source moved on since: the stream has a newer change to bring.
          enqueue({
            keys,
            dueMs: readAt + options.graceMs,
            seen: current,
            rounds: rounds + 1,
          });
          continue;
        }
        if (!found) {
          summary.resolved++;
          summary.equal++;
          continue;
        }
        summary[found.kind]++;
        if (summary.differences.length < keep)
          summary.differences.push({ ...found, key: showKey(keys, keyNames) });
        if (!options.repair) continue;
        if (row && row.version >= snapshotVersion(cutMs)) {
          summary.notRepaired++;
          continue;
        }
        const ref = `verify repair of ${showKey(keys, keyNames)}`;
        const change = item
          ? snapshotChange(item, { keyNames, cutMs }, ref)
          : snapshotRemoval(keys, cutMs, ref);
        repairs.push({ payload: { Keys: keys }, ref, change });
        repairedKeys.push(keys);
      }
      if (options.repair && repairs.length > 0) {
        const result = await options.repair.apply(repairs);
        const failed = result.failed[0];
        if (failed) throw failed.error;
        summary.repaired += repairs.length;
        const dueMs = now() + options.graceMs;
        for (const keys of repairedKeys)
          enqueue({ keys, dueMs, seen: "", rounds: 0, repaired: true });
      }
    }
  };
  const suspect = async (
    keys: AttributeMap,
    item: AttributeMap | undefined,
    row: StateRow | undefined,
  ) => {
    enqueue({ keys, dueMs: now() + options.graceMs, seen: seen(item, row), rounds: 0 });
    if (pending.size >= maxPending) await recheck(true);
  };
  const progress = (phase: string) =>
    options.onProgress?.({ compared: summary.compared, total: options.total, phase });

  // The source's items, page by page, looked up in the target.
  await options.target.refresh();
  const parts = await options.source.parts();
  const stop = new AbortController();
  let busy = Promise.resolve();
  // Suspects are recorded one page at a time, so a re-check never runs twice at once.
  const serial = (work: () => Promise<void>) => {
    busy = busy.then(work);
    return busy;
  };
  await Promise.all(
    parts.map(async (part) => {
      for await (const page of options.source.read(part, undefined, stop.signal)) {
        const items = (page.items as AttributeMap[]).filter((item) => sampled(keysOf(item)));
        const rows = await options.target.byKeys(items.map(keysOf));
        await serial(async () => {
          for (const item of items) {
            summary.compared++;
            const row = rows.get(canonicalKey(keysOf(item)));
            const found = judge(item, row);
            if (found) await suspect(keysOf(item), item, row);
            else summary.equal++;
          }
          await recheck(false);
          progress("source");
        });
      }
    }),
  );

  // The target's live rows the source lacks.
  const pageSize = options.pageSize ?? 500;
  for (let cursor: string | undefined, first = true; first || cursor !== undefined; first = false) {
    const page = await options.target.livePage(cursor, pageSize);
    cursor = page.next;
    const rows = page.rows.filter((r) => sampled(r.keys));
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      const keys = chunk.map((r) => r.keys);
      const items = await getItems(options.dynamodb, options.tableName, keys, false, keyNames);
      for (const r of chunk)
        if (!items.has(canonicalKey(r.keys))) await suspect(r.keys, undefined, r);
    }
    await recheck(false);
    progress("extras");
  }
  // Until the last repairs have been read again.
  while (pending.size > 0) await recheck(true);

  summary.rounded = doubles.rounded;
  summary.seconds = (performance.now() - started) / 1000;
  summary.match = summary.missing + summary.extra + summary.different === 0;
  return summary;
}

/** Unprocessed keys of a BatchGetItem: asked again with backoff, up to about a minute in all. */
const UNPROCESSED_RETRY: RetryPolicy = { attempts: 16, baseDelayMs: 100, maxDelayMs: 5000 };

/** Items by canonical key, read with BatchGetItem (100 keys a call), unprocessed keys again. */
async function getItems(
  client: DynamoDBClient,
  table: string,
  keys: AttributeMap[],
  consistent: boolean,
  project?: string[],
): Promise<Map<string, AttributeMap>> {
  const out = new Map<string, AttributeMap>();
  let todo: Record<string, AttributeValue>[] = keys.map(sdkKey);
  const waits = new Backoff(UNPROCESSED_RETRY);
  for (let first = true; todo.length > 0; first = false) {
    // Keys DynamoDB left unprocessed (its table throttled) are asked again after a wait.
    if (!first && !(await waits.retry(undefined)))
      throw new SourceError(
        `DynamoDB left ${todo.length} keys of ${table} unprocessed ${waits.failed} times in a row (the table is throttled): verify again later or with a smaller --segments`,
      );
    const names = project?.map((_, i) => `#k${i}`);
    const answer = await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: todo,
            ConsistentRead: consistent,
            ...(project && names
              ? {
                  ProjectionExpression: names.join(", "),
                  ExpressionAttributeNames: Object.fromEntries(
                    names.map((n, i) => [n, project[i] as string]),
                  ),
                }
              : {}),
          },
        },
      }),
    );
    for (const item of answer.Responses?.[table] ?? []) {
      const wire = wireAttributeMap(item) as AttributeMap;
      const keyNames = Object.keys(keys[0] ?? {});
      out.set(
        canonicalKey(Object.fromEntries(keyNames.map((n) => [n, wire[n]])) as AttributeMap),
        wire,
      );
    }
    todo = (answer.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, AttributeValue>[];
  }
  return out;
}

/**
 * What a reading of one key saw: the source item's values (the same text
 * whatever their attribute order; nothing when absent) and the target row's
 * version and tombstone flag.
 */
function seen(item: AttributeMap | undefined, row: StateRow | undefined): string {
  const target = row ? `${row.version}${row.deleted ? " deleted" : ""}` : "none";
  return `${fingerprint(item)} ${target}`;
}

function fingerprint(item: AttributeMap | undefined): string {
  if (!item) return "";
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (typeof value !== "object" || value === null) return value;
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .sort()
        .map((k) => [k, sorted(object[k])]),
    );
  };
  return createHash("sha1")
    .update(JSON.stringify(sorted(item)))
    .digest("base64");
}

/** A wire-form key (binary as base64) in the SDK's form. */
function sdkKey(keys: AttributeMap): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, av] of Object.entries(keys)) {
    const v = av as Record<string, string>;
    out[name] = v.B !== undefined ? { B: Buffer.from(v.B, "base64") } : (av as AttributeValue);
  }
  return out;
}

function showKey(keys: AttributeMap, keyNames: string[]): string {
  return keyNames.map((n) => `${n}=${showValue(keys[n])}`).join(", ");
}
