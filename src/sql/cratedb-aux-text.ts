// The `aux_text` column of a CrateDB state table: each member of `aux` again,
// as text. `aux` keeps the values CrateDB can not index whole (stored, not
// indexed, OBJECT(IGNORED)), and once one name holds values of several types
// there, CrateDB can read them but not compare them: `WHERE aux['v'] = 42`,
// `aux['v']::TEXT` and TRY_CAST fail the whole query, and so does reading a
// mixed list over the PostgreSQL wire protocol (checked on 6.4.3). As text,
// every value of a name has one type, so an analyst filters with
// `aux_text['v'] = '42'`, `TRY_CAST(aux_text['v'] AS DOUBLE) > 40` or LIKE,
// and psql reads it. A string is its own text, a number its decimal text (the
// codec's `42.0`, written so for DOUBLE columns, as `42`), a boolean `true` /
// `false`, a list or map its JSON text; a null is left out.

import { skipValue, stringEnd } from "../codec/json-scan.ts";

/** The JSON of `aux_text` for a row's `aux` JSON (null when there is none). */
export function auxText(aux: string | null): string | null {
  if (aux === null || aux === "{}") return null;
  let text = "{";
  let i = 1;
  while (i < aux.length && aux.charCodeAt(i) !== 125) {
    const nameEnd = stringEnd(aux, i);
    const valueEnd = skipValue(aux, nameEnd + 1);
    const value = aux.slice(nameEnd + 1, valueEnd);
    if (value !== "null") {
      // A JSON string is already the member's text, quoted; anything else is quoted now.
      const first = value.charCodeAt(0);
      const number = first === 45 || (first >= 48 && first <= 57);
      const member =
        first === 34
          ? value
          : JSON.stringify(number && value.endsWith(".0") ? value.slice(0, -2) : value);
      text += `${text.length === 1 ? "" : ","}${aux.slice(i, nameEnd)}:${member}`;
    }
    i = aux.charCodeAt(valueEnd) === 44 ? valueEnd + 1 : valueEnd;
  }
  return text.length === 1 ? null : `${text}}`;
}
