// The `synth` command line: the CloudFormation template of the pipeline
// described by a YAML file, written offline (no AWS account, no Docker, no
// network) into a CDK cloud assembly folder.

import { isAbsolute, relative } from "node:path";
import { errorMessage } from "../../error-text.ts";
import { ConfigError, DynacrateError } from "../../errors.ts";
import { requirePackages } from "../../infra/load-cdk.ts";
import { pipeCommand } from "../pipe-command.ts";

export const usage = `dynacrate synth --config FILE [--out DIR]

Writes the CloudFormation template (and the Lambda asset) of the pipeline that
FILE describes into DIR (default cdk.out), without an AWS account, Docker or
network. See examples/testdrive-dynamodb.yaml.

  --config FILE   the pipeline's YAML configuration
  --out DIR       the cloud assembly folder (default cdk.out)
  --validate      also check the template with aws-cdk-lib's built-in
                  CloudFormation validator (resource schemas and rules; slower)
`;

export async function run(argv: string[]): Promise<number> {
  const started = performance.now();
  const command = pipeCommand(argv, usage, {
    out: { type: "string" },
    validate: { type: "boolean" },
  });
  if (!command) return 0;
  const { values, config } = command;
  await requirePackages("synth", ["aws-cdk-lib", "constructs"]);
  const { prepareBundle, synthesize } = await import("../../infra/pipe-app.ts");
  await prepareBundle(config);
  let result: Awaited<ReturnType<typeof synthesize>>;
  try {
    result = synthesize(config, values.out ?? "cdk.out", values.validate === true);
  } catch (error) {
    if (error instanceof DynacrateError) throw error;
    throw new ConfigError(`synthesis of ${values.config} failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const types = Object.values(result.resources);
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `wrote ${shown(result.templateFile)}: stack ${result.stackName}, ${types.length} resources, in ${seconds} s\n` +
      [...counts]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([type, n]) => `  ${type}${n > 1 ? ` x${n}` : ""}\n`)
        .join("") +
      (values.validate === true
        ? "validated: the CloudFormation validator found no problem in the template\n"
        : ""),
  );
  return 0;
}

/** A path relative to the working directory when it lies inside it, else as it is. */
function shown(file: string): string {
  const near = relative(process.cwd(), file);
  return near.startsWith("..") || isAbsolute(near) ? file : near;
}
