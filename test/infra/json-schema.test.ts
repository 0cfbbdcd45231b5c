// The YAML file's JSON Schema (schema/dynacrate.schema.json), which editors
// read through the `# yaml-language-server: $schema=` line: it is the one
// generated from dynacrate's own schema, every example file passes it, and a
// typo in a key fails it.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { jsonSchemaText, SCHEMA_FILE } from "../../scripts/json-schema.ts";
import { parsePipeConfig } from "../../src/infra/pipe-config.ts";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const examples = readdirSync(EXAMPLES)
  .filter((file) => file.endsWith(".yaml"))
  .map((file) => ({ file, text: readFileSync(join(EXAMPLES, file), "utf8") }));
const validate = new Ajv({ allErrors: true }).compile(
  JSON.parse(readFileSync(SCHEMA_FILE, "utf8")),
);

describe("the configuration file's JSON Schema", () => {
  it("is the one generated from the schema dynacrate checks with (npm run schema writes it)", () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, "utf8"))).toEqual(JSON.parse(jsonSchemaText()));
  });

  it("there are example files to check", () => {
    expect(examples.map(({ file }) => file)).toContain("testdrive-dynamodb.yaml");
  });

  it.each(examples)(
    "$file names the schema for editors and passes it and dynacrate",
    ({ file, text }) => {
      expect(text.split("\n")[0]).toBe(
        "# yaml-language-server: $schema=../schema/dynacrate.schema.json",
      );
      expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
      expect(() => parsePipeConfig(text, file)).not.toThrow();
    },
  );

  it("refuses a file with a typo in a key, naming the key", () => {
    const [example] = examples;
    const text = (example?.text ?? "").replace("batchSize:", "batchsize:");
    expect(validate(parse(text))).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({
        instancePath: "/mapping",
        keyword: "additionalProperties",
        params: { additionalProperty: "batchsize" },
      }),
    );
  });

  it("refuses a value out of range and a word that is not one of the choices", () => {
    const text = `project: p\nstage: s\ntable: { partitionKey: { name: id, type: X } }\ntarget: { table: t }\nmapping: { batchSize: 0 }\n`;
    expect(validate(parse(text))).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(
      expect.arrayContaining(["/table/partitionKey/type", "/mapping/batchSize"]),
    );
  });
});
