// Bundles the Lambda handler into ONE file, dist/lambda/index.mjs (ESM, for
// the Lambda runtime's Node.js release), for a zip deployment or the container
// image in lambda/.
// Run: npm run build:lambda
//
// Left out of the bundle: the AWS SDK v3 (`@aws-sdk/*`, `@smithy/*`), which
// the Node.js Lambda runtime and its base image already hold, and `pg-native`,
// which pg only tries to load when asked for (it is not used).

import { statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { LAMBDA_NODE_MAJOR } from "../src/node-versions.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const LAMBDA_BUNDLE = join(ROOT, "dist", "lambda", "index.mjs");

export interface LambdaBundle {
  file: string;
  bytes: number;
  /** Input file -> bytes it contributes to the bundle, largest first. */
  inputs: Array<[string, number]>;
}

export async function buildLambda(): Promise<LambdaBundle> {
  const result = await build({
    entryPoints: [join(ROOT, "src", "lambda", "handler.ts")],
    outfile: LAMBDA_BUNDLE,
    bundle: true,
    format: "esm",
    platform: "node",
    target: `node${LAMBDA_NODE_MAJOR}`,
    minify: true,
    metafile: true,
    logLevel: "warning",
    external: ["@aws-sdk/*", "@smithy/*", "pg-native"],
    // pg and its dependencies are CommonJS and `require` Node's own modules;
    // an ES module has no `require`, so the bundle makes one.
    banner: {
      js: 'import{createRequire as __dynacrateRequire}from"node:module";const require=__dynacrateRequire(import.meta.url);',
    },
  });
  const output = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(output?.inputs ?? {})
    .map(([name, info]): [string, number] => [name, info.bytesInOutput])
    .sort((a, b) => b[1] - a[1]);
  return { file: LAMBDA_BUNDLE, bytes: statSync(LAMBDA_BUNDLE).size, inputs };
}

/** Bytes grouped by npm package (or `dynacrate` for the project's own code). */
export function byPackage(inputs: Array<[string, number]>): Array<[string, number]> {
  const sizes = new Map<string, number>();
  for (const [name, bytes] of inputs) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(name);
    const key = match ? (match[1] as string) : "dynacrate";
    sizes.set(key, (sizes.get(key) ?? 0) + bytes);
  }
  return [...sizes].sort((a, b) => b[1] - a[1]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bundle = await buildLambda();
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  process.stdout.write(`${relative(process.cwd(), bundle.file)}: ${kb(bundle.bytes)}\n`);
  for (const [name, bytes] of byPackage(bundle.inputs).slice(0, 8)) {
    process.stdout.write(`  ${name.padEnd(24)} ${kb(bytes)}\n`);
  }
}
