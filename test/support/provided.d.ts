// Types for values test/global-setup.ts hands to tests through Vitest's provide/inject.
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** PostgreSQL server URL (admin database); use freshDatabase() to get an isolated database on it. */
    pgUrl: string;
  }
}
