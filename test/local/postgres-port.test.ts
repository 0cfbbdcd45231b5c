// The local PostgreSQL when its port is taken between its choice and the
// server's bind (another process got there first): a port the launcher chose
// is chosen again and the server starts; a port the caller gave is not
// replaced, and the error says the port is taken.

import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { PostgresStartError, startPostgres } from "../../src/local/services/postgres.ts";

const ports = vi.hoisted(() => ({ first: 0, chosen: [] as number[] }));
vi.mock("../../src/local/services/free-port.ts", async (original) => {
  const real = (await original()) as { freePort: () => Promise<number> };
  return {
    freePort: async () => {
      // The first choice is the port the test holds; the next ones are really free.
      const port = ports.chosen.length === 0 ? ports.first : await real.freePort();
      ports.chosen.push(port);
      return port;
    },
  };
});

let holder: Server;
beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen({ host: "127.0.0.1", port: 0 }, resolve));
  ports.first = (holder.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

it("a chosen port taken before the server binds it: another is chosen, the server starts", async () => {
  const postgres = await startPostgres();
  try {
    expect(ports.chosen[0]).toBe(ports.first);
    expect(ports.chosen).toHaveLength(2);
    expect(postgres.port).toBe(ports.chosen[1]);
  } finally {
    await postgres.stop();
  }
});

it("a port the caller gives is kept: taken, the start fails and says so", async () => {
  const started = startPostgres({ port: ports.first });
  await expect(started).rejects.toBeInstanceOf(PostgresStartError);
  await expect(started).rejects.toMatchObject({ portTaken: true });
  await expect(started).rejects.toThrow(/Address already in use/);
});
