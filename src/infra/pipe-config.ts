// The configuration file of `dynacrate synth | deploy | destroy` (YAML): what
// the reference deployment script sets (project, stage, region, table, stream,
// target table, secret) plus the construct's options, under the same names as
// the construct's props. Checked all at once; each problem names its key and
// the fix.

import { readFileSync } from "node:fs";
import * as v from "valibot";
import { parseDocument } from "yaml";
import { check, configError, mapping, rule, text } from "../config-schema.ts";
import { errorMessage } from "../error-text.ts";
import { ConfigError } from "../errors.ts";
import { PROPS_ENTRIES, PROPS_MISSING, PROPS_RULES, propsOf } from "./check-props.ts";
import type { DynamoDbToCrateDbProps } from "./props.ts";

export interface PipeConfig {
  /** The CloudFormation stack: `<project>-<stage>`. */
  stackName: string;
  project: string;
  stage: string;
  /** Default: the Region of the credentials (AWS_REGION, the profile) at deploy time. */
  region: string | undefined;
  /** Default: the account of the credentials at deploy time. */
  account: string | undefined;
  description: string;
  props: DynamoDbToCrateDbProps;
}

/** Project and stage, each on its own first, so a mis-indented line read into one of them is blamed there. */
function stackPart(key: "project" | "stage", example: string) {
  return v.pipe(
    text(example),
    v.check(
      (value) => /^[A-Za-z0-9-]+$/.test(value),
      (issue) => {
        const value = issue.input as string;
        const indented = /\s/.test(value.trim())
          ? `; YAML read the indented line after "${key}:" as part of its value: if it is a key of its own, start it where ${key}: starts (e.g. ${value.trim().replace(/\s+/, ": ")})`
          : "";
        return `${JSON.stringify(value)} holds characters a stack name can not (letters, digits and - only)${indented}`;
      },
    ),
  );
}

/** The file's keys: the construct's, and the stack's. */
export const PIPE_CONFIG = v.pipe(
  mapping(
    {
      project: stackPart("project", "testdrive-dynamodb"),
      stage: stackPart("stage", "dev"),
      region: v.optional(
        v.pipe(
          text("eu-central-1"),
          v.regex(
            /^[a-z]{2}(-[a-z]+)+-\d$/,
            (issue) =>
              `${JSON.stringify(issue.input)} is not an AWS Region; write e.g. eu-central-1`,
          ),
        ),
      ),
      account: v.optional(
        v.pipe(
          v.union([v.string(), v.number()]),
          v.check(
            (value) => /^\d{12}$/.test(String(value)),
            (issue) =>
              `${JSON.stringify(issue.input)}: an AWS account id is 12 digits; quote it ("012345678901") or leave it out to use the credentials' account`,
          ),
        ),
      ),
      description: v.optional(text("orders into CrateDB")),
      ...PROPS_ENTRIES,
    },
    {
      missing: {
        ...PROPS_MISSING,
        project: "missing; the stack is named <project>-<stage>, e.g. project: orders",
        stage: "missing; e.g. stage: dev",
      },
      notMapping: (issue) => (issue.input == null ? "missing" : undefined),
    },
  ),
  rule(
    [["project"], ["stage"]],
    ["project"],
    (c) => /^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(`${c.project}-${c.stage}`),
    (c) =>
      `the stack name ${JSON.stringify(`${c.project}-${c.stage}`)} (<project>-<stage>) must start with a letter and hold only letters, digits and -`,
  ),
  ...PROPS_RULES,
);

/** Reads and checks a configuration file. */
export function readPipeConfig(file: string): PipeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(
      `configuration file ${file} can not be read (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}); give the path of a YAML file such as examples/testdrive-dynamodb.yaml`,
      { cause: error },
    );
  }
  return parsePipeConfig(text, file);
}

/** Parses and checks the text of a configuration file; `file` names it in errors. */
export function parsePipeConfig(text: string, file: string): PipeConfig {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [first] = document.errors;
  if (first) {
    // The parser's first line ends "at line 5, column 1:" before a snippet; the snippet's line is quoted instead.
    const what = (first.message.split("\n")[0] as string).replace(
      / at line \d+, column \d+:?$/,
      "",
    );
    const at = first.linePos?.[0];
    const line = at ? text.split(/\r?\n/)[at.line - 1] : undefined;
    throw new ConfigError(
      `${file} is not valid YAML: ${what}${at ? ` (line ${at.line}, column ${at.col}${line === undefined ? "" : `: ${JSON.stringify(line)}`})` : ""}`,
    );
  }
  const data: unknown = document.toJS();
  const result = check(PIPE_CONFIG, data);
  if (!result.ok) throw configError((count) => `${file} has ${count}`, result.problems);
  const { project, stage, region, account, description } = result.value;
  const props = propsOf(result.value);
  return {
    stackName: `${project}-${stage}`,
    project,
    stage,
    region,
    account: account === undefined ? undefined : String(account),
    description:
      description ??
      `dynacrate: DynamoDB changes into ${props.target.table} (${project}, ${stage})`,
    props,
  };
}
