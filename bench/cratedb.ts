// bench:cratedb — the benchmark corpus into a live CrateDB (CRATEDB_URL)
// through `dynacrate replay` as users run it, beside a floor measured in the
// same run on the same server: a plain bulk upsert of the same final rows sent
// from Node in batches of the same size (no version guard, no routing). Also
// the seed's way, one statement per record, with and without REFRESH, on a
// small sample. Size: BENCH_RECORDS (default 100,000), BENCH_SAMPLE (200).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_REPLAY_BATCH, replay } from "../src/cli/replay.ts";
import { encodeRow } from "../src/codec/row.ts";
import { decodeSourceRecord, sourceRecords } from "../src/codec/source-record.ts";
import { singleTable } from "../src/routing/table-routes.ts";
import { bulkSqlBody, sqlBody } from "../src/sink/cratedb-body.ts";
import { createCrateDbHttpSink } from "../src/sink/cratedb-http.ts";
import { cratedb } from "../src/sql/cratedb.ts";
import { RawJson } from "../src/sql/statement.ts";
import { CORPUS_KEY_SCHEMA, generateCorpus } from "./corpus.ts";

const url = process.env.CRATEDB_URL;
if (!url) {
  console.error(
    'bench:cratedb needs a live CrateDB: set CRATEDB_URL (e.g. eval "$(../shared/cratedb/start)")',
  );
  process.exit(1);
}
const COUNT = Number(process.env.BENCH_RECORDS ?? 100_000);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 200);
const RUN = Date.now().toString(36);

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
  console.log(`corpus: ${lines.length} records, ${(lines.join("\n").length / 1e6).toFixed(1)} MB`);
  const table = { schema: undefined, name: `bench_replay_${RUN}` };
  const plain = `bench_plain_${RUN}`;
  const seed = `bench_seed_${RUN}`;
  try {
    // (a) dynacrate replay, as users run it.
    const sink = createCrateDbHttpSink({ url: url as string });
    const summary = await replay({
      file,
      sink,
      routes: singleTable(table),
      keySchema: CORPUS_KEY_SCHEMA,
    });
    await sink.close();
    const a = summary.records / summary.seconds;
    console.log(
      `(a) dynacrate replay:          ${fmt(a)} records/s  (${summary.applied} applied, ${summary.failed} failed, ${summary.routedToAux} attributes to aux, ${summary.seconds.toFixed(2)} s)`,
    );

    // (b) the floor: a plain bulk upsert of the same final rows, same batch size.
    await sql(`REFRESH TABLE "${table.name}__state"`);
    const final = await sql(
      `SELECT CAST("pk" AS TEXT), CAST("data" AS TEXT), CAST("aux" AS TEXT) FROM "${table.name}" LIMIT 1000000`,
    );
    const rows = (final.rows ?? []) as [string, string | null, string | null][];
    await sql(PLAIN_DDL(plain));
    const stmt =
      `INSERT INTO "${plain}" ("pk", "data", "aux") VALUES (?, ?, ?) ` +
      `ON CONFLICT ("pk"['pk'], "pk"['sk']) DO UPDATE SET "data" = excluded."data", "aux" = excluded."aux"`;
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
    const bSeconds = (performance.now() - started) / 1000;
    const b = rows.length / bSeconds;
    console.log(
      `(b) plain bulk upsert:         ${fmt(b)} rows/s     (${rows.length} final rows in ${bSeconds.toFixed(2)} s; no guard, no routing)`,
    );

    // (c) the seed's way on a sample: one statement per record, then with REFRESH after each.
    await sql(PLAIN_DDL(seed));
    const format = cratedb.rowFormat();
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
    console.log(`a/b = ${(a / b).toFixed(2)}  (goal >= 1.0)`);
    console.log(`a/c = ${(a / c).toFixed(1)}`);
  } finally {
    for (const name of [`${table.name}`])
      await sql(`DROP VIEW IF EXISTS "${name}"`).catch(() => {});
    for (const name of [`${table.name}__state`, plain, seed])
      await sql(`DROP TABLE IF EXISTS "${name}"`).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(rate: number): string {
  return Math.round(rate).toLocaleString("en-US").padStart(9);
}

await main();
