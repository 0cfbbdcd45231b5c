// Table names as the user writes them (`schema.table`, parts optionally in
// double quotes), parsed once into parts that dialects quote.

import { ConfigError } from "../errors.ts";

export interface TableName {
  schema: string | undefined;
  name: string;
}

/** Parses `table`, `schema.table`, `"My.Schema"."Table"`; `""` inside quotes is one `"`. */
export function parseTableName(text: string): TableName {
  const parts: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let part = "";
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new ConfigError(`table name ${text}: unterminated quote`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            part += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        part += text[i++];
      }
      if (i < text.length && text[i] !== ".") {
        throw new ConfigError(`table name ${text}: expected "." after a quoted part`);
      }
    } else {
      while (i < text.length && text[i] !== ".") part += text[i++];
    }
    if (part === "") throw new ConfigError(`table name ${JSON.stringify(text)}: empty part`);
    parts.push(part);
    i++;
  }
  if (parts.length > 2) {
    throw new ConfigError(
      `table name ${text}: too many parts; write "table" or "schema.table" (quote a part that holds a dot: "a.b".c)`,
    );
  }
  return parts.length === 2
    ? { schema: parts[0], name: parts[1] as string }
    : { schema: undefined, name: parts[0] as string };
}

/** The table that holds every key's state, live or deleted, beside the user's view. */
export function stateTable(table: TableName): TableName {
  return { schema: table.schema, name: `${table.name}__state` };
}

export function formatTableName(table: TableName): string {
  return table.schema ? `${table.schema}.${table.name}` : table.name;
}

/** The text parseTableName reads back as `table`: a part that holds a dot or a quote is quoted. */
export function tableNameText(table: TableName): string {
  const part = (p: string) => (/["."]/.test(p) ? `"${p.replaceAll('"', '""')}"` : p);
  return table.schema === undefined
    ? part(table.name)
    : `${part(table.schema)}.${part(table.name)}`;
}
