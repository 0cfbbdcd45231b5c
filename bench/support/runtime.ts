// The line every benchmark prints first: the Node.js release it runs on (and
// the platform), because figures from one release do not carry over to
// another. `npm run bench:*` in a clone runs on node_modules/node, the Lambda
// runtime's release (src/node-versions.ts), where npm ci installed it.

import { arch, platform } from "node:process";
import { LAMBDA_NODE_MAJOR } from "../../src/node-versions.ts";

export function printRuntime(): void {
  const major = Number(process.versions.node.split(".")[0]);
  const note =
    major === LAMBDA_NODE_MAJOR
      ? "the Lambda runtime's release"
      : `the Lambda runtime has Node.js ${LAMBDA_NODE_MAJOR}`;
  console.log(`node ${process.version} (${platform} ${arch}; ${note})`);
}
