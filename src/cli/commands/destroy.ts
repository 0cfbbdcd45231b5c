// The `destroy` command line: deletes the pipeline's stack. What holds data
// (table, stream, queues, secret, logs) is kept unless the configuration says
// dataRemoval: destroy.

import { requirePackages } from "../../infra/load-cdk.ts";
import { pipeCommand } from "../pipe-command.ts";

export const usage = `dynacrate destroy --config FILE

Deletes the CloudFormation stack <project>-<stage> of the pipeline FILE
describes, with the AWS credentials of the environment. The DynamoDB table,
the Kinesis stream, the queues, the secret and the logs are kept (and left
out of the stack) unless FILE sets dataRemoval: destroy.

  --config FILE   the pipeline's YAML configuration
`;

export async function run(argv: string[]): Promise<number> {
  const command = pipeCommand(argv, usage, {});
  if (!command) return 0;
  await requirePackages("destroy", ["aws-cdk-lib", "constructs", "@aws-cdk/toolkit-lib"]);
  const { destroyPipe } = await import("../../infra/toolkit.ts");
  await destroyPipe(command.config);
  process.stdout.write(`destroyed stack ${command.config.stackName}\n`);
  return 0;
}
