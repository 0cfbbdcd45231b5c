// `dynacrate synth | deploy | destroy` as a user runs them, in child
// processes: synth writes the template of the example offline; a bad
// configuration, missing credentials, an AWS endpoint that refuses, and the
// container variant without a Docker engine each end in one clear message and
// a non-zero exit, without a stack trace. (No AWS emulator that takes a
// CloudFormation deployment installs here, so a deployment that succeeds is
// not tested.)

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXAMPLE } from "./variants.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const BIN = join(ROOT, "bin", "dynacrate.js");
const work = mkdtempSync(join(tmpdir(), "dynacrate-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command with only `env` (no AWS settings of this machine leak in). */
function dynacrate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: work,
        timeout: 120_000,
        env: {
          PATH: process.env.PATH ?? "",
          // An empty home: no ~/.aws credentials or config.
          HOME: work,
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          ...env,
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A port on loopback where nothing listens: connections to it are refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function expectOneClearFailure(run: Run, message: RegExp): void {
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr.match(/^dynacrate \w+: /gm)).toHaveLength(1);
}

describe("dynacrate synth", () => {
  it("writes the example's template offline, lists its resources, and says that --validate passed", async () => {
    const out = join(work, "cdk.out");
    const run = await dynacrate(["synth", "--config", EXAMPLE, "--out", out, "--validate"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^wrote cdk\.out\/testdrive-dynamodb-dev\.template\.json: stack testdrive-dynamodb-dev, 19 resources, in \d+\.\d s\n/,
    );
    expect(run.stdout).toContain("  AWS::Lambda::EventSourceMapping\n");
    expect(run.stdout).toContain("  AWS::CloudWatch::Alarm x6\n");
    expect(run.stdout).toMatch(
      /\nvalidated: the CloudFormation validator found no problem in the template\n$/,
    );
    const template = JSON.parse(
      readFileSync(join(out, "testdrive-dynamodb-dev.template.json"), "utf8"),
    ) as { Resources: Record<string, { Type: string }> };
    expect(Object.keys(template.Resources)).toHaveLength(19);
    // The zip asset holds the bundle, and only the bundle.
    const assets = JSON.parse(
      readFileSync(join(out, "testdrive-dynamodb-dev.assets.json"), "utf8"),
    ) as { files: Record<string, { source: { path: string } }> };
    const zip = Object.values(assets.files).find((f) => f.source.path.startsWith("asset."));
    expect(zip).toBeDefined();
    expect(existsSync(join(out, zip?.source.path ?? "", "index.mjs"))).toBe(true);
  });

  it("a bad configuration: one message naming the key, exit 2, no stack trace", async () => {
    const file = join(work, "bad.yaml");
    writeFileSync(
      file,
      "project: p\nstage: s\ntable: { partitionKey: { name: id, type: S } }\ntarget: { table: t }\nmapping: { batchsize: 10 }\n",
    );
    const run = await dynacrate(["synth", "--config", file]);
    expect(run.code).toBe(2);
    expectOneClearFailure(run, /mapping\.batchsize: unknown key; did you mean batchSize\?/);
  });

  it("no --config: says what to give", async () => {
    const run = await dynacrate(["synth"]);
    expectOneClearFailure(run, /--config is required: the pipeline's YAML file/);
  });
});

describe.concurrent("dynacrate deploy and destroy without AWS", () => {
  it("without credentials: says how to sign in", async () => {
    const run = await dynacrate(["deploy", "--config", EXAMPLE]);
    expectOneClearFailure(
      run,
      /dynacrate deploy: deploy of stack testdrive-dynamodb-dev failed: no usable AWS credentials: sign in/,
    );
  });

  it("with credentials for an endpoint on loopback that refuses: says AWS could not be reached", async () => {
    const port = await refusedPort();
    const env = {
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_REGION: "eu-central-1",
      AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    };
    const run = await dynacrate(["destroy", "--config", EXAMPLE], env);
    expectOneClearFailure(
      run,
      new RegExp(
        `dynacrate destroy: destroy of stack testdrive-dynamodb-dev failed: AWS could not be reached \\(.*ECONNREFUSED 127\\.0\\.0\\.1:${port}`,
      ),
    );
    expect(run.stderr).not.toContain(env.AWS_SECRET_ACCESS_KEY);
  });

  it("the container variant without a Docker engine: stops before anything else, naming both ways out", async () => {
    const file = join(work, "container.yaml");
    writeFileSync(
      file,
      readFileSync(EXAMPLE, "utf8").replace(/package: zip.*/, "package: container"),
    );
    // A Docker command that is not there (this machine has a docker client but no engine).
    const run = await dynacrate(["deploy", "--config", file], {
      CDK_DOCKER: join(work, "no-docker-here"),
    });
    expectOneClearFailure(
      run,
      /function\.package is container, which builds the image of lambda\/Dockerfile with Docker .* is not installed\. Start Docker .* or deploy the zip bundle with function\.package: zip/,
    );
    expect(run.stderr).not.toMatch(/Synthesis time/);
  });
});
