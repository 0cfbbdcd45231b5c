// One helper per recurring shape: a promise cached until it fails goes
// through src/cache-until-failure.ts, not a copy of "drop it in .catch" per
// caller (each copy a chance to keep a failure forever, or to drop a newer
// value in place of the failed one).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/", import.meta.url));

/** The files of src/ but `except` whose text `rule` finds. */
const filesMatching = (rule: RegExp, except: string) =>
  (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts") && file !== except)
    .filter((file) => rule.test(readFileSync(join(root, file), "utf8")));

/** A rejection handler that forgets a cached value: `.catch(() => x = undefined)`, `.delete(k)`, ... */
const FORGETS_ON_FAILURE =
  /\.(?:catch\(|then\([^,]*,\s*)\(\w*\)\s*=>\s*\{?\s*(?:if \([^\n]*?\)\s*)?[\w.#]+(?:\s*=\s*undefined|\.delete\()/g;

describe("values cached until they fail", () => {
  it("are cached by src/cache-until-failure.ts alone", () => {
    const offenders = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts") && file !== "cache-until-failure.ts")
      .filter((file) => readFileSync(join(root, file), "utf8").match(FORGETS_ON_FAILURE) !== null);
    expect(offenders).toEqual([]);
  });

  it("the pattern finds the hand-written forms", () => {
    const forms = [
      "ready.catch(() => this.ready.delete(name));",
      "resolved.catch(() => cache.delete(secretId));",
      "building.catch(() => {\n  if (this.current === building) this.current = undefined;\n});",
      "q.then(() => undefined, (error) => {\n this.ready = undefined;",
      "settled.catch(() => {\n if (this.#ensured.get(key) === settled) this.#ensured.delete(key);",
    ];
    for (const form of forms) expect(form.match(FORGETS_ON_FAILURE), form).not.toBeNull();
  });
});

describe("one place per setting", () => {
  const sources = (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts"))
    .map((file) => ({ file, text: readFileSync(join(root, file), "utf8") }));
  const listing = (pattern: RegExp) =>
    sources.filter(({ text }) => pattern.test(text)).map(({ file }) => file);

  it("the number formats are listed in src/codec/decimal.ts alone", () => {
    expect(listing(/\[\s*"exact",\s*"double",/)).toEqual(["codec/decimal.ts"]);
  });

  /** A sink's scheme written out: in a list, or in a regular expression that tests a URL. */
  const SINK_SCHEME = /"postgres:"|postgres\(ql\)\?:|\(postgres(?:ql)?\|postgres/;

  it("the sink URL schemes are listed in src/sink/open-sink.ts alone", () => {
    expect(listing(SINK_SCHEME)).toEqual(["sink/open-sink.ts"]);
  });

  it("the scheme rule finds a scheme tested by hand", () => {
    for (const form of [
      'postgresql: ["postgresql:", "postgres:"],',
      'target: /^postgres(ql)?:/i.test(targetUrl) ? "postgresql" : "cratedb",',
      "if (/^(postgresql|postgres):/.test(url))",
    ])
      expect(SINK_SCHEME.test(form), form).toBe(true);
    // A URL in a message or an example is not a scheme test.
    expect(SINK_SCHEME.test("e.g. postgresql://user:pass@host:5432/db")).toBe(false);
  });

  /**
   * A second rule for whole numbers: Number.isInteger/isSafeInteger on a
   * setting (`value`, or a number just read from one with Number()), or a
   * digits-only test.
   */
  const WHOLE_NUMBER_RULE =
    /Number\.is(?:Safe)?Integer\(value\)|const (\w+) = [^;]*\bNumber\([^;]*;[\s\S]{0,120}?Number\.is(?:Safe)?Integer\(\1\)|\/\^\\d\+\$\/\.test/;

  it("whole-number settings are read by src/whole-number.ts alone", () => {
    const settings = /^(cli|lambda|sink|infra|relay|replay|load)\//;
    expect(listing(WHOLE_NUMBER_RULE).filter((f) => settings.test(f))).toEqual([]);
  });

  it("the whole-number rule finds a setting read by hand", () => {
    for (const form of [
      "if (!Number.isSafeInteger(value)) throw new ConfigError(x);",
      "const n = Number(value);\n  if (!Number.isInteger(n) || n < 0)\n    throw new ConfigError(message);",
      "const port = json.port === undefined ? 5432 : Number(json.port);\n  if (!Number.isInteger(port) || port < 1)",
      "if (!/^\\d+$/.test(text)) fail();",
    ])
      expect(WHOLE_NUMBER_RULE.test(form), form).toBe(true);
    // A number that is no setting (an error code) is not a reading of one.
    expect(WHOLE_NUMBER_RULE.test('if (typeof code !== "number" || !Number.isInteger(code))')).toBe(
      false,
    );
  });
});

describe("one structured logger", () => {
  it("JSON log lines are written by src/log.ts alone", () => {
    const offenders = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts") && file !== "log.ts")
      .filter((file) =>
        /JSON\.stringify\(\{\s*(?:time|level|msg):/.test(readFileSync(join(root, file), "utf8")),
      );
    expect(offenders).toEqual([]);
  });
});

describe("one retry policy", () => {
  // src/sink/retry.ts holds the policy (attempts, backoff with full jitter, a
  // time budget, an abort signal, onRetry) and the one abortable wait; a loop
  // elsewhere that sleeps on its own timer or reckons its own backoff is a
  // second policy.
  /** A promise resolved by a timer: a hand-written sleep. */
  const TIMER_SLEEP =
    /setTimeout\(\s*(?:(?:resolve|res|r|wake|done)\s*,|\(\)\s*=>\s*\{?[^}]{0,120}?\bresolve\(\))/;
  /** Timers as promises (the abortable wait is retry.ts's pause). */
  const TIMER_PROMISES = /from "node:timers\/promises"/;
  /** A doubling wait or a jitter reckoned by hand. */
  const BACKOFF_FORMULA =
    /2\s*\*\*\s*(?:Math\.\w+\()?\(?\s*\w*(?:attempt|failure|tries|retr)|Math\.random\(\)\s*\/\s*2|backoffMs\([^;]*Math\.random/i;
  /** Reckon by the backoff rule without waiting by it: a node's next probe, a timeout's worst case. */
  const RECKONS = ["infra/defaults.ts", "sink/cratedb-nodes.ts"];
  const find = (text: string) =>
    [TIMER_SLEEP, TIMER_PROMISES, BACKOFF_FORMULA].filter((rule) => rule.test(text));
  const sources = (readdirSync(root, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".ts") && file !== "sink/retry.ts")
    .map((file) => ({ file, text: readFileSync(join(root, file), "utf8") }));

  it("every retry loop and abortable wait in src/ goes through src/sink/retry.ts", () => {
    expect(sources.filter(({ text }) => find(text).length > 0).map(({ file }) => file)).toEqual([]);
    expect(
      sources
        .filter(({ text }) => /\bbackoffMs\(/.test(text))
        .map(({ file }) => file)
        .sort(),
    ).toEqual(RECKONS);
  });

  it("the rules find a planted second policy", () => {
    const planted = [
      "await new Promise((resolve) => setTimeout(resolve, delayMs));",
      "if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** attempt)));",
      "const delayMs = Math.round(\n  backoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs) * (0.5 + Math.random() / 2),\n);",
      "new Promise<void>((resolve) => {\n  const wake = () => {\n    clearTimeout(timer);\n    resolve();\n  };\n  const timer = setTimeout(wake, ms);",
      'const timer = setTimeout(() => {\n  signal?.removeEventListener("abort", wake);\n  resolve();\n}, ms);',
      'import { setTimeout as sleep } from "node:timers/promises";',
      "const delay = base * 2 ** Math.min(failures, 10);",
    ];
    for (const form of planted) expect(find(form), form).not.toEqual([]);
    // A timer that rejects (a start timeout) is not a sleep.
    expect(
      find("const timer = setTimeout(\n  () => reject(new Error('late')),\n  ms,\n);"),
    ).toEqual([]);
  });
});

describe("one way to keep secrets out of output", () => {
  /** A secret blanked by hand: a known value replaced, or a URL's user info cut. */
  const REDACTS = /replaceAll\(\s*\w+\s*,\s*"\*\*\*"\s*\)|\*\*\*@/;

  it("secrets are blanked by src/redact-url.ts alone", () => {
    expect(filesMatching(REDACTS, "redact-url.ts")).toEqual([]);
  });

  it("the rule finds a planted redaction", () => {
    for (const form of [
      'for (const secret of this.secrets) out = out.replaceAll(secret, "***");',
      'return url.replace(/\\/\\/[^/@]*@/, "//***@");',
      'return url.replace(/^(mongodb(?:\\+srv)?:\\/\\/[^:@/]*):[^@/]*@/, "$1:***@");',
    ])
      expect(REDACTS.test(form), form).toBe(true);
  });
});

describe("one way to stop on a signal", () => {
  /** A handler of SIGINT or SIGTERM installed (or removed) by hand. */
  const HANDLES_SIGNAL =
    /process\.(?:once|on|off|addListener|removeListener)\(\s*"SIG(?:INT|TERM)"/;

  it("SIGINT and SIGTERM are taken by src/stop-signals.ts alone", () => {
    expect(filesMatching(HANDLES_SIGNAL, "stop-signals.ts")).toEqual([]);
  });

  it("the rule finds a planted handler", () => {
    for (const form of [
      'process.once("SIGINT", onInt);',
      'process.removeListener("SIGTERM", onTerm);',
      'process.off("SIGINT", onSignal);',
      'process.once("SIGTERM", () => resolve("SIGTERM"));',
    ])
      expect(HANDLES_SIGNAL.test(form), form).toBe(true);
    // Sending a signal to a child is no handler.
    expect(HANDLES_SIGNAL.test('child.kill("SIGINT");')).toBe(false);
  });
});
