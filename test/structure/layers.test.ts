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
  local: [...CORE, ...JOBS],
  cli: [...CORE, ...JOBS, "lambda", "infra", "local"],
};

/** Every `from "..."` and `import("...")` of a file, as the src/ folder it points into. */
function importedFolders(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const folders = new Set<string>();
  for (const match of text.matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
    const target = join(root, file, "..", match[1] as string);
    if (!target.startsWith(root)) continue;
    const parts = target.slice(root.length).split("/");
    if (parts.length > 1) folders.add(parts[0] as string);
  }
  return [...folders];
}

describe("the layers of src/", () => {
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((file) =>
    file.endsWith(".ts"),
  );

  it("every folder of src/ has its rule", () => {
    const folders = new Set(
      files.filter((f) => f.includes("/")).map((f) => f.split("/")[0] as string),
    );
    expect([...folders].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
  });

  it("imports only point down", () => {
    const offenders = files.flatMap((file) => {
      const folder = file.includes("/") ? (file.split("/")[0] as string) : undefined;
      if (folder === undefined) return [];
      const allowed = MAY_IMPORT[folder] ?? [];
      return importedFolders(file)
        .filter((target) => target !== folder && !allowed.includes(target))
        .map((target) => `${file} imports src/${target}`);
    });
    expect(offenders).toEqual([]);
  });

  it("finds the imports it checks", () => {
    // The rule would pass on a parser that reads nothing: the replay run imports the pipeline's router.
    expect(importedFolders("replay/replay.ts")).toContain("routing");
  });
});
