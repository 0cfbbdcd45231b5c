// `npm run setup:mongodb`: fetches mongo-java-server (Maven) and compiles its
// launcher into node_modules/.cache, for the MongoDB tests and the local stack.
// Repeated runs find it there and do nothing.
import {
  MongoServerUnavailableError,
  mongoServerClasspath,
} from "../src/local/services/mongodb-local.ts";

try {
  const classpath = mongoServerClasspath({ install: true });
  process.stdout.write(`mongo-java-server ready: ${classpath}\n`);
} catch (error) {
  if (!(error instanceof MongoServerUnavailableError)) throw error;
  process.stderr.write(`mongo-java-server not installed: ${error.message}\n`);
  process.exitCode = 1;
}
