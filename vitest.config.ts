// Vitest settings: three projects, split by what their tests need, so that each
// starts only its own services.
//   unit         no services at all (codec, SQL, fakes in process)
//   integration  a live PostgreSQL (test/global-setup.ts), and CrateDB where CRATEDB_URL is set
//   e2e          emulators and child processes: DynamoDB Local, the Kinesis emulator, the
//                relay and the demo as processes, the packed package
// A new test file belongs to integration unless it is listed under unit or e2e.
import { defineConfig } from "vitest/config";

const UNIT = [
  "test/codec/**/*.test.ts",
  "test/sql/**/*.test.ts",
  "test/structure/**/*.test.ts",
  "test/metrics/**/*.test.ts",
  "test/service/**/*.test.ts",
  "test/shared/**/*.test.ts",
  "test/cli/node-warning.test.ts",
  "test/verify/item-compare.test.ts",
  "test/sink/cratedb-http.test.ts",
  "test/sink/cratedb-cluster.test.ts",
  "test/lambda/dead-letter.test.ts",
  "test/lambda/reference-config.test.ts",
  "test/infra/config.test.ts",
  "test/infra/json-schema.test.ts",
  "test/infra/construct.test.ts",
  "test/infra/nag.test.ts",
  "test/infra/spec.test.ts",
];
const E2E = [
  "test/e2e/**/*.test.ts",
  "test/local/**/*.test.ts",
  "test/package/**/*.test.ts",
  "test/infra/cli.test.ts",
];

export default defineConfig({
  test: {
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
    projects: [
      { extends: true, test: { name: "unit", include: UNIT } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...UNIT, ...E2E],
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: { name: "e2e", include: E2E, globalSetup: ["test/global-setup.ts"] },
      },
    ],
  },
});
