// The set-up check every command runs once the sink answers (see
// connection-check.ts) and before its first record: replay, the relay, the
// load and the Lambda function call this one function. It asks, creating
// nothing:
//   1. names: does every name dynacrate would create (view, state table,
//      index, dead-letter table) reach the database as written (the dialect's
//      rules: PostgreSQL's 63 bytes, CrateDB's characters and 255 bytes)?
//   2. relations: is a name taken by a relation dynacrate did not create (G9,
//      target-check.ts)?
//   3. privileges: may the user create what is missing (CREATE on its schema)
//      and read and write what exists (SELECT, INSERT, UPDATE, and DELETE where
//      tombstones are purged)?
// Every problem found is listed in one ConfigError (exit 2), so nothing is
// half-created and no record fails for a mistake in the set-up.

import { ConfigError } from "../errors.ts";
import type { Privilege, PrivilegeObject } from "../sql/dialect.ts";
import { historyTable } from "../sql/history.ts";
import { formatTableName, stateTable, type TableName } from "../sql/table-name.ts";
import { checkHistoryTable } from "./history-table.ts";
import type { Sink } from "./sink.ts";
import { SinkError } from "./sink-error.ts";
import { checkTarget } from "./target-check.ts";

export interface SetUp {
  /** The target tables named up front (each a view over its state table). */
  targets: TableName[];
  /** Tables of dynacrate's own that the command creates when missing and writes (checkpoints, progress, purges). */
  tables?: TableName[];
  /** Tables named by the user that dynacrate creates as they are (the dead-letter table). */
  named?: Array<{ table: TableName; option: string }>;
  /** The command purges old tombstones: DELETE on each state table. */
  purges?: boolean;
  /** How the user names the target (`--table`, `TARGET_TABLE`), for messages. */
  option?: string;
  /** Each target keeps its changes in `<table>__history` too (--history). */
  history?: boolean;
}

interface SchemaRow {
  user: string;
  schema: string | null;
  exists: boolean;
  can_create: boolean;
}

type TableRow = Record<"select" | "insert" | "update" | "delete", boolean>;

interface Missing {
  privileges: Privilege[];
  on: PrivilegeObject;
  why: string;
}

/**
 * Checks names, existing relations and privileges for a command's targets;
 * throws one ConfigError listing every problem. A database that can not be
 * asked now (down, refusing the credentials) is left to the pipeline, which
 * waits or reports, and runs the relation check again before it creates anything.
 */
export async function checkSetUp(sink: Sink, setUp: SetUp): Promise<void> {
  const option = setUp.option ?? "target table";
  const { dialect } = sink;
  const problems: string[] = [];
  for (const target of setUp.targets) {
    for (const problem of dialect.targetNameProblems(target))
      problems.push(`${option} ${formatTableName(target)}: ${problem}`);
    if (setUp.history)
      for (const problem of dialect.tableNameProblems(historyTable(target)))
        problems.push(`${option} ${formatTableName(target)} with --history: ${problem}`);
  }
  for (const { table, option: named } of setUp.named ?? []) {
    for (const problem of dialect.tableNameProblems(table))
      problems.push(`${named} ${formatTableName(table)}: ${problem}`);
  }
  if (problems.length > 0) throw setUpError(problems);

  try {
    const missing: Missing[] = [];
    let user = "";
    const schemas = new Map<string, SchemaRow>();
    const schemaOf = async (schema: string | undefined): Promise<SchemaRow> => {
      const key = schema ?? "";
      let row = schemas.get(key);
      if (!row) {
        const [found] = await sink.query<SchemaRow>(dialect.schemaPrivileges(schema));
        row = found ?? { user: "", schema: schema ?? null, exists: false, can_create: false };
        schemas.set(key, row);
        user ||= row.user;
      }
      return row;
    };
    const needCreate = async (table: TableName, what: string) => {
      const schema = await schemaOf(table.schema);
      if (!schema.can_create)
        missing.push({
          privileges: ["CREATE"],
          on: { schema: schema.schema ?? "(no schema: the search path is empty)" },
          why: `to create ${what}${schema.exists ? "" : ` (and its schema ${schema.schema})`}`,
        });
    };
    const needUse = async (table: TableName, privileges: Privilege[], what: string) => {
      const [row] = await sink.query<TableRow>(dialect.tablePrivileges(table));
      const lacking = privileges.filter((p) => !row?.[p.toLowerCase() as keyof TableRow]);
      if (lacking.length > 0)
        missing.push({ privileges: lacking, on: { table }, why: `to write ${what}` });
    };
    const writes: Privilege[] = ["SELECT", "INSERT", "UPDATE"];

    for (const target of setUp.targets) {
      // G9 first: a relation of the name that dynacrate did not create is refused as such.
      const found = await checkTarget(sink, target);
      const state = stateTable(target);
      if (found.stateColumns === undefined || !found.viewExists)
        await needCreate(
          target,
          `${formatTableName(state)} and its view ${formatTableName(target)}`,
        );
      if (found.stateColumns !== undefined)
        await needUse(
          state,
          setUp.purges ? [...writes, "DELETE"] : writes,
          `the rows of ${formatTableName(target)}`,
        );
      if (setUp.history) {
        const history = historyTable(target);
        if (await checkHistoryTable(sink, target))
          await needUse(history, ["SELECT", "INSERT"], `the changes of ${formatTableName(target)}`);
        else await needCreate(history, formatTableName(history));
      }
    }
    for (const table of [...(setUp.tables ?? []), ...(setUp.named ?? []).map((n) => n.table)]) {
      const exists = (await sink.query<{ name: string }>(dialect.lookupRelations(table))).some(
        (r) => r.name === table.name,
      );
      if (exists) await needUse(table, [...writes, "DELETE"], formatTableName(table));
      else await needCreate(table, formatTableName(table));
    }
    if (missing.length > 0) {
      if (!user) await schemaOf(undefined);
      throw setUpError(
        missing.map(
          (m) =>
            `user ${user} lacks ${m.privileges.join(", ")} on ${"schema" in m.on ? `schema ${m.on.schema}` : formatTableName(m.on.table)} ` +
            `${m.why}; grant ${m.privileges.length > 1 ? "them" : "it"}: ${dialect.grantText(m.privileges, m.on, user)}`,
        ),
      );
    }
  } catch (error) {
    // Down, or refusing the credentials (the commands' connection check named that
    // already): the pipeline reports its records, and checks the relations again.
    if (error instanceof SinkError) return;
    throw error;
  }
}

function setUpError(problems: string[]): ConfigError {
  return new ConfigError(
    problems.length === 1
      ? `${problems[0]} (nothing was created or written)`
      : `the set-up has ${problems.length} problems (nothing was created or written):\n  ${problems.join("\n  ")}`,
  );
}
