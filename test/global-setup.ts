// Vitest global setup: one PostgreSQL server for the whole run, its URL handed to tests as inject("pgUrl").
import type { TestProject } from "vitest/node";
import { startPostgres } from "../src/local/services/postgres.ts";

/** Set DYNACRATE_TEST_PG_URL to run the suite against an existing server instead. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DYNACRATE_TEST_PG_URL;
  if (external !== undefined && external !== "") {
    project.provide("pgUrl", external);
    return async () => {};
  }
  const started = Date.now();
  const postgres = await startPostgres();
  console.log(
    `[global-setup] PostgreSQL ready on port ${postgres.port} in ${Date.now() - started} ms`,
  );
  project.provide("pgUrl", postgres.url);
  return () => postgres.stop();
}
