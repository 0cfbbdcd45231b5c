// Reads every live row of a sink's view (`pk`, `data`, `aux`) at once, with
// every number kept as the exact text the database holds: for the demo and
// the tests, on small tables (verify reads by key, page by page).

import type { Sink } from "../sink/sink.ts";
import { stateTable, type TableName } from "../sql/table-name.ts";
import { parseExactJson } from "./exact-json.ts";
import type { SinkRow } from "./item-compare.ts";

export async function readLiveRows(sink: Sink, table: TableName): Promise<SinkRow[]> {
  const { dialect } = sink;
  if (dialect.name === "postgresql") {
    // As text: the pg driver would parse jsonb with JSON.parse and round long numbers.
    const q = dialect.quoteIdentifier;
    const rows = await sink.query<{ pk: string; data: string | null; aux: string | null }>({
      sql: `SELECT ${q("pk")}::text AS pk, ${q("data")}::text AS data, ${q("aux")}::text AS aux FROM ${dialect.quoteTable(table)}`,
      params: [],
    });
    return rows.map((r) => ({
      pk: parseExactJson(r.pk),
      data: r.data === null ? null : parseExactJson(r.data),
      aux: r.aux === null ? null : parseExactJson(r.aux),
    }));
  }
  // CrateDB shows writes to searches only after a refresh. Its HTTP answer is
  // parsed JSON, which would round 20-digit keys: the columns come as JSON text.
  await sink.query({ sql: `REFRESH TABLE ${dialect.quoteTable(stateTable(table))}`, params: [] });
  const q = dialect.quoteIdentifier;
  const rows = await sink.query<{ pk: string; data: string | null; aux: string | null }>({
    sql: `SELECT CAST(${q("pk")} AS TEXT) AS pk, CAST(${q("data")} AS TEXT) AS data, CAST(${q("aux")} AS TEXT) AS aux FROM ${dialect.quoteTable(table)}`,
    params: [],
  });
  return rows.map((r) => ({
    pk: parseExactJson(r.pk),
    data: r.data === null ? null : parseExactJson(r.data),
    aux: r.aux === null ? null : parseExactJson(r.aux),
  }));
}
