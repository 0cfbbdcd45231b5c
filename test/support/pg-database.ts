// Gives each test file its own PostgreSQL database on the shared test server, so files can run in parallel.
import { randomBytes } from "node:crypto";
import pg from "pg";

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function freshDatabase(pgUrl: string): Promise<FreshDatabase> {
  const name = `dynacrate_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await withAdminClient(pgUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop: () => {
      // FORCE ends connections a test forgot to close (PostgreSQL 13+).
      dropped ??= withAdminClient(pgUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined);
      return dropped;
    },
  };
}

async function withAdminClient<T>(
  pgUrl: string,
  action: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return await action(client);
  } finally {
    await client.end();
  }
}
