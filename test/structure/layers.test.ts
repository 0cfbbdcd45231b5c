// The folders of src/ are the architecture, and imports only point down: the
// codec knows no sink, the SQL layer no pipeline, sinks no Lambda; the jobs
// (relay, replay, load, verify) are loops over the pipeline that know nothing
// of the command line; nothing but the command line uses the local stack.
// This pins who may import whom, folder by folder (files at the root of src/,
// such as errors.ts, are for everyone).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/", import.meta.url));

const CORE = ["codec", "sql", "sink", "pipeline", "routing", "dead-letter"];
const JOBS = ["source", "relay", "replay", "load", "verify"];
/** For each folder of src/, the folders its files may import from. */
const MAY_IMPORT: Record<string, string[]> = {
  codec: [],
  sql: ["codec"],
  sink: ["codec", "sql"],
  pipeline: ["codec", "sql", "sink"],
  routing: ["codec", "sql", "sink", "pipeline"],
  "dead-letter": ["codec", "sql", "sink", "pipeline"],
  source: ["codec"],
  relay: [...CORE, "source"],
  replay: [...CORE, "source"],
  load: [...CORE, "source", "relay"],
  verify: [...CORE, "source"],
  lambda: [...CORE, "source", "relay"],
  infra: [...CORE, "lambda"],
  metrics: [...CORE, "source", "relay", "load"],
  local: [...CORE, ...JOBS],
  cli: [...CORE, ...JOBS, "lambda", "infra", "local", "metrics"],
};

/** For each folder of src/local/, the folders of src/local/ its files may import from. */
const LOCAL_MAY_IMPORT: Record<string, string[]> = {
  services: ["bridge"],
  bridge: [],
  demo: ["services", "verification"],
  verification: [],
};

/**
 * Every `from "..."`, `import "..."` and `import("...")` of a file (a path under src/), as
 * the folder of `base` (src/ or a folder in it) it points into.
 */
function importedFolders(file: string, base = ""): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const from = join(root, base, "/");
  const folders = new Set<string>();
  for (const match of text.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*"(\.{1,2}\/[^"]+)"/g)) {
    const target = join(root, file, "..", match[1] as string);
    if (!target.startsWith(from)) continue;
    const parts = target.slice(from.length).split("/");
    if (parts.length > 1) folders.add(parts[0] as string);
  }
  return [...folders];
}

/** Imports from a folder of `base` into one its rule does not list, as "file imports folder". */
function offenders(files: string[], base: string, rules: Record<string, string[]>): string[] {
  return files.flatMap((file) => {
    const parts = file.slice(base.length).split("/");
    if (!file.startsWith(base) || parts.length < 2) return [];
    const folder = parts[0] as string;
    const allowed = rules[folder] ?? [];
    return importedFolders(file, base)
      .filter((target) => target !== folder && !allowed.includes(target))
      .map((target) => `src/${file} imports src/${base}${target}`);
  });
}

describe("the layers of src/", () => {
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((file) =>
    file.endsWith(".ts"),
  );

  it("every folder of src/ and of src/local/ has its rule", () => {
    const folders = (base: string) =>
      new Set(
        files
          .filter((f) => f.startsWith(base) && f.slice(base.length).includes("/"))
          .map((f) => f.slice(base.length).split("/")[0] as string),
      );
    expect([...folders("")].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
    expect([...folders("local/")].filter((f) => !(f in LOCAL_MAY_IMPORT))).toEqual([]);
  });

  it("imports only point down", () => {
    expect(offenders(files, "", MAY_IMPORT)).toEqual([]);
  });

  it("the local stack's parts import only what their concern needs", () => {
    expect(offenders(files, "local/", LOCAL_MAY_IMPORT)).toEqual([]);
  });

  it("finds the imports it checks", () => {
    // The rules would pass on a parser that reads nothing.
    expect(importedFolders("replay/replay.ts")).toContain("routing");
    expect(importedFolders("local/demo/demo.ts", "local")).toContain("services");
  });
});
