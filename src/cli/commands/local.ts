// The `local` command: `dynacrate local up` runs the local stack (DynamoDB
// Local, Kinesis emulator, bridge, PostgreSQL or your CrateDB) in the
// foreground, prints its endpoints and the `dynacrate relay` command line to
// run against it, and stops everything on Ctrl-C. A thin shell over
// startLocalStack (src/local/services/stack.ts).

import { fileURLToPath } from "node:url";
import { formatKeySchema, parseKeySchema } from "../../codec/key-schema.ts";
import { ConfigError } from "../../errors.ts";
import type { BridgeFaults } from "../../local/bridge/bridge-faults.ts";
import {
  isStartError,
  LOCAL_AWS_ENV,
  type LocalTable,
  startLocalStack,
} from "../../local/services/stack.ts";
import { stopOnSignals } from "../../stop-signals.ts";
import { numberValue, parse, wholeOption, wholeValue } from "../args.ts";
import { shellWord } from "../shell-word.ts";

export const usage = `dynacrate local up [options]

Starts DynamoDB Local with tables whose streams are on, a Kinesis emulator with
a stream, a bridge per table that forwards its changes to Kinesis in the Kinesis
Data Streams for DynamoDB format (several tables share the stream, as they can
on AWS), and PostgreSQL (or uses CRATEDB_URL), then prints the endpoints and the
relay command line. Runs until Ctrl-C, then stops everything it started. Needs
Java 17+ for DynamoDB Local.

  --table NAME        DynamoDB table (default orders); the Kinesis stream is NAME-changes
  --key id:S[,sk:N]   the table's key, partition key first (default id:S)
  --tables LIST       several tables instead: NAME:key:TYPE[:sortkey:TYPE],... e.g.
                      ProductCatalog:Id:N,Forum:Name:S,Thread:ForumName:S:Subject:S;
                      the Kinesis stream is local-changes
  --stream NAME       the Kinesis stream's name
  --shards N          shards of the Kinesis stream (default 2)
  --ttl-attribute A   mark REMOVEs of items whose A (epoch seconds) has passed as TTL deletes
  --duplicates P      put a share P (0..1) of the changes twice, as Kinesis may
  --swaps P           swap neighbouring records with probability P
  --delays P          hold a share P of records back behind later ones
  --seed N            seed of the duplicates and reordering (default 1)
`;

/** A share of the records a fault hits. */
const SHARE = numberValue((p) => p >= 0 && p <= 1, "a number from 0 to 1");

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    table: { type: "string" },
    key: { type: "string" },
    tables: { type: "string" },
    stream: { type: "string" },
    shards: { type: "string", value: wholeValue() },
    "ttl-attribute": { type: "string" },
    duplicates: { type: "string", value: SHARE },
    swaps: { type: "string", value: SHARE },
    delays: { type: "string", value: SHARE },
    seed: { type: "string", value: wholeValue() },
  });
  if (values.help || positionals[0] !== "up" || positionals.length > 1) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const tables = tablesOption(values);
  const faults = faultOptions(values);

  const stopped = stopOnSignals();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      tables,
      ...(typeof values.stream === "string" ? { streamName: values.stream } : {}),
      shards: wholeOption(values, "shards", 2),
      targetUrl: process.env.CRATEDB_URL || undefined,
      faults,
      ttlAttribute: values["ttl-attribute"] as string | undefined,
      // This command stops the stack itself, and says so.
      stopOnSignals: false,
      onProgress: (event) => {
        if (event.state === "ready")
          out(`${event.service} ready in ${((event.ms ?? 0) / 1000).toFixed(1)} s`);
      },
    });
  } catch (error) {
    if (!isStartError(error)) throw error;
    process.stderr.write(`dynacrate local: ${error.message}\n`);
    return 1;
  }

  const env = Object.entries(LOCAL_AWS_ENV).map(([name, value]) => `${name}=${value}`);
  out("");
  out(
    `DynamoDB (and DynamoDB Streams): ${stack.dynamodbEndpoint}   ${tables.length === 1 ? "table" : "tables"} ${tables
      .map((t) => `${t.name} (key ${formatKeySchema(t.keySchema)})`)
      .join(", ")}`,
  );
  out(`Kinesis:                         ${stack.kinesisEndpoint}   stream ${stack.streamName}`);
  out(
    `${stack.target === "postgresql" ? "PostgreSQL:" : "CrateDB:   "}                      ${stack.targetUrl}`,
  );
  if (faults) out(`the bridge injects faults: ${JSON.stringify(faults)}`);
  out("");
  const [first] = tables as [LocalTable];
  const key = first.keySchema;
  out(`write to the ${tables.length === 1 ? "table" : "tables"}, e.g.:`);
  out(
    `  ${env.join(" ")} aws dynamodb put-item --endpoint-url ${stack.dynamodbEndpoint} --table-name ${first.name} --item '{"${key[0]?.name}": {"${key[0]?.type}": "${key[0]?.type === "N" ? "1" : "a"}"}${key[1] ? `, "${key[1].name}": {"${key[1].type}": "1"}` : ""}}'`,
  );
  out("and relay the changes into the database:");
  // The command by its full path: `npx dynacrate` works only inside the project folder.
  const bin = fileURLToPath(new URL("../../../bin/dynacrate.js", import.meta.url));
  const command = (args: string[]) =>
    `  ${env.join(" ")} node ${shellWord(bin)} ${args.map(shellWord).join(" ")}`;
  out(command(stack.relayArgs()));
  // Tables created later have no bridge: their own DynamoDB streams can be relayed directly.
  out("a table you create yourself (stream on) is relayed from its DynamoDB stream directly:");
  out(
    command([
      "relay",
      "--source",
      "dynamodb-streams://<table>",
      "--endpoint",
      stack.dynamodbEndpoint,
      "--target",
      stack.targetUrl,
      "--table",
      "<table>",
    ]),
  );
  out("");
  out("ready; Ctrl-C stops everything");

  const signal = await stopped.received;
  out(`\n${signal}: stopping...`);
  const { stats } = stack.bridge;
  await stack.stop();
  out(`stopped (the bridge forwarded ${stats.put} records from ${stats.read} changes)`);
  return 0;
}

/** --tables, or --table with --key (or the default table). */
function tablesOption(values: Record<string, unknown>): LocalTable[] {
  const list = values.tables as string | undefined;
  if (list === undefined) {
    return [
      {
        name: (values.table as string | undefined) ?? "orders",
        keySchema: parseKeySchema((values.key as string | undefined) ?? "id:S"),
      },
    ];
  }
  if (values.table !== undefined || values.key !== undefined)
    throw new ConfigError("--tables names each table with its key: leave out --table and --key");
  const tables = list.split(",").map((entry): LocalTable => {
    const [name = "", ...key] = entry.trim().split(":");
    if (!/^[\w.-]{3,255}$/.test(name) || (key.length !== 2 && key.length !== 4))
      throw new ConfigError(
        `--tables: ${JSON.stringify(entry)} is not NAME:key:TYPE[:sortkey:TYPE]; write e.g. ProductCatalog:Id:N,Thread:ForumName:S:Subject:S`,
      );
    const pairs = key.length === 2 ? key.join(":") : `${key[0]}:${key[1]},${key[2]}:${key[3]}`;
    return { name, keySchema: parseKeySchema(pairs) };
  });
  const names = tables.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new ConfigError(`--tables names ${twice} twice`);
  return tables;
}

function faultOptions(values: Record<string, unknown>): BridgeFaults | undefined {
  const share = (name: string): number | undefined =>
    values[name] === undefined ? undefined : Number(values[name]);
  const duplicates = share("duplicates");
  const swaps = share("swaps");
  const delays = share("delays");
  if (duplicates === undefined && swaps === undefined && delays === undefined) return undefined;
  return {
    seed: wholeOption(values, "seed", 1),
    ...(duplicates === undefined ? {} : { duplicates }),
    ...(swaps === undefined ? {} : { swaps }),
    ...(delays === undefined ? {} : { delays }),
  };
}
