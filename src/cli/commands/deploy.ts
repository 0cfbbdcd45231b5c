// The `deploy` command line: synthesizes the pipeline and deploys it with the
// user's AWS credentials through the CDK toolkit library.

import { requirePackages } from "../../infra/load-cdk.ts";
import { pipeCommand } from "../pipe-command.ts";

export const usage = `dynacrate deploy --config FILE [--bootstrap]

Deploys the pipeline FILE describes as the CloudFormation stack
<project>-<stage>, with the AWS credentials of the environment (AWS_PROFILE,
AWS_ACCESS_KEY_ID, SSO, ...). Then put the database URL into the secret named
by the SecretArn output. The container variant (function.package: container)
needs a Docker engine.

  --config FILE   the pipeline's YAML configuration
  --bootstrap     first create CDK's asset bucket and roles (the CDKToolkit
                  stack) in the account and Region; needed once per Region
`;

export async function run(argv: string[]): Promise<number> {
  const command = pipeCommand(argv, usage, { bootstrap: { type: "boolean" } });
  if (!command) return 0;
  await requirePackages("deploy", ["aws-cdk-lib", "constructs", "@aws-cdk/toolkit-lib"]);
  const { deployPipe } = await import("../../infra/toolkit.ts");
  await deployPipe(command.config, { bootstrap: command.values.bootstrap === true });
  process.stdout.write(`deployed stack ${command.config.stackName}\n`);
  return 0;
}
