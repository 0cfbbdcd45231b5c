// What `synth`, `deploy` and `destroy` share: the --config option, read and
// checked before any AWS CDK library is loaded, and the help text.

import { type PipeConfig, readPipeConfig } from "../infra/pipe-config.ts";
import { type OptionSpec, type Parsed, parse, requireOption } from "./args.ts";

/** The parsed options and the checked configuration; undefined when --help was asked for (and printed). */
export function pipeCommand(
  argv: string[],
  usage: string,
  options: OptionSpec = {},
): { values: Parsed["values"]; config: PipeConfig } | undefined {
  const { values } = parse(argv, { config: { type: "string" }, ...options });
  if (values.help) {
    process.stdout.write(usage);
    return undefined;
  }
  const file = requireOption(
    values,
    "config",
    "the pipeline's YAML file, e.g. examples/testdrive-dynamodb.yaml",
  );
  return { values, config: readPipeConfig(file) };
}
