#!/usr/bin/env -S node --max-semi-space-size=64
// The `dynacrate` command: runs the TypeScript CLI through tsx's loader.
// A 64 MB young generation: replay and relay make many short-lived objects per
// batch, and the default one spends a quarter of the time collecting them.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
