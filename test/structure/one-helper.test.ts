// One helper per recurring shape: a promise cached until it fails goes
// through src/cache-until-failure.ts, not a copy of "drop it in .catch" per
// caller (each copy a chance to keep a failure forever, or to drop a newer
// value in place of the failed one).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/", import.meta.url));

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

  it("the sink URL schemes are listed in src/sink/open-sink.ts alone", () => {
    expect(listing(/"postgres:"/)).toEqual(["sink/open-sink.ts"]);
  });

  it("whole-number settings are read by src/whole-number.ts alone", () => {
    // Number.isInteger/isSafeInteger on a setting, or a digits-only test, in a
    // place that reads settings is a second rule.
    const settings = /^(cli|lambda|sink|infra|relay|replay|load)\//;
    expect(
      listing(/Number\.is(?:Safe)?Integer\(value\)|\/\^\\d\+\$\/\.test/).filter((f) =>
        settings.test(f),
      ),
    ).toEqual([]);
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
