// Where the Lambda function's code comes from: the one-file bundle that
// scripts/build-lambda.ts writes (dist/lambda/index.mjs), shipped either as a
// zip asset or inside the container image of lambda/Dockerfile. Synthesis only
// copies files (no Docker, no network); the deployment uploads the zip or
// builds and pushes the image.

import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { IgnoreMode } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { ConfigError } from "../errors.ts";
import { LAMBDA_NODE_MAJOR } from "../node-versions.ts";

/** The package's root: this file is src/infra/ in a clone and dist/infra/ in an installed package. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DEFAULT_BUNDLE = join(PACKAGE_ROOT, "dist", "lambda", "index.mjs");
export const DOCKERFILE = join(PACKAGE_ROOT, "lambda", "Dockerfile");

export const LAMBDA_HANDLER = "index.handler";

export function lambdaRuntime(): lambda.Runtime {
  return new lambda.Runtime(`nodejs${LAMBDA_NODE_MAJOR}.x`, lambda.RuntimeFamily.NODEJS, {
    supportsInlineCode: true,
  });
}

function checkedBundle(bundleFile: string | undefined): string {
  const file = resolve(bundleFile ?? DEFAULT_BUNDLE);
  if (!existsSync(file)) {
    throw new ConfigError(
      bundleFile === undefined
        ? `the Lambda bundle ${file} is missing: run npm run build:lambda first (dynacrate synth and deploy do that in a clone)`
        : `function.bundleFile ${file} does not exist: give the path of the file npm run build:lambda writes`,
    );
  }
  return file;
}

/** The bundle as a zip asset holding index.mjs alone. */
export function zipCode(bundleFile?: string): lambda.Code {
  const file = checkedBundle(bundleFile);
  if (!file.endsWith("/index.mjs") && !file.endsWith("\\index.mjs")) {
    throw new ConfigError(
      `function.bundleFile ${file}: the handler is ${LAMBDA_HANDLER}, so the file must be named index.mjs`,
    );
  }
  // The bundle's folder also holds the compiled modules of an installed
  // package: only index.mjs goes into the zip.
  return lambda.Code.fromAsset(dirname(file), {
    exclude: ["*", "!index.mjs"],
    ignoreMode: IgnoreMode.DOCKER,
  });
}

/**
 * The image of lambda/Dockerfile, built from the package root as the README
 * says (`docker build -f lambda/Dockerfile .`); only the Dockerfile and the
 * bundle are in the build context.
 */
export function imageCode(bundleFile?: string): lambda.DockerImageCode {
  const file = checkedBundle(bundleFile);
  if (file !== DEFAULT_BUNDLE) {
    throw new ConfigError(
      "function.bundleFile: the container image is built from lambda/Dockerfile, which copies dist/lambda/index.mjs; leave bundleFile out with package: container",
    );
  }
  if (!existsSync(DOCKERFILE)) {
    throw new ConfigError(`${DOCKERFILE} is missing: reinstall dynacrate`);
  }
  const bundle = relative(PACKAGE_ROOT, file).split("\\").join("/");
  return lambda.DockerImageCode.fromImageAsset(PACKAGE_ROOT, {
    file: "lambda/Dockerfile",
    exclude: ["*", "!lambda/Dockerfile", `!${bundle}`],
    ignoreMode: IgnoreMode.DOCKER,
  });
}
