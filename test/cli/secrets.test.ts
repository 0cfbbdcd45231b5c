// No secret in any output: a sink URL's password, in its user info or in a
// query parameter (password, sslpassword, token, any name with "secret" or
// "key"), is shown as *** in every message of replay, relay and the Lambda
// function's configuration error.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/lambda/config.ts";
import { redactSecrets, redactUrl } from "../../src/redact-url.ts";
import { dynacrate } from "./cli-run.ts";

const SECRETS = {
  password: "pw-in-query-1",
  sslpassword: "ssl-pw-2",
  token: "token-3",
  client_secret: "client-secret-4",
  api_key: "api-key-5",
  SecretAccessKey: "sak-6",
};
const USER_PASSWORD = "user-info-pw-0";
const ALL = [USER_PASSWORD, ...Object.values(SECRETS)];

function secretUrl(scheme: string, port: number): string {
  const query = new URLSearchParams({ ...SECRETS, sslmode: "disable" }).toString();
  return `${scheme}://alice:${USER_PASSWORD}@127.0.0.1:${port}/db?${query}`;
}

let dir: string;
let closedPort: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dynacrate-secrets-"));
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closedPort = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("secrets in sink URLs", () => {
  it("redactUrl hides each kind and keeps the rest", () => {
    const shown = redactUrl(secretUrl("postgresql", 5432));
    for (const secret of ALL) expect(shown).not.toContain(secret);
    expect(shown).toContain("alice:***@127.0.0.1:5432");
    expect(shown).toContain("sslmode=disable");
    for (const name of Object.keys(SECRETS)) expect(shown).toContain(`${name}=***`);
  });

  it("redactSecrets hides URLs and key=value pairs inside any text", () => {
    const text = `could not connect to ${secretUrl("crate", 4200)} (password=${SECRETS.password} token=${SECRETS.token})`;
    const shown = redactSecrets(text);
    for (const secret of ALL) expect(shown).not.toContain(secret);
  });

  it.each(["postgresql", "crate"])(
    "replay and relay against %s print no secret",
    async (scheme) => {
      const file = join(dir, "c.ndjson");
      writeFileSync(file, "{}\n");
      const url = secretUrl(scheme, closedPort);
      const outputs = [
        await dynacrate(["replay", file, "--table", "t", "--target", url]),
        await dynacrate(["relay", "--source", "kinesis://s", "--table", "t"], { TARGET_URL: url }),
        await dynacrate(["replay", file, "--table", "t", "--target", `${url}%zz`]),
      ];
      for (const r of outputs) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/\*\*\*/);
        for (const secret of ALL) expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
      }
    },
  );

  it("the Lambda function's configuration error prints no secret", () => {
    let message = "";
    try {
      readConfig({ TARGET_URL: secretUrl("ftp", 1) });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unknown scheme ftp:/);
    for (const secret of ALL) expect(message).not.toContain(secret);
  });

  it("a MongoDB --source the command refuses prints no part of its password, an unescaped @ in it too", async () => {
    const source = "mongodb://alice:p@ssw0rd-9@127.0.0.1:1/db";
    for (const command of ["relay", "load"]) {
      const r = await dynacrate([
        command,
        "--source",
        source,
        "--target",
        "postgresql://u@127.0.0.1:1/x",
        "--table",
        "t",
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--source must be mongodb:.*\*\*\*/);
      expect(r.stderr).not.toContain("ssw0rd-9");
    }
  });
});
