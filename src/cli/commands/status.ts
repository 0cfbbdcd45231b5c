// The `status` command line: what the relays left in a target database, per
// target table, as text or (--json) for scripts. Exit 0; 2 when the database
// can not be reached.

import { readStatus, type Status } from "../../relay/relay-status.ts";
import { checkConnection } from "../../sink/connection-check.ts";
import { openSink, redactUrl } from "../../sink/open-sink.ts";
import { parseTableName } from "../../sql/table-name.ts";
import { parse, targetUrl } from "../args.ts";

export const usage = `dynacrate status --target URL [options]

Prints, per target table of the database: its rows and tombstones, the time of
the newest change applied, each stream's shard checkpoints and their age, and
whether a relay holds the lease (--standby); with --dead-letter-table, the dead
letters stored there. Target tables are those the relays' checkpoints and
leases name, and any --table.

  --target URL        the target database (or set TARGET_URL)
  --table NAME        a target table to report even without checkpoints (repeatable)
  --dead-letter-table NAME
                      a dead-letter table (DEAD_LETTER_TABLE of the Lambda function)
                      to count; default: the variable DEAD_LETTER_TABLE, if set
  --json              one JSON object, for scripts

Exit status: 0, or 2 when the database can not be reached.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    target: { type: "string" },
    table: { type: "string", multiple: true },
    "dead-letter-table": { type: "string" },
    json: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const url = targetUrl(values);
  const deadLetters = values["dead-letter-table"] ?? process.env.DEAD_LETTER_TABLE;
  const options = {
    tables: (values.table ?? []).map(parseTableName),
    ...(deadLetters ? { deadLetterTable: parseTableName(deadLetters) } : {}),
  };
  await checkConnection(url);
  const sink = await openSink(url);
  try {
    const status = await readStatus(sink, options);
    process.stdout.write(
      values.json === true ? `${JSON.stringify(status, null, 2)}\n` : text(status, redactUrl(url)),
    );
    return 0;
  } finally {
    await sink.close();
  }
}

function text(status: Status, where: string): string {
  const lines = [`status of ${where}`];
  if (status.targets.length === 0)
    lines.push("  no relay checkpoints or leases here yet (give --table to look at a table)");
  for (const t of status.targets) {
    lines.push("", `table ${t.table}`);
    if (t.rows === null) lines.push("  the table does not exist");
    else {
      lines.push(`  rows          ${t.rows}`, `  tombstones    ${t.tombstones}`);
      lines.push(
        `  last change   ${t.lastChangeAt ?? "none"}${t.lastWrittenAt ? ` (written ${t.lastWrittenAt})` : ""}`,
      );
    }
    for (const s of t.streams) {
      lines.push(`  stream ${s.stream}`);
      const lease = s.lease;
      lines.push(
        `    lease       ${
          lease === null
            ? "none (no relay with --standby)"
            : lease.held
              ? `held by ${lease.holder} (epoch ${lease.epoch}, ${lease.expiresInSeconds} s left unless renewed)`
              : `free (last held by ${lease.holder}, epoch ${lease.epoch})`
        }`,
      );
      for (const shard of s.shards)
        lines.push(
          `    ${shard.shard}  ${shard.finished ? "finished" : `at ${shard.position ?? "(start)"}`}, checkpoint ${age(shard.ageSeconds)} ago`,
        );
    }
  }
  if (status.deadLetters) {
    const d = status.deadLetters;
    lines.push(
      "",
      d.count === null
        ? `dead letters: table ${d.table} does not exist`
        : `dead letters: ${d.count} in ${d.table}${d.newestAt ? `, newest ${d.newestAt}` : ""}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
