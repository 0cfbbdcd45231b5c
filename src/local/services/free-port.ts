// Finds a TCP port on the loopback interface that is free right now, for local stand-in servers.
import { createServer } from "node:net";

/**
 * Asks the kernel for an unused port on 127.0.0.1 and releases it again.
 * Another process could grab the port before the caller binds it: PostgreSQL's
 * launcher then chooses again; the other launchers fail loudly.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(
          new Error(`Unexpected listen address ${String(address)} while looking for a free port`),
        );
        return;
      }
      const { port } = address;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
