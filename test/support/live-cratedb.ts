// A live CrateDB for one suite: a sink opened before its tests, fresh table
// names, and every table they name dropped after them.

import { afterAll, beforeAll } from "vitest";
import {
  type CrateDbHttpSink,
  type CrateDbHttpSinkOptions,
  createCrateDbHttpSink,
} from "../../src/sink/cratedb-http.ts";
import type { TableName } from "../../src/sql/table-name.ts";
import { dropTables, tableNames } from "./drop-tables.ts";

export interface LiveCrateDb {
  /** The suite's sink (open while its tests run). */
  readonly sink: CrateDbHttpSink;
  /** A table name no other test uses; dropped after the suite. */
  fresh(prefix: string): TableName;
}

/** Call at the top of a suite that runs only where `url` is set; `options` go to its sink. */
export function liveCrateDb(
  url: string | undefined,
  options: Omit<CrateDbHttpSinkOptions, "url"> = {},
): LiveCrateDb {
  let sink: CrateDbHttpSink | undefined;
  const { tables, fresh } = tableNames();
  beforeAll(() => {
    sink = createCrateDbHttpSink({ ...options, url: url as string });
  });
  afterAll(async () => {
    if (sink) await dropTables(sink, tables);
    await sink?.close();
  });
  return {
    get sink() {
      return sink as CrateDbHttpSink;
    },
    fresh,
  };
}
