// bench:replay — the codec benchmark's 100,000-record corpus replayed into a
// fresh PostgreSQL table, three ways, in one run on one server:
//   (a) `dynacrate replay` (the replay command's code, in process, with its
//       defaults and the young-generation size bin/dynacrate.js gives node);
//   (b) one statement per record over one connection, as the reference does
//       (INSERT ... ON CONFLICT DO NOTHING / UPDATE / DELETE per record);
//   (c) COPY of the final rows into an empty table: the floor, the fastest way
//       PostgreSQL takes rows in (its rate is rows/s of the COPY itself);
//   (g) COPY of the same lines, every record as it is, into a one-column
//       jsonb table: what loading the capture itself costs, with no decoding,
//       no keys and no versions (the time of (a) over this time: goal 1.2);
//   and (a) again with routing: --route on a NewImage attribute with --table
//   for the rest, and --table-map, each as a ratio to (a).
// It prints records/s for each and the ratios a/b and a/c.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { encodeRow } from "../src/codec/row.ts";
import { decodeSourceRecord, sourceRecords } from "../src/codec/source-record.ts";
import { startPostgres } from "../src/local/services/postgres.ts";
import { replay } from "../src/replay/replay.ts";
import {
  parseRoute,
  parseTableMap,
  singleTable,
  type TableRoutes,
} from "../src/routing/table-routes.ts";
import { PostgresSink } from "../src/sink/postgres.ts";
import { postgresql } from "../src/sql/postgresql.ts";
import { CORPUS_TABLE, generateCorpus } from "./corpus.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const COUNT = Number(process.env.BENCH_RECORDS ?? 100_000);

async function main(): Promise<void> {
  const lines = generateCorpus(COUNT, 42);
  const dir = mkdtempSync(join(tmpdir(), "dynacrate-bench-"));
  const file = join(dir, "corpus.ndjson");
  writeFileSync(file, `${lines.join("\n")}\n`);
  console.log(`corpus: ${lines.length} records, ${(lines.join("\n").length / 1e6).toFixed(1)} MB`);

  const server = await startPostgres();
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    // A warm-up replay of a part of the corpus, not timed: the runs below
    // compare with each other, and the first would otherwise pay the JIT's warm-up.
    const warmup = join(dir, "warmup.ndjson");
    writeFileSync(warmup, `${lines.slice(0, Math.min(lines.length, 20_000)).join("\n")}\n`);
    const warmSink = new PostgresSink({ url: server.url });
    await replay({
      file: warmup,
      sink: warmSink,
      routes: singleTable({ schema: undefined, name: "bench_warmup" }),
    });
    await warmSink.close();

    // (a) dynacrate replay
    const sink = new PostgresSink({ url: server.url });
    const table = { schema: undefined, name: "bench_replay" };
    const summary = await replay({ file, sink, routes: singleTable(table) });
    await sink.close();
    const a = summary.records / summary.seconds;
    console.log(
      `(a) dynacrate replay:            ${fmt(a)} records/s  (${summary.applied} applied, ${summary.skipped} skipped, ${summary.failed} failed, ${summary.seconds.toFixed(2)} s)`,
    );

    // (a) again, routed: by a key prefix (--route, with
    // --table taking the rest) and by source table (--table-map). Routing
    // reads what it needs in place, so each should run within 5 % of (a).
    const routed: [string, TableRoutes][] = [
      [
        "--route pk^customer-00=bench_c00 --table bench_rest",
        {
          ...singleTable({ schema: undefined, name: "bench_rest" }),
          routes: [parseRoute("pk^customer-00=bench_c00")],
        },
      ],
      [
        `--table-map ${CORPUS_TABLE}=bench_mapped`,
        {
          ...singleTable(table),
          table: undefined,
          map: parseTableMap(`${CORPUS_TABLE}=bench_mapped`),
        },
      ],
    ];
    const routedRates: [string, number][] = [];
    for (const [label, routes] of routed) {
      const routedSink = new PostgresSink({ url: server.url });
      const run = await replay({ file, sink: routedSink, routes });
      await routedSink.close();
      routedRates.push([label, run.records / run.seconds]);
      console.log(
        `(a) with ${label}: ${fmt(run.records / run.seconds)} records/s  (${run.applied} applied, ${run.failed} failed, ${run.seconds.toFixed(2)} s)`,
      );
    }

    // (b) the reference's way: one statement per record, one connection.
    await client.query(
      "CREATE TABLE bench_per_record (pk jsonb PRIMARY KEY, data jsonb, aux jsonb)",
    );
    const format = postgresql.rowFormat();
    let started = performance.now();
    for (const line of lines) {
      const row = encodeRow(
        decodeSourceRecord(sourceRecords(JSON.parse(line))[0] as never),
        format,
      );
      const op = row.change.operation;
      if (op === "insert") {
        await client.query(
          "INSERT INTO bench_per_record (pk, data, aux) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
          [row.pk, row.data, row.aux],
        );
      } else if (op === "modify") {
        await client.query("UPDATE bench_per_record SET data = $2, aux = $3 WHERE pk = $1", [
          row.pk,
          row.data,
          row.aux,
        ]);
      } else {
        await client.query("DELETE FROM bench_per_record WHERE pk = $1", [row.pk]);
      }
    }
    const bSeconds = (performance.now() - started) / 1000;
    const b = lines.length / bSeconds;
    console.log(`(b) one statement per record:    ${fmt(b)} records/s  (${bSeconds.toFixed(2)} s)`);

    // (c) the floor: COPY the final rows (what (a) produced) into an empty table.
    const final = await client.query<{ pk: string; data: string; aux: string }>(
      "SELECT pk::text AS pk, data::text AS data, aux::text AS aux FROM bench_replay",
    );
    await client.query("CREATE TABLE bench_copy (pk jsonb PRIMARY KEY, data jsonb, aux jsonb)");
    const text = final.rows.map((r) => `${esc(r.pk)}\t${esc(r.data)}\t${esc(r.aux)}\n`);
    started = performance.now();
    await streamPipeline(
      Readable.from(text),
      client.query(copyFrom("COPY bench_copy (pk, data, aux) FROM STDIN")),
    );
    const cSeconds = (performance.now() - started) / 1000;
    // The floor's rate is the COPY's own: rows per second into an empty table.
    const c = final.rows.length / cSeconds;
    console.log(
      `(c) COPY of the final rows:      ${fmt(c)} rows/s     (${final.rows.length} rows in ${cSeconds.toFixed(2)} s)`,
    );

    // (g) COPY of the same lines into one jsonb column.
    await client.query("CREATE TABLE bench_lines (line jsonb)");
    const lineText = lines.map((line) => `${esc(line)}\n`);
    started = performance.now();
    await streamPipeline(
      Readable.from(lineText),
      client.query(copyFrom("COPY bench_lines (line) FROM STDIN")),
    );
    const gSeconds = (performance.now() - started) / 1000;
    console.log(
      `(g) COPY of the same lines:      ${fmt(lines.length / gSeconds)} records/s  (${gSeconds.toFixed(2)} s, into one jsonb column)`,
    );

    const perRecord = await client.query("SELECT count(*)::int AS n FROM bench_per_record");
    console.log(`final rows: replay ${final.rows.length}, per-record ${perRecord.rows[0].n}`);
    console.log(`a/b = ${(a / b).toFixed(2)}  (goal >= 4)`);
    console.log(`a/c = ${(a / c).toFixed(2)}  (goal >= 0.33)`);
    console.log(
      `time a/g = ${(summary.seconds / gSeconds).toFixed(2)}  (the replay's time over a COPY of the same lines; goal <= 1.2)`,
    );
    for (const [label, rate] of routedRates)
      console.log(`routed/a = ${(rate / a).toFixed(2)}  with ${label} (goal >= 0.95)`);
  } finally {
    await client.end();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US").padStart(9);
}

/** COPY text format: backslash, tab and newline escaped. */
function esc(value: string | null): string {
  return value === null
    ? "\\N"
    : value.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
}

await main();
