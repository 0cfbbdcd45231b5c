// What `synth`, `deploy` and `destroy` share: the --config option, read and
// checked before any AWS CDK library is loaded, and the help text.

import { type PipeConfig, readPipeConfig } from "../infra/pipe-config.ts";
import { type OptionSpec, parse, requireOption, type Values } from "./args.ts";

const CONFIG = { config: { type: "string" } } as const satisfies OptionSpec;

/** The parsed options and the checked configuration; undefined when --help was asked for (and printed). */
export function pipeCommand<const S extends OptionSpec>(
  argv: string[],
  usage: string,
  options: S,
): { values: Values<S & typeof CONFIG>; config: PipeConfig } | undefined {
  const { values } = parse(argv, { ...CONFIG, ...options });
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
