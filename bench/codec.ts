// bench:codec — how fast the codec turns change-record text into what a sink
// sends, against the floor of JSON.parse alone. On a seeded corpus of 100,000
// DynamoDB Streams records (bench/corpus.ts) it times:
//   (a) JSON.parse of each line (the floor: every consumer pays it);
//   (b) line -> encodeSourceRecord (the production entry point: the one-pass
//       transcoder, or the slow path when it bails) with the PostgreSQL format ->
//       the batch's statement parameters (postgresql.upsert, one JSON text);
//   (c) the same with the CrateDB format and CrateDB's bulk_args;
//   (s) for reference, (b) through the slow path only: JSON.parse ->
//       parseChange -> encodeRow (what every record took before the transcoder).
// Goal: b >= a (the codec path as fast as JSON.parse alone). Run: npm run bench:codec (BENCH_RECORDS, BENCH_RUNS to change).

import { parseChange } from "../src/codec/parse-change.ts";
import { type EncodedRow, encodeRow, type RowFormat } from "../src/codec/row.ts";
import { encodeSourceRecord } from "../src/codec/source-record.ts";
import { TextRecord } from "../src/codec/text-record.ts";
import { transcode } from "../src/codec/transcode.ts";
import { cratedb } from "../src/sql/cratedb.ts";
import type { Dialect } from "../src/sql/dialect.ts";
import { postgresql } from "../src/sql/postgresql.ts";
import { CORPUS_KEY_SCHEMA, CORPUS_TABLE, generateCorpus } from "./corpus.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const COUNT = Number(process.env.BENCH_RECORDS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const BATCH = 1000;
const TABLE = { schema: undefined, name: CORPUS_TABLE };
const NOW = new Date("2024-07-12T00:00:00Z");

/** (a) JSON.parse alone. Returns a checksum so the work can not be skipped. */
function parseOnly(lines: string[]): number {
  let sum = 0;
  for (let i = 0; i < lines.length; i++) {
    const record = JSON.parse(lines[i] as string) as { eventName: string };
    sum += record.eventName.length;
  }
  return sum;
}

type Encode = (line: string, ref: string, format: RowFormat) => EncodedRow;

/** The production path: the line as a TextRecord, as replay and the Kinesis sources hand records over. */
const production: Encode = (line, ref, format) =>
  encodeSourceRecord(new TextRecord(line, { ref }), format);

/** The slow path alone. */
const slowPath: Encode = (line, ref, format) =>
  encodeRow(parseChange(JSON.parse(line), { ref }), format);

/** (b), (c), (s): the codec and the dialect, batch by batch, up to the parameters a sink sends. */
function decodeToParams(lines: string[], dialect: Dialect, encode: Encode = production): number {
  const format = dialect.rowFormat();
  let sum = 0;
  // A batch holds one row per key, the newest (the pipeline's rule).
  let batch = new Map<string, EncodedRow>();
  const flush = () => {
    const write = dialect.upsert(TABLE, [...batch.values()], CORPUS_KEY_SCHEMA, NOW);
    sum += write.kind === "single" ? (write.params[0] as string).length : write.bulkArgs.length;
    batch = new Map();
  };
  for (let i = 0; i < lines.length; i++) {
    const row = encode(lines[i] as string, `line ${i + 1}`, format);
    const held = batch.get(row.key);
    if (!held || held.version < row.version) batch.set(row.key, row);
    if (i % BATCH === BATCH - 1) flush();
  }
  if (batch.size > 0) flush();
  return sum;
}

interface Result {
  best: number;
  median: number;
}

/**
 * Times each measurement once per round, interleaved, so that a noisy machine
 * slows all of them alike; returns events/s (best and median) per measurement
 * and the per-round ratios to the first one.
 */
function measure(work: Record<string, () => number>): {
  rates: Record<string, Result>;
  ratios: Record<string, Result>;
} {
  const names = Object.keys(work);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const ratioSamples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let run = 0; run < RUNS; run++) {
    const round: Record<string, number> = {};
    for (const name of names) {
      const started = performance.now();
      (work[name] as () => number)();
      round[name] = COUNT / ((performance.now() - started) / 1000);
      samples[name]?.push(round[name] as number);
    }
    for (const name of names)
      ratioSamples[name]?.push((round[name] as number) / (round[names[0] as string] as number));
  }
  const summary = (values: number[]): Result => {
    const sorted = [...values].sort((x, y) => x - y);
    return {
      best: sorted[sorted.length - 1] as number,
      median: sorted[Math.floor(sorted.length / 2)] as number,
    };
  };
  return {
    rates: Object.fromEntries(names.map((n) => [n, summary(samples[n] as number[])])),
    ratios: Object.fromEntries(names.map((n) => [n, summary(ratioSamples[n] as number[])])),
  };
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US").padStart(9);
}

const started = performance.now();
const lines = generateCorpus(COUNT, 42);
const bytes = lines.reduce((total, line) => total + Buffer.byteLength(line), 0);
console.log(
  `corpus: ${lines.length} DynamoDB Streams records, average line ${Math.round(bytes / lines.length)} bytes, ` +
    `${(bytes / 1e6).toFixed(1)} MB, generated in ${((performance.now() - started) / 1000).toFixed(1)} s (seed 42)`,
);
console.log(`${RUNS} runs each after a warm-up; batches of ${BATCH}`);

// How many records the transcoder takes (the rest fall back to the slow path).
for (const dialect of [postgresql, cratedb]) {
  const format = dialect.rowFormat();
  let hits = 0;
  for (let i = 0; i < lines.length; i++) {
    if (transcode(lines[i] as string, { ref: `line ${i + 1}` }, format)) hits++;
  }
  console.log(
    `fast path (${dialect.name} format): ${hits} of ${lines.length} records ` +
      `(${((hits / lines.length) * 100).toFixed(2)}%); the rest took the slow path`,
  );
}

// Warm-up: let the JIT settle on every path before timing.
const warm = lines.slice(0, Math.min(lines.length, 20_000));
for (let i = 0; i < 3; i++) {
  parseOnly(warm);
  decodeToParams(warm, postgresql);
  decodeToParams(warm, cratedb);
  decodeToParams(warm, postgresql, slowPath);
}

const { rates, ratios } = measure({
  "(a) JSON.parse only": () => parseOnly(lines),
  "(b) codec + PostgreSQL parameters": () => decodeToParams(lines, postgresql),
  "(c) codec + CrateDB bulk_args": () => decodeToParams(lines, cratedb),
  "(s) slow path + PostgreSQL parameters": () => decodeToParams(lines, postgresql, slowPath),
});
for (const [name, rate] of Object.entries(rates)) {
  console.log(
    `${name.padEnd(44)} best ${fmt(rate.best)} events/s   median ${fmt(rate.median)} events/s`,
  );
}
const [, b, c, slow] = Object.values(ratios) as Result[];
console.log(
  `b/a = ${(b as Result).median.toFixed(2)} (median of ${RUNS} rounds; best ${(b as Result).best.toFixed(2)})  goal >= 1.0`,
);
console.log(
  `c/a = ${(c as Result).median.toFixed(2)} (median of ${RUNS} rounds; best ${(c as Result).best.toFixed(2)})`,
);
console.log(
  `s/a = ${(slow as Result).median.toFixed(2)} (median of ${RUNS} rounds; best ${(slow as Result).best.toFixed(2)}): the slow path alone`,
);
const bRate = Object.values(rates)[1] as Result;
console.log(
  `throughput (b, best): ${((bytes / 1e6) * (bRate.best / COUNT)).toFixed(0)} MB/s of record text`,
);
