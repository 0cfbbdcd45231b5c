// Vitest settings: one shared PostgreSQL for the run (test/global-setup.ts), forked workers, generous timeouts for emulators.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Above every test's own waits (the end-to-end tests wait up to 60 s for a relay or the
    // demo, twice in a row in the crash tests), so a slow machine fails on the test's own,
    // clearer message rather than on Vitest's limit.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Each file may start JVMs and child servers; separate processes keep their exit hooks apart.
    pool: "forks",
    env: {
      // AWS SDK v3 warns once per process on Node < 22 that future releases will drop it; noise in every test file.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
