// The one way settings are checked, wherever they are given (the YAML file
// and the construct's options, the Lambda function's environment, a command's
// options): a valibot schema whose every message names the fix, run once over
// the whole input so that every problem is listed at once, one line per key.
// valibot because it is modular: the Lambda bundle carries only the few
// checks it uses (a few kilobytes), and the YAML file's JSON Schema for
// editors is generated from the same schema (scripts/json-schema.ts).

import * as v from "valibot";
import { ConfigError } from "./errors.ts";
import { nearName } from "./near-name.ts";
import { parseWholeNumber } from "./whole-number.ts";

type Issue = v.BaseIssue<unknown>;
type Message = (issue: Issue) => string;

/** Unknown-key issues and the key each most likely meant. */
const MEANT = new WeakMap<Issue, string>();

const quote = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** Text that is not blank. */
export function text(example: string) {
  const message = `expected text, e.g. ${example}`;
  return v.pipe(
    v.string(message),
    v.check((value) => value.trim() !== "", message),
  );
}

/** Text matching `pattern`; `message` says what the rule is. */
export function textLike(example: string, pattern: RegExp, message: Message) {
  return v.pipe(text(example), v.regex(pattern, message));
}

/** Text in which `problemOf` finds nothing wrong; the message is `prefix` and the problem. */
export function textWithout(problemOf: (text: string) => string | undefined, prefix: string) {
  return v.pipe(
    v.string(),
    v.check(
      (value) => problemOf(value) === undefined,
      (issue) => `${prefix}${problemOf(issue.input as string)}`,
    ),
  );
}

/** One of a few words. */
export function oneOf<const T extends readonly string[]>(choices: T) {
  return v.picklist(
    choices,
    (issue) => `${quote(issue.input)} is not one of ${choices.join(", ")}`,
  );
}

/**
 * A whole number from `min` to `max` (the rule of src/whole-number.ts);
 * `why` follows the range in the message.
 */
export function whole(min: number, max: number, why = "") {
  const message: Message = (issue) =>
    `${quote(issue.input)}: give a whole number from ${min} to ${max}${why}`;
  return v.pipe(
    v.number(message),
    v.integer(message),
    v.minValue(min, message),
    v.maxValue(max, message),
    v.check((value) => parseWholeNumber(value, min, max) !== undefined, message),
  );
}

export function bool() {
  return v.boolean((issue) => `${quote(issue.input)}: write true or false`);
}

/** An ARN of `service`. */
export function arn(service: string, example: string) {
  return textLike(
    example,
    new RegExp(`^arn:aws[a-z-]*:${service}:`),
    (issue) => `${quote(issue.input)} is not a ${service} ARN; write e.g. ${example}`,
  );
}

/** One of `words`, or what `schema` accepts (`on-demand` or a number of shards). */
export function wordOr<const W extends readonly string[], S extends v.GenericSchema>(
  words: W,
  schema: S,
) {
  const either = v.union([v.picklist(words), schema]);
  // The union's own message would be one for all; a value that is not one of
  // the words gets the schema's message, which names the words too.
  return {
    ...either,
    "~run"(dataset: v.UnknownDataset, config: v.Config<Issue>) {
      return typeof dataset.value === "string" && words.includes(dataset.value)
        ? either.options[0]["~run"](dataset, config)
        : schema["~run"](dataset, config);
    },
  } as typeof either;
}

export interface MappingMessages<K extends string> {
  /** The message for a missing key; keys not named here are optional. */
  missing?: Partial<Record<K, string>>;
  /** The message when the value is absent (null) or not a mapping at all; undefined for the usual one. */
  notMapping?: (issue: Issue) => string | undefined;
}

/**
 * A mapping of the keys of `entries` and no others: an unknown key names the
 * key it most likely meant (and that key is then not also called missing).
 */
export function mapping<const E extends v.ObjectEntries>(
  entries: E,
  messages: MappingMessages<keyof E & string> = {},
) {
  const keys = Object.keys(entries);
  const base = v.objectWithRest(entries, v.never(), (issue) => {
    const key = issue.path?.[0]?.key;
    if (key === undefined)
      return messages.notMapping?.(issue) ?? `expected a mapping with the keys ${keys.join(", ")}`;
    return messages.missing?.[key as keyof E & string] ?? "missing";
  });
  return {
    ...base,
    "~run"(dataset: v.UnknownDataset, config: v.Config<Issue>) {
      const input = dataset.value;
      // An array is an object to JavaScript, never a mapping to a reader.
      const out = base["~run"](
        Array.isArray(input) ? { ...dataset, value: "a list" } : dataset,
        config,
      );
      const given = input !== null && typeof input === "object" ? Object.keys(input) : [];
      for (const issue of out.issues ?? []) {
        if (issue.type !== "never" || issue.path?.length !== 1) continue;
        const key = String(issue.path[0]?.key);
        const near = nearName(
          key,
          keys.filter((k) => !given.includes(k)),
        );
        (issue as { message: string }).message =
          `unknown key; ${near ? `did you mean ${near}?` : `the keys here are ${keys.join(", ")}`}`;
        if (near) MEANT.set(issue, near);
      }
      return out;
    },
  } as typeof base;
}

/**
 * A rule across keys, checked as soon as the keys it reads are valid (even
 * when others are not), blamed on the key at `at`.
 */
export function rule(
  reads: ReadonlyArray<readonly string[]>,
  at: readonly string[],
  // biome-ignore lint/suspicious/noExplicitAny: the rule reads a partially checked input of any shape
  holds: (input: any) => boolean,
  // biome-ignore lint/suspicious/noExplicitAny: as above
  message: string | ((input: any) => string),
  // biome-ignore lint/suspicious/noExplicitAny: a rule fits in the pipe of any mapping
): v.BaseValidation<any, any, Issue> {
  return {
    kind: "validation",
    type: "rule",
    reference: rule,
    async: false,
    expects: null,
    "~run"(dataset, _config) {
      const issues = dataset.issues ?? [];
      const valid = reads.every((path) => !issues.some((issue) => overlaps(issue, path)));
      if (!valid || holds(dataset.value)) return dataset;
      const path: v.ObjectPathItem[] = [];
      let value: unknown = dataset.value;
      for (const key of at) {
        const input = value as Record<string, unknown>;
        value = input?.[key];
        path.push({ type: "object", origin: "value", input, key, value });
      }
      const issue: Issue = {
        kind: "validation",
        type: "rule",
        input: value,
        expected: null,
        received: quote(value),
        message: typeof message === "string" ? message : message(dataset.value),
        path: path as unknown as Issue["path"],
      };
      dataset.issues = [...issues, issue] as typeof dataset.issues;
      return dataset;
    },
  };
}

/** Whether an issue is at or around `path` (so the value at `path` is not known to be valid). */
function overlaps(issue: Issue, path: readonly string[]): boolean {
  const keys = issue.path?.map((item) => String(item.key)) ?? [];
  const n = Math.min(keys.length, path.length);
  for (let i = 0; i < n; i++) if (keys[i] !== path[i]) return false;
  return true;
}

/** The path of an issue as `mapping.batchSize`. */
function pathOf(issue: Issue, top: string): string {
  const keys = issue.path?.map((item) => String(item.key)) ?? [];
  return keys.length === 0 ? top : keys.join(".");
}

/**
 * The problems of `input`, one line per key (`path: message`, or as `line`
 * writes it), or the checked value. `top` names a problem of the input as a whole.
 */
export function check<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  top = "(top level)",
  line = (path: string, message: string) => `${path}: ${message}`,
): { ok: true; value: v.InferOutput<S> } | { ok: false; problems: string[] } {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const meant = new Set<string>();
  for (const issue of result.issues) {
    const near = MEANT.get(issue);
    if (near !== undefined) meant.add(pathOf(issue, top).replace(/[^.]+$/, near));
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const issue of result.issues) {
    const path = pathOf(issue, top);
    // One problem per key: the first rule it breaks.
    if (seen.has(path) || meant.has(path)) continue;
    seen.add(path);
    problems.push(line(path, issue.message));
  }
  return { ok: false, problems };
}

/** `problems` as one ConfigError under `heading`, given their count. */
export function configError(heading: (count: string) => string, problems: string[]): ConfigError {
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  return new ConfigError(`${heading(count)}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}
