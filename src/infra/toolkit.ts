// `dynacrate deploy` and `dynacrate destroy`: the same app as `synth`,
// deployed or destroyed with the user's AWS credentials through the CDK
// toolkit library (@aws-cdk/toolkit-lib), not a globally installed CLI.
// What can be known before talking to CloudFormation is checked first (a
// Docker engine for the container image, credentials), and every failure ends
// in one DeployError whose message says what to do.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IIoHost, IoMessage, IoRequest } from "@aws-cdk/toolkit-lib";
import { DynacrateError } from "../errors.ts";
import { prepareBundle, synthesize } from "./pipe-app.ts";
import type { PipeConfig } from "./pipe-config.ts";

/** A deployment that did not happen or did not finish; the message says why and what to do. */
export class DeployError extends DynacrateError {
  override name = "DeployError";
}

export interface ToolkitRunOptions {
  /** Where progress lines go (stderr by default). */
  write?: (line: string) => void;
  /** Bootstrap the account and Region (the CDKToolkit stack holding assets) before deploying. */
  bootstrap?: boolean;
}

/** Prints the toolkit's messages of level info and above, one line each, and answers its questions with their defaults. */
class LineIoHost implements IIoHost {
  readonly errors: string[] = [];
  readonly debug: string[] = [];
  constructor(private readonly write: (line: string) => void) {}

  async notify(msg: IoMessage<unknown>): Promise<void> {
    const text = msg.message.trim();
    if (text === "") return;
    // Debug lines are not shown, but kept: the cause of a failure (a refused
    // connection behind "Unable to resolve AWS account") is often only there.
    if (msg.level === "debug" || msg.level === "trace") {
      this.debug.push(text);
      if (this.debug.length > 200) this.debug.shift();
      return;
    }
    if (msg.level === "error") this.errors.push(text);
    this.write(text);
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    return msg.defaultResponse;
  }
}

/** Whether a Docker engine answers; the container variant needs one to build its image. */
export async function dockerProblem(): Promise<string | undefined> {
  const docker = process.env.CDK_DOCKER ?? "docker";
  return new Promise((resolve) => {
    execFile(
      docker,
      ["version", "--format", "{{.Server.Version}}"],
      { timeout: 15_000 },
      (error, stdout, stderr) => {
        if (!error) return resolve(undefined);
        const e = error as NodeJS.ErrnoException;
        resolve(
          e.code === "ENOENT"
            ? `${docker} is not installed`
            : `${docker} does not reach a Docker engine (${(stderr || stdout || e.message).trim().split("\n")[0]})`,
        );
      },
    );
  });
}

export async function deployPipe(
  config: PipeConfig,
  options: ToolkitRunOptions = {},
): Promise<void> {
  if (config.props.function?.package === "container") {
    const problem = await dockerProblem();
    if (problem) {
      throw new DeployError(
        `function.package is container, which builds the image of lambda/Dockerfile with Docker and pushes it to ECR, but ${problem}. Start Docker (or set CDK_DOCKER to a compatible command, e.g. finch), or deploy the zip bundle with function.package: zip`,
      );
    }
  }
  await run(config, options, "deploy");
}

export async function destroyPipe(
  config: PipeConfig,
  options: ToolkitRunOptions = {},
): Promise<void> {
  await run(config, options, "destroy");
}

async function run(config: PipeConfig, options: ToolkitRunOptions, action: "deploy" | "destroy") {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const toolkitLib = await import("@aws-cdk/toolkit-lib");
  const io = new LineIoHost(write);
  const toolkit = new toolkitLib.Toolkit({ ioHost: io, color: false, emojis: false });
  await prepareBundle(config);
  const outdir = mkdtempSync(join(tmpdir(), "dynacrate-cdk-"));
  try {
    const cx = await toolkit.fromAssemblyBuilder(async () => synthesize(config, outdir).assembly, {
      outdir,
      disposeOutdir: false,
    });
    const stacks = { strategy: toolkitLib.StackSelectionStrategy.ALL_STACKS };
    if (action === "deploy") {
      if (options.bootstrap) {
        await toolkit.bootstrap(toolkitLib.BootstrapEnvironments.fromCloudAssemblySource(cx));
      }
      await toolkit.deploy(cx, { stacks });
    } else {
      await toolkit.destroy(cx, { stacks });
    }
  } catch (error) {
    throw explain(error, config, action, [...io.errors, ...io.debug]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** One message for what went wrong, with the fix where it is known. */
export function explain(
  error: unknown,
  config: PipeConfig,
  action: "deploy" | "destroy",
  reported: readonly string[] = [],
): DeployError {
  if (error instanceof DeployError) return error;
  const e = error as { name?: string; message?: string };
  const message = e.message ?? String(error);
  const text = [message, ...reported].join("\n");
  const network = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|socket hang up/.exec(text);
  let advice: string;
  if (network) {
    // Checked first: without a connection, the toolkit only says it could not resolve the account.
    const line = text.split("\n").find((l) => l.includes(network[0])) ?? network[0];
    advice = `AWS could not be reached (${firstLine(line)}); check the network, a proxy, or AWS_ENDPOINT_URL if you set one`;
  } else if (
    e.name === "AuthenticationError" ||
    /Unable to resolve AWS account|credentials|Need to perform AWS calls|security token|ExpiredToken|InvalidClientTokenId|SignatureDoesNotMatch/i.test(
      text,
    )
  ) {
    advice =
      "no usable AWS credentials: sign in (aws sso login, or aws configure) or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and AWS_REGION";
  } else if (/bootstrap|CDKToolkit/i.test(message)) {
    advice = `the account and Region are not bootstrapped for CDK deployments (no CDKToolkit stack): run dynacrate deploy --bootstrap once (${firstLine(message)})`;
  } else if (/docker/i.test(message)) {
    advice = `the container image could not be built (${firstLine(message)}); start Docker, or use function.package: zip`;
  } else {
    advice = firstLine(message);
  }
  return new DeployError(`${action} of stack ${config.stackName} failed: ${advice}`, {
    cause: error,
  });
}

function firstLine(text: string): string {
  return (text.split("\n").find((l) => l.trim() !== "") ?? text).trim().slice(0, 500);
}
