// The `demo` command (`npm start`): runs the whole pipeline on this machine
// and exits 0 when the database matches DynamoDB, 1 otherwise. A thin shell
// over runDemo (src/local/demo/demo.ts).

import { runDemo } from "../../local/demo/demo.ts";
import { JavaNotFoundError } from "../../local/services/dynamodb-local.ts";
import { isStartError } from "../../local/services/stack.ts";
import { parse } from "../args.ts";

export const usage = `dynacrate demo

Starts DynamoDB Local, a Kinesis emulator and PostgreSQL on free ports, writes
a few dozen changes to a DynamoDB table, relays them through Kinesis into
PostgreSQL, shows both sides and says whether they match (exit status 0) or
not (1). Stops everything it started, also on Ctrl-C. Needs Java 17+ for
DynamoDB Local.

Set CRATEDB_URL (e.g. http://localhost:4200) to replicate into your CrateDB
instead of the PostgreSQL started here.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {});
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  try {
    const result = await runDemo({
      out: (line) => process.stdout.write(`${line}\n`),
      targetUrl: process.env.CRATEDB_URL || undefined,
      width: Math.max(100, process.stdout.columns ?? 140),
    });
    return result.match ? 0 : 1;
  } catch (error) {
    if (!isStartError(error)) throw error;
    process.stderr.write(`dynacrate demo: ${error.message}\n`);
    if (error instanceof JavaNotFoundError)
      process.stderr.write(
        "The demo runs Amazon's DynamoDB Local, which is a Java program: install a Java 17+ runtime and run `npm start` again.\n",
      );
    return 1;
  }
}
