// Reads the rows users see in a sink's view (`pk`, `data`, `aux`) with every
// number kept as the exact text the database holds, for the demo and the
// end-to-end tests to compare with DynamoDB.

import type { Sink } from "../sink/sink.ts";
import { stateTable, type TableName } from "../sql/table-name.ts";
import { fromParsed, parseExactJson } from "./exact-json.ts";
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
  // parsed JSON: numbers are exact only in the number format `string`.
  await sink.query({ sql: `REFRESH TABLE ${dialect.quoteTable(stateTable(table))}`, params: [] });
  const rows = await sink.query<{ pk: unknown; data: unknown; aux: unknown }>(
    dialect.selectLive(table),
  );
  return rows.map((r) => ({
    pk: fromParsed(r.pk),
    data: fromParsed(r.data),
    aux: fromParsed(r.aux),
  }));
}
