// A target table that "does not exist" because its name was written in
// another case (`forum` beside `Forum`): dynacrate keeps names as given and
// quotes them, so the two are different tables. This finds such a table for
// the message, in the wording the DynamoDB side uses too (nearTableHint).

import { nearTableHint } from "../near-name.ts";
import type { TableName } from "../sql/table-name.ts";
import type { Sink } from "./sink.ts";

/** "; a table Forum exists (table names are case-sensitive)", or "" when none differs only in case. */
export async function targetCaseHint(sink: Sink, table: TableName): Promise<string> {
  try {
    const rows = await sink.query<{ name: string }>(sink.dialect.relationsInAnyCase(table));
    const names = rows.map((r) => r.name.replace(/__state$/, ""));
    return nearTableHint(
      table.name,
      names.filter((n) => n !== table.name),
    );
  } catch {
    // The hint is a courtesy: the message stands without it.
    return "";
  }
}
