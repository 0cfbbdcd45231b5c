// The configuration file of `dynacrate synth | deploy | destroy` (YAML): what
// the reference deployment script sets (project, stage, region, table, stream,
// target table, secret) plus the construct's options, under the same names as
// the construct's props. Checked all at once; each problem names its key and
// the fix.

import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import { ConfigError } from "../errors.ts";
import { Problems, readProps } from "./check-props.ts";
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

const STACK_KEYS = ["project", "stage", "region", "account", "description"] as const;

/** Reads and checks a configuration file. */
export function readPipeConfig(file: string): PipeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(
      `configuration file ${file} can not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give the path of a YAML file such as examples/testdrive-dynamodb.yaml`,
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
  const problems = new Problems();
  const props = readProps(data, "", problems, STACK_KEYS);
  const obj = (typeof data === "object" && data !== null ? data : {}) as Record<string, unknown>;
  const project = problems.string(obj.project, "project", "testdrive-dynamodb");
  const stage = problems.string(obj.stage, "stage", "dev");
  if (obj.project === undefined)
    problems.add("project", "missing; the stack is named <project>-<stage>, e.g. project: orders");
  if (obj.stage === undefined) problems.add("stage", "missing; e.g. stage: dev");
  // Each part on its own first, so a mis-indented line read into one of them is blamed there.
  const part = (key: "project" | "stage", value: string | undefined): string | undefined => {
    if (value === undefined || /^[A-Za-z0-9-]+$/.test(value)) return value;
    const indented = /\s/.test(value.trim())
      ? `; YAML read the indented line after "${key}:" as part of its value: if it is a key of its own, start it where ${key}: starts (e.g. ${value.trim().replace(/\s+/, ": ")})`
      : "";
    problems.add(
      key,
      `${JSON.stringify(value)} holds characters a stack name can not (letters, digits and - only)${indented}`,
    );
    return undefined;
  };
  const stackProject = part("project", project);
  const stackStage = part("stage", stage);
  const stackName = stackProject && stackStage ? `${stackProject}-${stackStage}` : undefined;
  if (stackName !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    problems.add(
      "project",
      `the stack name ${JSON.stringify(stackName)} (<project>-<stage>) must start with a letter and hold only letters, digits and -`,
    );
  }
  const region = problems.string(obj.region, "region", "eu-central-1");
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    problems.add(
      "region",
      `${JSON.stringify(region)} is not an AWS Region; write e.g. eu-central-1`,
    );
  }
  const account = obj.account === undefined ? undefined : String(obj.account);
  if (account !== undefined && !/^\d{12}$/.test(account)) {
    problems.add(
      "account",
      `${JSON.stringify(obj.account)}: an AWS account id is 12 digits; quote it ("012345678901") or leave it out to use the credentials' account`,
    );
  }
  const description = problems.string(obj.description, "description", "orders into CrateDB");
  problems.throwIfAny(file);
  if (!props || !project || !stage || !stackName) throw new ConfigError(`${file} is incomplete`);
  return {
    stackName,
    project,
    stage,
    region,
    account,
    description:
      description ??
      `dynacrate: DynamoDB changes into ${props.target.table} (${project}, ${stage})`,
    props,
  };
}
