// `dynacrate local up`: runs the stack in the foreground with several tables
// streaming into one Kinesis stream, prints a relay command line that works
// as printed (each table into a target of its name), and on Ctrl-C (SIGINT)
// stops everything it started and exits 0.

import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { localDynamoDbClient } from "../../src/local/services/aws-clients.ts";
import { leftovers } from "./processes.ts";
import { waitFor } from "./relay-process.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Splits a command line as printed (words, 'single-quoted' words, NAME=value prefixes). */
function words(line: string): string[] {
  return [...line.trim().matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) =>
    m[1] !== undefined ? m[1].replaceAll("'\\''", "'") : (m[2] as string),
  );
}

describe("dynacrate local up", () => {
  it("--tables: prints endpoints and a relay command that works as printed for every table; Ctrl-C stops everything", async () => {
    const { CRATEDB_URL: _, ...env } = process.env;
    const up = spawn(
      process.execPath,
      ["bin/dynacrate.js", "local", "up", "--tables", "things:id:S,Other-Items:Id:N"],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    up.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    up.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) =>
      up.once("close", (code) => resolve(code)),
    );
    try {
      await waitFor(
        "local up to be ready",
        () => out.includes("ready; Ctrl-C stops everything") || up.exitCode !== null,
        60_000,
      );
      expect(out, err).toContain("ready; Ctrl-C stops everything");

      const dynamodb = /^DynamoDB \(and DynamoDB Streams\): (\S+)/m.exec(out)?.[1] as string;
      const kinesis = /^Kinesis: +(\S+) +stream local-changes/m.exec(out)?.[1] as string;
      expect(out).toMatch(/tables things \(key id:S\), Other-Items \(key Id:N\)/);
      const postgresUrl = /^PostgreSQL: +(\S+)/m.exec(out)?.[1] as string;
      expect([dynamodb, kinesis, postgresUrl].every(Boolean), out).toBe(true);

      const client = localDynamoDbClient(dynamodb);
      await client.send(
        new PutItemCommand({
          TableName: "things",
          Item: { id: { S: "x" }, n: { N: "12345678901234567890.5" } },
        }),
      );
      await client.send(
        new PutItemCommand({ TableName: "Other-Items", Item: { Id: { N: "7" }, s: { S: "y" } } }),
      );
      client.destroy();

      // The printed line, run as printed from another folder, stopping when idle.
      const lines = out.split("\n");
      const printed = lines[
        lines.findIndex((l) => l.startsWith("and relay the changes")) + 1
      ] as string;
      const parts = words(printed);
      const at = parts.indexOf("node");
      expect(parts[at + 1]).toBe(join(ROOT, "bin", "dynacrate.js"));
      expect(parts.slice(0, at)).toContain("AWS_DEFAULT_REGION=us-east-1");
      const relayEnv = Object.fromEntries(
        parts.slice(0, at).map((p) => p.split("=", 2) as [string, string]),
      );
      const relay = spawn(
        process.execPath,
        [parts[at + 1] as string, ...parts.slice(at + 2), "--idle-exit", "2"],
        {
          cwd: tmpdir(),
          env: { ...env, ...relayEnv, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
          stdio: ["ignore", "ignore", "pipe"],
        },
      );
      let relayErr = "";
      relay.stderr.on("data", (chunk: Buffer) => {
        relayErr += chunk.toString();
      });
      const relayCode = await new Promise<number | null>((resolve) => relay.once("close", resolve));
      expect(relayCode, relayErr).toBe(0);
      expect(relayErr).toMatch(/relay stopped: 2 records, 2 applied/);

      const db = new pg.Client({ connectionString: postgresUrl });
      await db.connect();
      const { rows } = await db.query("SELECT pk::text AS pk, data::text AS data FROM things");
      const other = await db.query('SELECT pk::text AS pk, data::text AS data FROM "Other-Items"');
      await db.end();
      expect(rows).toEqual([{ pk: '{"id": "x"}', data: '{"n": 12345678901234567890.5}' }]);
      expect(other.rows).toEqual([{ pk: '{"Id": 7}', data: '{"s": "y"}' }]);

      up.kill("SIGINT");
      expect(await closed).toBe(0);
      expect(out).toMatch(
        /SIGINT: stopping\.\.\.\nstopped \(the bridge forwarded 2 records from 2 changes\)/,
      );
      const ports = {
        dynamodb: Number(new URL(dynamodb).port),
        kinesis: Number(new URL(kinesis).port),
        postgres: Number(new URL(postgresUrl).port),
      };
      expect(await leftovers(ports)).toEqual([]);
    } finally {
      // On a failure above: a signal the command handles, so that it still stops what it started.
      if (up.exitCode === null && up.signalCode === null) {
        up.kill("SIGTERM");
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      }
    }
  }, 90_000);
});
