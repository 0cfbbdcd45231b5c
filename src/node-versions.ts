// The Node.js releases dynacrate runs on, in one place. package.json's engines,
// the runtimes CI installs from the lock file (.ci/node/package.json), the
// Lambda runtime of the construct and of lambda/Dockerfile, and the README name
// these; test/structure/node-versions.test.ts checks that they agree.

/**
 * Each supported release line, with the oldest release of it that the
 * dependencies accept (Vite 8: ^20.19.0 || >=22.12.0). CI runs the unit tests
 * on the newest release of every line, and the whole suite on the Lambda one.
 * Node.js 20 is past its end of life (April 2026) and stays while it costs
 * nothing: the AWS SDK's releases from January 2027 need Node.js 22.
 */
export const SUPPORTED_NODE = [
  { major: 20, oldest: "20.19.0" },
  { major: 22, oldest: "22.12.0" },
  { major: 24, oldest: "24.0.0" },
] as const;

/** The AWS Lambda runtime's release: the zip function's `nodejs24.x` and the container image's base. */
export const LAMBDA_NODE_MAJOR = 24;

/** package.json's `engines.node`: the supported lines and nothing between them. */
export function nodeEngines(): string {
  return SUPPORTED_NODE.map(({ oldest }) => `^${oldest}`).join(" || ");
}
