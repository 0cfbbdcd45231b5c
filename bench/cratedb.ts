// bench:cratedb — the benchmark corpus into a live CrateDB (CRATEDB_URL)
// through `dynacrate replay` as users run it, beside a floor measured in the
// same run on the same server: (f) a plain bulk upsert of every record, in
// file order, in batches of the same size (no version guard, no routing: the
// simplest script a user would write), and (b) a plain bulk upsert of only
// the final rows into an empty table (no conflicts at all). Also
// the seed's way, one statement per record, with and without REFRESH, on a
// small sample. Size: BENCH_RECORDS (default 100,000), BENCH_SAMPLE (200);
// bulk requests in flight: BENCH_IN_FLIGHT (default 1,2,4, one replay each);
// nodes the replay's sink names: BENCH_NODES (default 1; "1,2" replays through
// the first node, then through the first two of CRATEDB_URLS, which the start
// script of ../shared/cratedb sets with CRATEDB_NODES=2); the state tables'
// refresh_interval: BENCH_REFRESH_INTERVAL_MS (default CrateDB's 1000).
// (h) the first replay again with --history, and its ratio to the one without.
// Both sides are measured warm: an untimed warm-up (a replay and a plain
// upsert of the first BENCH_WARM_RECORDS, default 20,000) goes first, since
// the first writes on a fresh CrateDB JVM pay its JIT compilation once, which
// a long-running relay does not; and (f) runs before and after the replays,
// the ratio taken to their mean, so a server that drifts during the run
// favours neither side.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeRow } from "../src/codec/row.ts";
import { decodeSourceRecord, sourceRecords } from "../src/codec/source-record.ts";
import { DEFAULT_REPLAY_BATCH, replay } from "../src/replay/replay.ts";
import { singleTable } from "../src/routing/table-routes.ts";
import { bulkSqlBody, sqlBody } from "../src/sink/cratedb-body.ts";
import { createCrateDbHttpSink } from "../src/sink/cratedb-http.ts";
import { type CrateRow, cratedb } from "../src/sql/cratedb.ts";
import { RawJson } from "../src/sql/statement.ts";
import { CORPUS_KEY_SCHEMA, generateCorpus } from "./corpus.ts";
import { printRuntime } from "./support/runtime.ts";

printRuntime();

const url = process.env.CRATEDB_URL;
if (!url) {
  console.error(
    'bench:cratedb needs a live CrateDB: set CRATEDB_URL (e.g. eval "$(../shared/cratedb/start)")',
  );
  process.exit(1);
}
const COUNT = Number(process.env.BENCH_RECORDS ?? 100_000);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 200);
const WARM = Number(process.env.BENCH_WARM_RECORDS ?? 20_000);
const RUN = Date.now().toString(36);
const IN_FLIGHT = (process.env.BENCH_IN_FLIGHT ?? "1,2,4").split(",").map(Number);
const NODES = (process.env.BENCH_NODES ?? "1").split(",").map(Number);
const NODE_URLS = (process.env.CRATEDB_URLS ?? url).split(",");
for (const nodes of NODES)
  if (!(nodes >= 1 && nodes <= NODE_URLS.length)) {
    console.error(
      `bench:cratedb: BENCH_NODES asks for ${nodes} node(s), CRATEDB_URLS lists ${NODE_URLS.length}; ` +
        'start a cluster with CRATEDB_NODES=2 eval "$(../shared/cratedb/start)"',
    );
    process.exit(1);
  }
const REFRESH_MS =
  process.env.BENCH_REFRESH_INTERVAL_MS === undefined
    ? undefined
    : Number(process.env.BENCH_REFRESH_INTERVAL_MS);

/** The sink URL naming the first `nodes` nodes: http://host1:port,host2:port. */
function nodesUrl(nodes: number): string {
  return `http://${NODE_URLS.slice(0, nodes)
    .map((node) => new URL(node).host)
    .join(",")}`;
}

async function sql(stmt: string, args: unknown[] = []): Promise<{ rows?: unknown[][] }> {
  return post(sqlBody(stmt, args));
}

async function post(body: string): Promise<{ rows?: unknown[][] }> {
  const response = await fetch(`${url}/_sql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const json = (await response.json()) as { rows?: unknown[][]; error?: { message: string } };
  if (json.error) throw new Error(json.error.message);
  return json;
}

const PLAIN_DDL = (name: string) =>
  `CREATE TABLE "${name}" ("pk" OBJECT(STRICT) AS ("pk" TEXT PRIMARY KEY, "sk" NUMERIC(38, 0) PRIMARY KEY), ` +
  `"data" OBJECT(DYNAMIC), "aux" OBJECT(IGNORED))`;

async function main(): Promise<void> {
  const lines = generateCorpus(COUNT, 42);
  const dir = mkdtempSync(join(tmpdir(), "dynacrate-bench-"));
  const file = join(dir, "corpus.ndjson");
  writeFileSync(file, `${lines.join("\n")}\n`);
  console.log(
    `nodes: ${NODES.join(", ")}; in flight: ${IN_FLIGHT.join(", ")}; refresh_interval: ${REFRESH_MS ?? "1000 (CrateDB's default)"} ms`,
  );
  console.log(`corpus: ${lines.length} records, ${(lines.join("\n").length / 1e6).toFixed(1)} MB`);
  const table = { schema: undefined, name: `bench_replay_${RUN}` };
  const plain = `bench_plain_${RUN}`;
  const seed = `bench_seed_${RUN}`;
  const extra: string[] = [];
  const format = cratedb.rowFormat();
  // (f)'s rows: every record as a plain upsert of its new image (a REMOVE's
  // is NULL), encoded before any clock starts (write time only).
  const recordRows = lines.map((line): [string, string | null, string | null] => {
    const row = encodeRow(decodeSourceRecord(sourceRecords(JSON.parse(line))[0] as never), format);
    return [row.pk, row.data, row.aux];
  });
  /** (f) the floor a user's own script sets: every record, in file order, batches of the replay's size. */
  const everyRecord = async (name: string, rowsOf = recordRows): Promise<number> => {
    extra.push(name);
    await sql(PLAIN_DDL(name));
    const seconds = await bulkSeconds(
      `INSERT INTO "${name}" ("pk", "data", "aux") VALUES (?, ?, ?) ` +
        `ON CONFLICT ("pk"['pk'], "pk"['sk']) DO UPDATE SET "data" = excluded."data", "aux" = excluded."aux"`,
      rowsOf,
    );
    return rowsOf.length / seconds;
  };
  try {
    // Warm-up, untimed (see above).
    if (WARM > 0) {
      const warmLines = lines.slice(0, WARM);
      const warmFile = join(dir, "warm.ndjson");
      writeFileSync(warmFile, `${warmLines.join("\n")}\n`);
      const warmTable = { schema: undefined, name: `bench_warm_${RUN}` };
      extra.push(warmTable.name);
      const warmSink = createCrateDbHttpSink({
        url: nodesUrl(NODES[0] as number),
        refreshIntervalMs: REFRESH_MS,
      });
      await replay({
        file: warmFile,
        sink: warmSink,
        routes: singleTable(warmTable),
        keySchema: CORPUS_KEY_SCHEMA,
      });
      await warmSink.close();
      await everyRecord(`bench_warm_plain_${RUN}`, recordRows.slice(0, WARM));
      console.log(`warm-up: ${warmLines.length} records replayed and upserted, untimed`);
    }
    const fBefore = await everyRecord(`bench_every_${RUN}`);
    console.log(
      `(f) plain upsert of every record: ${fmt(fBefore)} records/s  (${lines.length} records, in file order; no guard; before the replays)`,
    );

    // (a) dynacrate replay, as users run it, with 1, 2, 4 bulk requests in
    // flight, through one node and, with BENCH_NODES=1,2, through two.
    const runs: { nodes: number; inFlight: number; seconds: number }[] = [];
    for (const [nodes, inFlight] of NODES.flatMap((n) => IN_FLIGHT.map((f) => [n, f] as const))) {
      const target =
        nodes === NODES[0] && inFlight === IN_FLIGHT[0]
          ? table
          : { schema: undefined, name: `${table.name}_n${nodes}_f${inFlight}` };
      if (target !== table) extra.push(target.name);
      const sink = createCrateDbHttpSink({
        url: nodesUrl(nodes),
        inFlight,
        refreshIntervalMs: REFRESH_MS,
      });
      const summary = await replay({
        file,
        sink,
        routes: singleTable(target),
        keySchema: CORPUS_KEY_SCHEMA,
      });
      await sink.close();
      runs.push({ nodes, inFlight, seconds: summary.seconds });
      console.log(
        `(a) dynacrate replay, ${nodes} node${nodes === 1 ? "" : "s"}, ${inFlight} in flight: ${fmt(summary.records / summary.seconds)} records/s  (${summary.applied} applied, ${summary.failed} failed, ${summary.routedToAux} attributes to aux, ${summary.seconds.toFixed(2)} s)`,
      );
    }

    // (h) the same replay keeping every change in <table>__history as well
    // (the first node and in-flight setting): the history's cost, as a ratio.
    const withHistory = { schema: undefined, name: `${table.name}_history` };
    extra.push(withHistory.name);
    const historySink = createCrateDbHttpSink({
      url: nodesUrl(NODES[0] as number),
      inFlight: IN_FLIGHT[0] as number,
      refreshIntervalMs: REFRESH_MS,
    });
    const historied = await replay({
      file,
      sink: historySink,
      routes: singleTable(withHistory),
      keySchema: CORPUS_KEY_SCHEMA,
      history: {},
    });
    await historySink.close();
    console.log(
      `(h) dynacrate replay --history: ${fmt(historied.records / historied.seconds)} records/s  (${historied.applied} applied, ${historied.failed} failed, ${historied.seconds.toFixed(2)} s)`,
    );
    console.log(
      `h/a = ${((runs[0]?.seconds as number) / historied.seconds).toFixed(2)}  (replay with --history over without, records/s; goal >= 0.7)`,
    );

    const fAfter = await everyRecord(`bench_every_after_${RUN}`);
    const f = (fBefore + fAfter) / 2;
    console.log(
      `(f) plain upsert of every record: ${fmt(fAfter)} records/s  (again, after the replays; mean of both ${fmt(f)})`,
    );

    // (b) the floor: a plain bulk upsert of the same final rows, same batch size.
    await sql(`REFRESH TABLE "${table.name}__state"`);
    const final = await sql(
      `SELECT CAST("pk" AS TEXT), CAST("data" AS TEXT), CAST("aux" AS TEXT), CAST("pk_text" AS TEXT) FROM "${table.name}" LIMIT 1000000`,
    );
    const rows = (final.rows ?? []) as [string, string | null, string | null, string][];
    await sql(PLAIN_DDL(plain));
    const stmt =
      `INSERT INTO "${plain}" ("pk", "data", "aux") VALUES (?, ?, ?) ` +
      `ON CONFLICT ("pk"['pk'], "pk"['sk']) DO UPDATE SET "data" = excluded."data", "aux" = excluded."aux"`;
    const bSeconds = await bulkSeconds(stmt, rows);
    const b = rows.length / bSeconds;
    // The same unit on both sides: final rows per second of the time each took to the same table.
    const a = rows.length / (runs[0]?.seconds as number);
    console.log(
      `(b) plain bulk upsert:         ${fmt(b)} rows/s     (${rows.length} final rows in ${bSeconds.toFixed(2)} s; no guard, no routing)`,
    );

    // (e) the guard's own cost: the same final rows through dynacrate's guarded
    // statement into a fresh state table, from Node, same batch size.
    const guarded = { schema: undefined, name: `bench_guarded_${RUN}` };
    extra.push(guarded.name);
    // The replay's state table as it ended, sub-columns and all: `data` is
    // STRICT, so a table without them would refuse the rows.
    const ddl = await sql(`SHOW CREATE TABLE "${table.name}__state"`);
    await sql(
      String(ddl.rows?.[0]?.[0]).replace(`"${table.name}__state"`, `"${guarded.name}__state"`),
    );
    // The rows as the sink sends them (pk, pk_text, data, aux, aux_text, the
    // guard's columns), built by the dialect itself so the two can not drift.
    const crateRows = rows.map(([pk, data, aux, pkText]): CrateRow => {
      return {
        key: pkText,
        pk,
        pkText,
        data,
        aux,
        version: "01720000000000000.000",
        deleted: false,
        roundedNumbers: 0,
        change: undefined as never,
      };
    });
    // A table just made can refuse writes until its shards have started.
    while (
      Number(
        (
          await sql("SELECT count(*) FROM sys.shards WHERE table_name = ? AND state <> 'STARTED'", [
            `${guarded.name}__state`,
          ])
        ).rows?.[0]?.[0],
      ) > 0
    )
      await new Promise((resolve) => setTimeout(resolve, 100));
    let eRefused = 0;
    const eStarted = performance.now();
    for (let i = 0; i < crateRows.length; i += DEFAULT_REPLAY_BATCH) {
      const upsert = cratedb.upsert(
        guarded,
        crateRows.slice(i, i + DEFAULT_REPLAY_BATCH),
        CORPUS_KEY_SCHEMA,
        new Date(),
      );
      if (upsert.kind !== "bulk") throw new Error("the CrateDB dialect writes in bulk");
      const answer = (await post(bulkSqlBody(upsert.sql, upsert.bulkArgs))) as {
        results?: { rowcount: number }[];
      };
      eRefused += answer.results?.filter((r) => r.rowcount !== 1).length ?? 0;
    }
    const eSeconds = (performance.now() - eStarted) / 1000;
    console.log(
      `(e) guarded bulk upsert:       ${fmt(rows.length / eSeconds)} rows/s     (the same rows through dynacrate's statement, ${eSeconds.toFixed(2)} s: the guard's share${eRefused > 0 ? `; ${eRefused} rows refused, so the rate is not comparable` : ""})`,
    );

    // (c) the seed's way on a sample: one statement per record, then with REFRESH after each.
    await sql(PLAIN_DDL(seed));
    const sample = lines.slice(0, SAMPLE);
    const perRecord = async (refresh: boolean): Promise<number> => {
      const begin = performance.now();
      for (const line of sample) {
        const row = encodeRow(
          decodeSourceRecord(sourceRecords(JSON.parse(line))[0] as never),
          format,
        );
        const pk = new RawJson(row.pk);
        if (row.change.operation === "remove") {
          await sql(`DELETE FROM "${seed}" WHERE "pk" = ?`, [pk]);
        } else {
          await sql(
            `INSERT INTO "${seed}" ("pk", "data", "aux") VALUES (?, ?, ?) ON CONFLICT ("pk"['pk'], "pk"['sk']) DO UPDATE SET "data" = excluded."data", "aux" = excluded."aux"`,
            [
              pk,
              row.data === null ? null : new RawJson(row.data),
              row.aux === null ? null : new RawJson(row.aux),
            ],
          );
        }
        if (refresh) await sql(`REFRESH TABLE "${seed}"`);
      }
      return sample.length / ((performance.now() - begin) / 1000);
    };
    const c = await perRecord(false);
    const d = await perRecord(true);
    console.log(`(c) one statement per record:  ${fmt(c)} records/s  (${sample.length} records)`);
    console.log(`(d) ... with REFRESH each:     ${fmt(d)} records/s  (${sample.length} records)`);
    // The issue's ratio: dynacrate's records/s over the floor's rows/s. Both
    // end with the same table; dynacrate also decodes every record, many of
    // them superseded, so the same-unit ratio (final rows/s each) is printed too.
    for (const run of runs)
      console.log(
        `a/f, ${run.nodes} node${run.nodes === 1 ? "" : "s"}, ${run.inFlight} in flight = ${(lines.length / run.seconds / f).toFixed(2)} (records/s over the mean of the plain upsert of every record before and after; goal >= 1.0)`,
      );
    for (const run of runs)
      console.log(
        `a/b, ${run.nodes} node${run.nodes === 1 ? "" : "s"}, ${run.inFlight} in flight = ${(lines.length / run.seconds / b).toFixed(2)} records/s over final rows/s into an empty table (a floor with no conflicts); ` +
          `${(rows.length / run.seconds / b).toFixed(2)} in final rows/s each`,
      );
    console.log(`a/c = ${(a / c).toFixed(1)}  (final rows/s over records/s one by one)`);
  } finally {
    for (const name of [table.name, ...extra])
      await sql(`DROP VIEW IF EXISTS "${name}"`).catch(() => {});
    for (const name of [table.name, ...extra]
      .flatMap((n) => [`${n}__state`, `${n}__history`])
      .concat(plain, seed))
      await sql(`DROP TABLE IF EXISTS "${name}"`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seconds to send `rows` (pk, data, aux) in bulk requests of the replay's batch size. */
async function bulkSeconds(
  stmt: string,
  rows: [string, string | null, string | null, ...unknown[]][],
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < rows.length; i += DEFAULT_REPLAY_BATCH) {
    const args = rows
      .slice(i, i + DEFAULT_REPLAY_BATCH)
      .map(([pk, data, aux]) => [
        new RawJson(pk),
        data === null ? null : new RawJson(data),
        aux === null ? null : new RawJson(aux),
      ]);
    await post(bulkSqlBody(stmt, args));
  }
  return (performance.now() - started) / 1000;
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US").padStart(9);
}

await main();
