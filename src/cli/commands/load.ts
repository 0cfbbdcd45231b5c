// The `load` command line: the initial copy of a source into a sink, ending
// with the relay's checkpoint set where the change stream must resume.
// MongoDB collections (src/load/mongodb-copy.ts).

import { ConfigError } from "../../errors.ts";
import { parse, SINK_HELP, SINK_OPTIONS } from "../args.ts";

export const usage = `dynacrate load --source URL --target URL --table NAME [options]

Copies every document of a source into a sink, then sets the relay's
checkpoint to the cluster time taken before the copy: start the relay
afterwards and it resumes the change stream there, so no write is lost.

  --source URL        mongodb://host/<db>.<collection> (or <db>.* : each collection to a
                      table of its name, in the schema of --table <schema>.*)
${SINK_HELP}
  --dlq FILE          documents that can never be applied go to FILE (NDJSON; default
                      dynacrate-dead-letters.ndjson)
  --batch-size N      documents per batch (default 1000)
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...SINK_OPTIONS,
    source: { type: "string" },
    dlq: { type: "string" },
    "batch-size": { type: "string" },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const source = values.source;
  if (typeof source !== "string" || !/^mongodb(\+srv)?:\/\//.test(source))
    throw new ConfigError(
      `--source must be mongodb://host/<db>.<collection>, got ${String(source ?? "nothing")}`,
    );
  // Loaded on demand: the MongoDB driver is not needed for the other commands.
  const { runMongoLoad } = await import("../mongodb-load.ts");
  return runMongoLoad(values);
}
