// Reads every live row of a sink's view (`pk`, `data`, `aux`) at once, with
// every number kept as the exact text the database holds: for the demo and
// the tests, on small tables (verify reads by key, page by page).

import type { Sink } from "../sink/sink.ts";
import { stateTable, type TableName } from "../sql/table-name.ts";
import { parseExactJson } from "./exact-json.ts";
import { exactPk } from "./exact-key.ts";
import type { SinkRow } from "./item-compare.ts";

export async function readLiveRows(sink: Sink, table: TableName): Promise<SinkRow[]> {
  const { dialect } = sink;
  // CrateDB shows writes to searches only after a refresh.
  const refresh = dialect.refresh(stateTable(table));
  if (refresh) await sink.query(refresh);
  const rows = await sink.query<{
    pk: string;
    pk_text?: string | null;
    data: string | null;
    aux: string | null;
  }>(dialect.selectLiveText(table));
  return rows.map((r) => ({
    pk: exactPk(parseExactJson(r.pk), r.pk_text),
    data: r.data === null ? null : parseExactJson(r.data),
    aux: r.aux === null ? null : parseExactJson(r.aux),
  }));
}
