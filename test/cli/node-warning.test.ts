// The AWS SDK's nine-line notice that its later releases will need Node 22
// (NodeVersionSupportWarning) is not printed when relay, load or verify start
// on Node 20, while every other warning still is; on Node 22 and later the SDK
// has no notice to print. Each command runs as a child process until it has
// built its AWS client and fails on a sink that refuses connections. In the
// unit project, so that CI runs it on every supported release.

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const BIN = new URL("../../bin/dynacrate.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "dynacrate-node-warning-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Loaded before the command: another warning, which must still reach the user.
const OTHER_WARNING = join(dir, "other-warning.mjs");
writeFileSync(OTHER_WARNING, 'process.emitWarning("a warning of another kind");\n');

/** stderr of the command, with the SDK's switch as given (undefined: not set at all). */
async function stderrOf(args: string[], sdkSwitch: string | undefined): Promise<string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: `--import=${OTHER_WARNING}`,
    // Refused at once: the command fails after it has built its AWS client.
    TARGET_URL: "postgres://u@127.0.0.1:9/db",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: sdkSwitch,
  };
  // The test runner sets the switch for its own processes; a user's shell does not.
  if (sdkSwitch === undefined) delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  try {
    await run(process.execPath, [BIN, ...args], { env, timeout: 60_000 });
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error(`dynacrate ${args[0]} succeeded against a sink that refuses connections`);
}

const AWS = ["--endpoint", "http://127.0.0.1:9", "--region", "us-east-1", "--table", "t"];

const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

describe(`the AWS SDK's Node-version notice, on Node.js ${NODE_MAJOR}`, () => {
  if (NODE_MAJOR < 22) {
    it.each([
      ["relay", "kinesis://s"],
      ["load", "dynamodb://t"],
      ["verify", "dynamodb://t"],
    ])("is not printed at %s's start; other warnings are", async (command, source) => {
      const stderr = await stderrOf([command, "--source", source, ...AWS], undefined);
      expect(stderr).not.toMatch(/NodeVersionSupportWarning|upgrade to node/);
      expect(stderr).toMatch(/Warning: a warning of another kind/);
      expect(stderr).toMatch(new RegExp(`^dynacrate ${command}: `, "m"));
    });

    it("is printed when the user asks for it with the SDK's own switch", async () => {
      const stderr = await stderrOf(["relay", "--source", "kinesis://s", ...AWS], "false");
      expect(stderr).toMatch(/NodeVersionSupportWarning: .*\n.*\nwill require node >=22/);
    });
  } else {
    // The SDK has no notice for the releases it keeps: the switch has nothing to hide here.
    it("is not printed even when the user asks for it with the SDK's own switch", async () => {
      const stderr = await stderrOf(["relay", "--source", "kinesis://s", ...AWS], "false");
      expect(stderr).not.toMatch(/NodeVersionSupportWarning|upgrade to node/);
      expect(stderr).toMatch(/Warning: a warning of another kind/);
      expect(stderr).toMatch(/^dynacrate relay: /m);
    });
  }
});
