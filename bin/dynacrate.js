#!/usr/bin/env -S node --max-semi-space-size=64
// The `dynacrate` command. An installed package runs its compiled JavaScript
// (dist/); a clone of the repository, which has src/ and no build, runs the
// TypeScript sources through tsx (a development dependency), so that what runs
// is always what is checked out.
// A 64 MB young generation: replay and relay make many short-lived objects per
// batch, and the default one spends a quarter of the time collecting them.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli/main.js");
}
