// What can be checked of the relay's service files without a Docker engine or
// a cluster: relay/Dockerfile installs the package's own version and starts
// its bin with Node as PID 1 as an unprivileged user; the Kubernetes example
// runs two replicas with --standby, takes the target URL from a Secret, and
// probes paths the relay serves on the port it serves them on; the Grafana
// dashboard's queries name only metrics /metrics serves.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectDefaultMetrics, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { usage as relayUsage } from "../../src/cli/commands/relay.ts";
import { loadMetrics } from "../../src/metrics/load-metrics.ts";
import { relayMetrics } from "../../src/metrics/relay-metrics.ts";
import { serveMetrics } from "../../src/metrics/server.ts";
import { SUPPORTED_NODE } from "../../src/node-versions.ts";
import { RelayTally } from "../../src/relay/relay-tally.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  version: string;
  bin: Record<string, string>;
  files: string[];
};

/** The Dockerfile's instructions, continuation lines joined. */
function instructions(text: string): Array<[string, string]> {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"))
    .map((line) => {
      const [word, ...rest] = line.trim().split(/\s+/);
      return [(word as string).toUpperCase(), rest.join(" ")];
    });
}

describe("relay/Dockerfile", () => {
  const steps = instructions(read("relay/Dockerfile"));
  const all = (name: string) => steps.filter(([n]) => n === name).map(([, v]) => v);

  it("installs the package's own version, from a Node.js image the package supports", () => {
    expect(all("ARG")).toContain(`DYNACRATE_VERSION=${pkg.version}`);
    expect(all("RUN").join(" ")).toMatch(
      /npm install --global .*"dynacrate@\$\{DYNACRATE_VERSION\}"/,
    );
    const node = /^NODE_VERSION=(\d+)$/.exec(all("ARG")[0] ?? "")?.[1];
    expect(all("FROM")[0]).toMatch(/^node:\$\{NODE_VERSION\}-/);
    expect(SUPPORTED_NODE.map(({ major }) => major)).toContain(Number(node));
  });

  it("runs as an unprivileged user, Node as PID 1 on the package's bin, the metrics port exposed", () => {
    const user = all("USER").at(-1);
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    // The exec form: no shell in between, so SIGTERM reaches Node (src/stop-signals.ts listens).
    const entrypoint = JSON.parse(all("ENTRYPOINT")[0] as string) as string[];
    expect(entrypoint[0]).toBe("node");
    expect(entrypoint.at(-1)).toBe(`/usr/local/lib/node_modules/dynacrate/${pkg.bin.dynacrate}`);
    expect(pkg.files).toContain("bin");
    const signals = read("src/stop-signals.ts");
    expect(signals).toMatch(/SIGNALS: NodeJS\.Signals\[\] = \["SIGINT", "SIGTERM"\]/);
    expect(signals).toMatch(/for \(const name of SIGNALS\) process\.once\(name, handle\)/);
    const port = /DYNACRATE_METRICS_PORT=(\d+)/.exec(all("ENV").join(" "))?.[1];
    expect(all("EXPOSE")).toEqual([port]);
  });
});

describe("examples/kubernetes/relay.yaml", () => {
  const deployment = parseYaml(read("examples/kubernetes/relay.yaml")) as {
    kind: string;
    spec: {
      replicas: number;
      template: {
        spec: {
          containers: Array<{
            args: string[];
            env: Array<{
              name: string;
              valueFrom?: { secretKeyRef?: { name: string; key: string } };
            }>;
            ports: Array<{ name: string; containerPort: number }>;
            livenessProbe: { httpGet: { path: string; port: string | number } };
            readinessProbe: { httpGet: { path: string; port: string | number } };
          }>;
        };
      };
    };
  };
  const [container] = deployment.spec.template.spec.containers;
  if (!container) throw new Error("the example has no container");

  it("runs two replicas of the relay with --standby, every option one the relay takes", () => {
    expect(deployment.kind).toBe("Deployment");
    expect(deployment.spec.replicas).toBe(2);
    expect(container.args[0]).toBe("relay");
    expect(container.args).toContain("--standby");
    for (const option of container.args.filter((a) => a.startsWith("--")))
      expect(relayUsage).toContain(`  ${option} `);
  });

  it("takes the target URL from a Secret", () => {
    const target = container.env.find((e) => e.name === "TARGET_URL");
    expect(target?.valueFrom?.secretKeyRef).toEqual({ name: "dynacrate-target", key: "url" });
    expect(container.args).not.toContain("--target");
  });

  it("probes paths the relay serves, on the port it serves them on", async () => {
    const port = Number(container.args[container.args.indexOf("--metrics-port") + 1]);
    const named = new Map(container.ports.map((p) => [p.name, p.containerPort]));
    const server = await serveMetrics(0, "127.0.0.1", {
      registry: new Registry(),
      health: () => ({ ok: true }),
      ready: async () => ({ ok: true }),
    });
    try {
      for (const probe of [container.livenessProbe, container.readinessProbe]) {
        const { path, port: probePort } = probe.httpGet;
        expect(typeof probePort === "string" ? named.get(probePort) : probePort).toBe(port);
        expect((await fetch(`${server.url}${path}`)).status).toBe(200);
      }
      expect(container.livenessProbe.httpGet.path).toBe("/healthz");
      expect(container.readinessProbe.httpGet.path).toBe("/ready");
    } finally {
      await server.close();
    }
  });
});

describe("examples/grafana/dynacrate-relay.json", () => {
  it("queries only metrics that /metrics serves", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    relayMetrics(registry, new RelayTally());
    loadMetrics(registry, 60_000);
    const served = new Set<string>();
    for (const m of await registry.getMetricsAsJSON()) {
      served.add(m.name);
      if (String(m.type) === "histogram")
        for (const suffix of ["_bucket", "_count", "_sum"]) served.add(`${m.name}${suffix}`);
    }
    const dashboard = JSON.parse(read("examples/grafana/dynacrate-relay.json")) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const named = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        [...t.expr.matchAll(/\b(?:dynacrate|process|nodejs)_\w+/g)].map((m) => m[0]),
      ),
    );
    expect(named.length).toBeGreaterThan(15);
    expect(named.filter((name) => !served.has(name))).toEqual([]);
    // Every relay metric has a panel.
    const relayOnly = new Registry();
    relayMetrics(relayOnly, new RelayTally());
    const shown = new Set(named.map((n) => n.replace(/_(bucket|count|sum)$/, "")));
    const missing = (await relayOnly.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((n) => !shown.has(n));
    expect(missing).toEqual([]);
  });
});
