// The AWS CDK libraries are optional peer dependencies: users who only run
// replay, relay or the Lambda handler never install them. The commands that
// need them load them here, on demand, and say how to install them when
// they are missing.

import { ConfigError } from "../errors.ts";

/** The packages (and the versions this release is tested with) each command needs. */
export const CDK_PACKAGES = {
  "aws-cdk-lib": "2.276.0",
  constructs: "10.8.1",
  "@aws-cdk/toolkit-lib": "1.43.0",
} as const;

type CdkPackage = keyof typeof CDK_PACKAGES;

/** Throws a ConfigError naming the npm install command when any of `packages` is not installed. */
export async function requirePackages(
  command: string,
  packages: readonly CdkPackage[],
): Promise<void> {
  const missing: CdkPackage[] = [];
  for (const name of packages) {
    try {
      await import(name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw error;
      missing.push(name);
    }
  }
  if (missing.length === 0) return;
  const install = packages.map((name) => `${name}@${CDK_PACKAGES[name]}`).join(" ");
  throw new ConfigError(
    `dynacrate ${command} needs the AWS CDK libraries, which are not installed (${missing.join(", ")} missing): run npm install ${install}`,
  );
}
