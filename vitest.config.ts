// Vitest settings: one shared PostgreSQL for the run (test/global-setup.ts), forked workers, generous timeouts for emulators.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file may start JVMs and child servers; separate processes keep their exit hooks apart.
    pool: "forks",
    env: {
      // AWS SDK v3 warns once per process on Node < 22 that future releases will drop it; noise in every test file.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
