// One error hierarchy: every error dynacrate throws extends DynacrateError
// (src/errors.ts), so callers can tell a record's fault, a setting's, an
// outage and a bug apart. Node's own Error, TypeError and RangeError are never
// thrown from src/.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("the error hierarchy", () => {
  it("src/ throws no bare Error, TypeError or RangeError", () => {
    const root = fileURLToPath(new URL("../../src/", import.meta.url));
    const offenders = (readdirSync(root, { recursive: true }) as string[])
      .filter((file) => file.endsWith(".ts"))
      .flatMap((file) =>
        readFileSync(join(root, file), "utf8")
          .split("\n")
          .flatMap((line, i) =>
            /throw new (Error|TypeError|RangeError|SyntaxError)\(/.test(line)
              ? [`${file}:${i + 1}`]
              : [],
          ),
      );
    expect(offenders).toEqual([]);
  });
});
