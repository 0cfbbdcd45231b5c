// A text record that counts how often its text is parsed, for tests that
// hold a reader of the text to reading it in place.

import { TextRecord } from "../../src/codec/text-record.ts";

export function countedTextRecord(text: string): { record: TextRecord; parses: () => number } {
  let parses = 0;
  const record = new TextRecord(
    text,
    { ref: "r" },
    {
      decode: (t) => {
        parses++;
        return { payload: JSON.parse(t), ref: "r" };
      },
    },
  );
  return { record, parses: () => parses };
}
