// Writes schema/dynacrate.schema.json, the JSON Schema of the YAML file of
// `dynacrate synth | deploy | destroy`, generated from the schema that checks
// the file (src/infra/pipe-config.ts): an editor that reads the
// `# yaml-language-server: $schema=...` line of examples/*.yaml completes the
// keys and marks a typo. The rules across keys and the exact messages stay
// with dynacrate's own check.
// Run: npm run schema (a test fails while the committed schema differs)

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toJsonSchema } from "@valibot/to-json-schema";
import { PIPE_CONFIG } from "../src/infra/pipe-config.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA_FILE = join(ROOT, "schema", "dynacrate.schema.json");
const BIOME = join(ROOT, "node_modules", "@biomejs", "biome", "bin", "biome");

/** The JSON Schema as text (the file holds it in the project's format). */
export function jsonSchemaText(): string {
  const schema = toJsonSchema(PIPE_CONFIG, {
    // Rules across keys and checks the JSON Schema can not say are left to dynacrate.
    errorMode: "ignore",
    // A mapping takes its own keys and no others: said as `false`, which
    // editors report as "property not allowed".
    overrideSchema: ({ valibotSchema, jsonSchema }) =>
      valibotSchema.type === "object_with_rest" &&
      (valibotSchema as { rest?: { type: string } }).rest?.type === "never"
        ? { ...jsonSchema, additionalProperties: false }
        : undefined,
  });
  const { $schema, ...rest } = schema;
  return `${JSON.stringify(
    { $schema, title: "dynacrate synth | deploy | destroy configuration", ...rest },
    null,
    2,
  )}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(SCHEMA_FILE, jsonSchemaText());
  // In the project's format, so that `biome check` passes on the file as written.
  execFileSync(process.execPath, [BIOME, "format", "--write", SCHEMA_FILE], { stdio: "inherit" });
  console.log(`wrote ${SCHEMA_FILE}`);
}
