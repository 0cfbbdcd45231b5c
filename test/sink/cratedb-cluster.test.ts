// The CrateDB client over several nodes (cratedb-client.ts, cratedb-nodes.ts)
// and the URLs that name them (host-list.ts), against small HTTP servers that
// answer as a CrateDB node does, a TCP proxy that refuses connections (a node
// that went away) and a server that accepts connections and answers nothing
// (a hung node). The same behaviour on a live two-node CrateDB cluster, with a
// node killed and one stopped, is test/sink/cratedb-node-loss.test.ts.

import { createServer, type Server } from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { sinkUrlProblem } from "../../src/lambda/config.ts";
import { sinkUrlFromSecret } from "../../src/lambda/secret.ts";
import { redactSecrets } from "../../src/redact-url.ts";
import { CrateDbClient } from "../../src/sink/cratedb-client.ts";
import { NodeSet } from "../../src/sink/cratedb-nodes.ts";
import { passwordsIn, splitHosts } from "../../src/sink/host-list.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import { withRetry } from "../../src/sink/retry.ts";
import { SinkError } from "../../src/sink/sink-error.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";

const PASSWORD = "n0de-Pa55,word@x";
const LABEL = { what: "a query" };
const BODY = JSON.stringify({ stmt: "SELECT 1" });

interface Node {
  url: string;
  /** Requests to /_sql it answered. */
  answered: number;
  server: Server;
}

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A server answering `POST /_sql` and `GET /` as a CrateDB node does, counting what it answered. */
async function node(): Promise<Node> {
  const state: Node = { url: "", answered: 0, server: undefined as unknown as Server };
  state.server = createServer((request, response) => {
    request.resume().on("end", () => {
      if (request.url === "/_sql") state.answered++;
      response.setHeader("content-type", "application/json");
      response.end(
        request.url === "/_sql"
          ? JSON.stringify({ cols: ["x"], rows: [[1]], rowcount: 1, duration: 1 })
          : JSON.stringify({ ok: true, status: 200, name: "node" }),
      );
    });
  });
  await new Promise<void>((resolve) => state.server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  closers.push(() => new Promise((resolve) => state.server.close(resolve)));
  return state;
}

/** A TCP proxy in front of a node: `down()` refuses and cuts its connections, as a node that died. */
async function proxied(target: Node): Promise<{ proxy: TcpProxy; host: string }> {
  const proxy = await startTcpProxy(Number(new URL(target.url).port));
  closers.push(() => proxy.close());
  return { proxy, host: `127.0.0.1:${proxy.port}` };
}

/** A server that accepts connections and never answers: a hung node (a stopped process). */
async function hung(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(resolve);
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(url: string, timeoutMs = 10_000): CrateDbClient {
  const created = new CrateDbClient({ url, timeoutMs });
  closers.push(() => created.close());
  return created;
}

const hostOf = (url: string) => new URL(url).host;

/** Waits for `condition`, polling; fails naming `what` after `limitMs`. */
async function until(what: string, condition: () => boolean, limitMs = 10_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("a URL naming several nodes (host-list.ts)", () => {
  it("is cut into one URL per node, each with the credentials, path and query", () => {
    expect(splitHosts(`crate://u:${PASSWORD}@a:4200,b:4201/x?ssl=true`)).toEqual([
      `crate://u:${PASSWORD}@a:4200/x?ssl=true`,
      `crate://u:${PASSWORD}@b:4201/x?ssl=true`,
    ]);
    expect(splitHosts("http://a:4200, b:4200")).toEqual(["http://a:4200", "http://b:4200"]);
    expect(splitHosts("http://a:4200")).toEqual(["http://a:4200"]);
    expect(splitHosts("not a url")).toEqual(["not a url"]);
    expect(passwordsIn(`crate://u:${encodeURIComponent(PASSWORD)}@a,b`)).toContain(PASSWORD);
  });

  it("is a CrateDB sink URL for the Lambda function, and refused for PostgreSQL", () => {
    expect(sinkUrlProblem("crate://u:pw@a:4200,b:4200")).toBeUndefined();
    expect(sinkUrlProblem("http://a:4200,b:4200")).toBeUndefined();
    expect(sinkUrlProblem("postgresql://u:pw@a:5432,b:5432/db")).toMatch(/several hosts/);
    expect(sinkUrlProblem("crate://u:pw@a:4200,")).toMatch(/is not a URL|names no host/);
    const refused = sinkUrlProblem(`crate://u:${PASSWORD}@a:4200,b:x`) ?? "";
    expect(refused).toMatch(/is not a URL/);
    expect(refused).not.toContain(PASSWORD);
  });

  it("comes from a secret whose host lists the nodes, with or without their own ports", () => {
    const secret = (host: string) =>
      sinkUrlFromSecret(
        JSON.stringify({ engine: "cratedb", host, port: 4200, username: "u", password: PASSWORD }),
        "arn",
      );
    const resolved = secret("node1, node2:4201");
    expect(splitHosts(resolved.url).map((url) => new URL(url).host)).toEqual([
      "node1:4200",
      "node2:4201",
    ]);
    expect(resolved.sensitive).toContain(PASSWORD);
  });

  it("never shows the password, in the sink's refusal or in any text it is part of", async () => {
    const url = `crate://u:${encodeURIComponent(PASSWORD)}@127.0.0.1:1,127.0.0.1:x`;
    const error = await openSink(url).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/is not a URL/);
    expect(error?.message).not.toContain(encodeURIComponent(PASSWORD));
    expect(redactSecrets(`failed at ${url}`)).not.toContain(encodeURIComponent(PASSWORD));
  });
});

describe("CrateDbClient over several nodes", () => {
  it("spreads requests over the nodes in turn", async () => {
    const [a, b] = [await node(), await node()];
    const c = client(`http://${hostOf(a.url)},${hostOf(b.url)}`);
    for (let i = 0; i < 6; i++) await c.post(BODY, LABEL);
    expect([a.answered, b.answered]).toEqual([3, 3]);
    expect(c.where).toBe(`http://${hostOf(a.url)},${hostOf(b.url)}`);
  });

  it("sends the work of a node that refuses connections to the others at once, and uses it again once it answers", async () => {
    const [a, b] = [await node(), await node()];
    const { proxy, host } = await proxied(a);
    const c = client(`http://${host},${hostOf(b.url)}`);
    proxy.down();
    // No request fails: each that meets the dead node goes on to the other.
    for (let i = 0; i < 6; i++) await c.post(BODY, LABEL);
    expect(a.answered).toBe(0);
    expect(b.answered).toBe(6);
    expect(c.nodes().map((n) => n.up)).toEqual([false, true]);
    // Back: a probe after the backoff finds it, and it takes requests again.
    proxy.up();
    // Requests go on meanwhile: they are what finds a node due for a probe.
    const meanwhile: Promise<unknown>[] = [];
    await until("the node to be probed and taken back", () => {
      meanwhile.push(c.post(BODY, LABEL));
      return c.nodes()[0]?.up === true;
    });
    await Promise.all(meanwhile);
    const before = a.answered;
    for (let i = 0; i < 4; i++) await c.post(BODY, LABEL);
    expect(a.answered - before).toBe(2);
  });

  it("tells a hung node by the timeout: the request fails as transient, the retry goes to another node, and the hung node gets no more work", async () => {
    const b = await node();
    const silent = await hung();
    const c = client(`http://${silent},${hostOf(b.url)}`, 300);
    const errors: SinkError[] = [];
    // The first request goes to the hung node: it times out (it may have been
    // applied, which every statement of the sink allows) and is sent again.
    await withRetry(
      () => c.post(BODY, LABEL),
      { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      (error) => errors.push(error),
    );
    expect(errors.map((e) => e.code)).toEqual(["TIMEOUT"]);
    expect(errors[0]?.kind).toBe("transient");
    expect(errors[0]?.message).toMatch(/set aside and probed again later/);
    expect(c.nodes().map((n) => n.up)).toEqual([false, true]);
    // Set aside: the next requests do not wait for it.
    for (let i = 0; i < 4; i++) await c.post(BODY, LABEL);
    expect(b.answered).toBe(5);
  });

  it("with every node down, tries each once and throws the failure as transient; the first node back answers", async () => {
    const [a, b] = [await node(), await node()];
    const pa = await proxied(a);
    const pb = await proxied(b);
    const c = client(`http://${pa.host},${pb.host}`);
    pa.proxy.down();
    pb.proxy.down();
    const error = await c.post(BODY, LABEL).catch((e: unknown) => e as SinkError);
    expect(error).toBeInstanceOf(SinkError);
    expect((error as SinkError).kind).toBe("transient");
    pb.proxy.up();
    // No node is known to answer: the one whose backoff ends first is tried anyway.
    const meanwhile: Promise<unknown>[] = [];
    await until("a request to pass", () => {
      meanwhile.push(c.post(BODY, LABEL).catch(() => undefined));
      return b.answered > 0;
    });
    await Promise.all(meanwhile);
    await c.post(BODY, LABEL);
  });

  it("one node alone is tried on every attempt, as before", () => {
    const set = new NodeSet(["a"], () => Promise.reject(new Error("down")));
    set.failed("a");
    expect(set.pick()).toBe("a");
    expect(set.pick(new Set(["a"]))).toBeUndefined();
  });
});
