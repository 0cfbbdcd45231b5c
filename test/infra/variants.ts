// The four deployable variants of the pipeline (zip or container image x
// Kinesis or DynamoDB Streams), synthesized offline from the example
// configuration, each once per test file (a synth takes seconds).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { buildLambda } from "../../scripts/build-lambda.ts";
import { pipeStack } from "../../src/infra/pipe-app.ts";
import { type PipeConfig, readPipeConfig } from "../../src/infra/pipe-config.ts";
import type { DynamoDbToCrateDbProps } from "../../src/infra/props.ts";

export const EXAMPLE = join(import.meta.dirname, "..", "..", "examples", "testdrive-dynamodb.yaml");

export type Variant = `${"zip" | "container"}/${"kinesis" | "dynamodb-streams"}`;
export const VARIANTS: Variant[] = [
  "zip/kinesis",
  "container/kinesis",
  "zip/dynamodb-streams",
  "container/dynamodb-streams",
];

/** The example's configuration, turned into `variant`. */
export function variantConfig(variant: Variant): PipeConfig {
  const config = readPipeConfig(EXAMPLE);
  const [pkg, source] = variant.split("/") as [
    "zip" | "container",
    DynamoDbToCrateDbProps["source"],
  ];
  const props: DynamoDbToCrateDbProps = {
    ...config.props,
    source,
    function: { ...config.props.function, package: pkg },
  };
  if (source === "dynamodb-streams") {
    delete props.stream;
    // DynamoDB Streams batches hold at most 1000 records.
    props.mapping = { ...props.mapping, batchSize: 1000 };
  }
  return { ...config, props };
}

export interface Synthesized {
  app: App;
  stack: Stack;
  template: Template;
  json: Record<string, unknown>;
}

let bundle: Promise<unknown> | undefined;
const cache = new Map<string, Synthesized>();
const outdirs: string[] = [];

/** Removes the cloud assembly folders of this file's syntheses (for afterAll). */
export function removeOutdirs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The bundle the zip and container variants package, built once per file (esbuild, offline). */
export function ensureBundle(): Promise<unknown> {
  bundle ??= buildLambda();
  return bundle;
}

/** Synthesizes a configuration (once per key) after making sure the bundle exists. */
export async function synth(key: string, config: PipeConfig): Promise<Synthesized> {
  await ensureBundle();
  let done = cache.get(key);
  if (!done) {
    const outdir = mkdtempSync(join(tmpdir(), "dynacrate-synth-"));
    outdirs.push(outdir);
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = pipeStack(app, config);
    const template = Template.fromStack(stack);
    done = { app, stack, template, json: template.toJSON() };
    cache.set(key, done);
  }
  return done;
}

export function synthVariant(variant: Variant): Promise<Synthesized> {
  return synth(variant, variantConfig(variant));
}
