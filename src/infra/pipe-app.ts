// The CDK app behind `dynacrate synth | deploy | destroy`: one stack,
// `<project>-<stage>`, holding the DynamoDbToCrateDb construct configured
// from the YAML file. Synthesis needs no AWS account, no Docker and no
// network; in a clone, the Lambda bundle is rebuilt from the sources first,
// so that what is deployed is what is checked out.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { App, Stack, Tags } from "aws-cdk-lib";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import { DynamoDbToCrateDb } from "./dynamodb-to-cratedb.ts";
import { PACKAGE_ROOT } from "./function-code.ts";
import type { PipeConfig } from "./pipe-config.ts";

export const CONSTRUCT_ID = "Pipeline";

/** Builds the stack into `app`. */
export function pipeStack(app: App, config: PipeConfig): Stack {
  const stack = new Stack(app, config.stackName, {
    stackName: config.stackName,
    description: config.description,
    ...(config.region || config.account
      ? {
          env: {
            ...(config.region ? { region: config.region } : {}),
            ...(config.account ? { account: config.account } : {}),
          },
        }
      : {}),
  });
  Tags.of(stack).add("project", config.project);
  Tags.of(stack).add("stage", config.stage);
  new DynamoDbToCrateDb(stack, CONSTRUCT_ID, config.props);
  return stack;
}

export interface Synthesized {
  assembly: CloudAssembly;
  stackName: string;
  templateFile: string;
  /** Logical id -> resource type. */
  resources: Record<string, string>;
}

/**
 * Synthesizes the app into `outdir` (a cloud assembly: the template, the
 * assets). `validate` also runs aws-cdk-lib's built-in CloudFormation
 * validator over the template (schemas and rules; several seconds more).
 */
export function synthesize(config: PipeConfig, outdir: string, validate = false): Synthesized {
  const app = new App({ outdir, builtinCloudFormationValidation: validate });
  const stack = pipeStack(app, config);
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = artifact.template as { Resources?: Record<string, { Type: string }> };
  const resources: Record<string, string> = {};
  for (const [id, resource] of Object.entries(template.Resources ?? {}))
    resources[id] = resource.Type;
  return {
    assembly,
    stackName: stack.stackName,
    templateFile: join(outdir, artifact.templateFile),
    resources,
  };
}

/**
 * Rebuilds dist/lambda/index.mjs in a clone (where scripts/build-lambda.ts
 * and esbuild are); an installed package ships the bundle and keeps it.
 */
export async function prepareBundle(config: PipeConfig): Promise<void> {
  if (config.props.function?.bundleFile !== undefined) return;
  const script = join(PACKAGE_ROOT, "scripts", "build-lambda.ts");
  if (!existsSync(script)) return;
  const { buildLambda } = (await import(script)) as { buildLambda: () => Promise<unknown> };
  await buildLambda();
}
