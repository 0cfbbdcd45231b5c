// A TCP proxy in front of a real server, for fault tests: it can refuse new
// connections (the sink is down) and cut every open connection (the network
// dropped mid-batch), while the server behind it stays real.

import net from "node:net";

export interface TcpProxy {
  port: number;
  /** Stop accepting: new connections are refused until `up()`. Open ones are cut. */
  down(): void;
  up(): void;
  /** Cut every open connection now; new ones are still accepted. */
  cutAll(): void;
  /** How many connections were cut so far. */
  readonly cuts: number;
  /** How many connections were accepted so far. */
  readonly connections: number;
  /** How many accepted connections are open now. */
  readonly open: number;
  close(): Promise<void>;
}

export async function startTcpProxy(
  targetPort: number,
  targetHost = "127.0.0.1",
): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepting = true;
  let cuts = 0;
  let connections = 0;
  const server = net.createServer((client) => {
    if (!accepting) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cutAll = () => {
    for (const socket of sockets) {
      socket.resetAndDestroy();
      cuts++;
    }
    sockets.clear();
  };
  return {
    port,
    down() {
      accepting = false;
      cutAll();
    },
    up() {
      accepting = true;
    },
    cutAll,
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size / 2;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}

/** A proxy in front of the server a URL names, and the same URL through the proxy. */
export async function proxyInFront(serverUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
  const url = new URL(serverUrl);
  const proxy = await startTcpProxy(Number(url.port), url.hostname);
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}
