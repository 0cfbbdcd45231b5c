// The local MongoDB server (mongo-java-server) for a test file: fetched and
// compiled on first use (Maven, javac; cached in node_modules/.cache), or a
// printed reason why the file's MongoDB tests are skipped.

import {
  MongoServerUnavailableError,
  mongoServerClasspath,
} from "../../src/local/services/mongodb-local.ts";

/** Undefined when the server can run here; otherwise why not. Prints the reason once. */
export function mongoUnavailable(): string | undefined {
  try {
    mongoServerClasspath({ install: true });
    return undefined;
  } catch (error) {
    if (!(error instanceof MongoServerUnavailableError)) throw error;
    console.log(`[mongodb] skipped: ${error.message}`);
    return error.message;
  }
}
