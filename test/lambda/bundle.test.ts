// The deployable artefacts: `npm run build:lambda` makes ONE file,
// dist/lambda/index.mjs, which a fresh process of the Lambda runtime's Node.js
// release (node_modules/node, from the lock file) loads and invokes against a
// live PostgreSQL, as the Lambda runtime would (`index.handler`).
// The container image itself is NOT built here: there is no Docker engine on
// these machines, so the test checks that the Dockerfile's inputs exist.

import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAMBDA_NODE_MAJOR } from "../../src/node-versions.ts";
import { startFakeCrateDb } from "../support/fake-cratedb.ts";
import { BASE_MILLIS, kinesisDynamoRecord, lambdaKinesisEvent } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUNDLE = join(ROOT, "dist", "lambda", "index.mjs");

/** The Lambda runtime's Node.js: this process's where it is that release, else the lock file's. */
const LAMBDA_NODE =
  Number(process.versions.node.split(".")[0]) === LAMBDA_NODE_MAJOR
    ? process.execPath
    : join(ROOT, "node_modules", "node", "bin", "node");
const haveLambdaNode = existsSync(LAMBDA_NODE);
if (!haveLambdaNode) {
  console.log(
    `bundle.test.ts: the bundle's runs are skipped: no Node.js ${LAMBDA_NODE_MAJOR} here (this is ${process.version}; npm ci installs it as node_modules/node on Linux x64 only)`,
  );
}

let target: PgTarget;
let buildOutput: string;
beforeAll(async () => {
  target = await pgTarget();
  buildOutput = (await run("npm", ["run", "--silent", "build:lambda"], { cwd: ROOT })).stdout;
}, 60_000);
afterAll(async () => {
  await target?.close();
});

/** Loads the bundle in a fresh Node.js process with only `env`, invokes it once with `event`. */
async function invokeBundle(env: Record<string, string>, event: unknown) {
  const script = `
    process.stderr.write("NODE " + process.version + "\\n");
    const event = JSON.parse(process.env.TEST_EVENT);
    delete process.env.TEST_EVENT;
    import(${JSON.stringify(BUNDLE)})
      .then((m) => m.handler(event, { awsRequestId: "bundle-test" }))
      .then((response) => process.stderr.write("RESPONSE " + JSON.stringify(response) + "\\n"))
      .then(() => process.exit(0), (error) => { process.stderr.write("ERROR " + error.message + "\\n"); process.exit(1); });`;
  // A working directory outside the project, so nothing resolves from it by accident.
  const { stdout, stderr } = await run(LAMBDA_NODE, ["--input-type=module", "-e", script], {
    cwd: dirname(BUNDLE),
    env: { PATH: process.env.PATH ?? "", TEST_EVENT: JSON.stringify(event), ...env },
  });
  expect(/^NODE (.*)$/m.exec(stderr)?.[1]).toMatch(new RegExp(`^v${LAMBDA_NODE_MAJOR}\\.`));
  const response = /^RESPONSE (.*)$/m.exec(stderr)?.[1];
  return { response: response ? JSON.parse(response) : undefined, stdout, stderr };
}

describe("npm run build:lambda", () => {
  it("writes one ES module under 1 MB and prints its size in KB", () => {
    expect(existsSync(BUNDLE)).toBe(true);
    expect(statSync(BUNDLE).size).toBeLessThan(1024 * 1024);
    expect(buildOutput).toMatch(/index\.mjs: \d+(\.\d+)? KB/);
    const text = readFileSync(BUNDLE, "utf8");
    // The AWS SDK stays external (the runtime has it); nothing else is imported from outside.
    const imports = [
      ...[
        ...text.matchAll(/\bimport\s*(?:\{[^}]*\}|[\w$]+|\*\s*as\s+[\w$]+)\s*from\s*"([^"]+)"/g),
      ].map((m) => m[1]),
      ...[...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]),
    ];
    expect(imports).toEqual(
      expect.arrayContaining([
        "node:module",
        "@aws-sdk/client-sqs",
        "@aws-sdk/client-secrets-manager",
      ]),
    );
    for (const name of imports) expect(name, name).toMatch(/^(node:|@aws-sdk\/)/);
  });

  it.runIf(haveLambdaNode)(
    "a fresh process of the Lambda runtime's Node.js loads it and applies a batch to PostgreSQL",
    async () => {
      const table = target.table("bundle");
      const event = lambdaKinesisEvent([
        kinesisDynamoRecord({
          keys: { id: { S: "b1" } },
          newImage: { id: { S: "b1" }, qty: { N: "3" } },
          millis: BASE_MILLIS,
        }),
        kinesisDynamoRecord({
          keys: { id: { S: "b2" } },
          newImage: { id: { S: "b2" }, qty: { N: "abc" } },
          millis: BASE_MILLIS + 1,
        }),
      ]);
      const { response, stdout } = await invokeBundle(
        { TARGET_URL: target.url, TARGET_TABLE: table.name },
        event,
      );
      expect(response).toEqual({
        batchItemFailures: [{ itemIdentifier: event.Records[1]?.kinesis.sequenceNumber }],
      });
      expect(await target.live(table)).toEqual(new Map([["b1", { qty: 3 }]]));
      // Its stdout is JSON lines only: logs and the metrics line.
      const lines = stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      expect(lines.some((l) => l.msg === "batch" && l.records === 2 && l.applied === 1)).toBe(true);
      expect(lines.some((l) => l._aws?.CloudWatchMetrics?.[0]?.Namespace === "dynacrate")).toBe(
        true,
      );
    },
  );

  it.runIf(haveLambdaNode)(
    "with a crate:// URL it loads the CrateDB sink on demand and writes through it",
    async () => {
      const crate = await startFakeCrateDb();
      try {
        const event = lambdaKinesisEvent([
          kinesisDynamoRecord({
            keys: { id: { S: "c1" } },
            newImage: { id: { S: "c1" }, qty: { N: "3" } },
            millis: BASE_MILLIS,
          }),
        ]);
        const { response } = await invokeBundle(
          {
            CRATEDB_SQLALCHEMY_URL: `crate://127.0.0.1:${new URL(crate.url).port}`,
            CRATEDB_TABLE: "bundle_crate",
          },
          event,
        );
        expect(response).toEqual({ batchItemFailures: [] });
        const state = [...crate.tables.keys()].find((name) => name.endsWith("bundle_crate__state"));
        expect(crate.row(state as string, { id: "c1" })?.data).toEqual({ qty: 3 });
      } finally {
        await crate.close();
      }
    },
  );

  it.runIf(haveLambdaNode)(
    "a bad configuration fails the invocation with every problem listed",
    async () => {
      await expect(
        invokeBundle({ NUMBER_FORMAT: "float" }, lambdaKinesisEvent([])),
      ).rejects.toMatchObject({
        stderr: expect.stringMatching(new RegExp(`^NODE v${LAMBDA_NODE_MAJOR}\\.[^]*3 problems`)),
      });
    },
  );
});

describe("lambda/Dockerfile", () => {
  it("its inputs exist (the image itself is not built: no Docker engine here)", () => {
    const dockerfile = readFileSync(join(ROOT, "lambda", "Dockerfile"), "utf8");
    const instructions = dockerfile
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"));
    // The same Node.js major as the zip function's runtime (src/node-versions.ts).
    expect(instructions[0]).toBe(`FROM public.ecr.aws/lambda/nodejs:${LAMBDA_NODE_MAJOR}`);
    const copies = instructions.filter((line) => line.startsWith("COPY "));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own variable, compared as text
    expect(copies).toEqual(["COPY dist/lambda/index.mjs ${LAMBDA_TASK_ROOT}/"]);
    for (const copy of copies)
      expect(existsSync(join(ROOT, copy.split(/\s+/)[1] as string))).toBe(true);
    expect(instructions.at(-1)).toBe('CMD ["index.handler"]');
  });
});
