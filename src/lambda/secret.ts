// The sink URL from an AWS Secrets Manager secret, fetched once per container
// (a cold start pays one GetSecretValue; warm invocations none), so that no
// password sits in the function's plain configuration.
//
// The secret's text is one of:
//   - a sink URL: `postgresql://user:pass@host:5432/db`, `crate://user:pass@host:4200?ssl=true`
//   - JSON with `url`: `{"url": "crate://..."}`
//   - the RDS-style JSON Secrets Manager writes for databases:
//     `{"engine": "postgres", "host", "port", "username", "password", "dbname"}`,
//     with `engine: "cratedb"` (and optionally `ssl: true`) for CrateDB, whose
//     `host` may list the nodes of a cluster: `"node1,node2"`.

import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import * as v from "valibot";
import { CacheUntilFailure } from "../cache-until-failure.ts";
import { check, configError } from "../config-schema.ts";
import { ConfigError } from "../errors.ts";
import { passwordsIn } from "../sink/host-list.ts";
import { parseWholeNumber } from "../whole-number.ts";
import { sinkUrlProblem } from "./config.ts";

/** What fetching needs of a Secrets Manager client; tests point a real client at a fake endpoint. */
export type SecretsClient = Pick<SecretsManagerClient, "send">;

export interface ResolvedSecret {
  url: string;
  /** The strings that must never reach a log: the password and the secret's whole text. */
  sensitive: string[];
}

const cache = new CacheUntilFailure<string, ResolvedSecret>();

/**
 * The sink URL in a secret. Fetched once per container; a failed fetch is not
 * kept, so the next invocation tries again.
 */
export function resolveSecret(secretId: string, client?: SecretsClient): Promise<ResolvedSecret> {
  return cache.get(secretId, () => fetchSecret(secretId, client));
}

/** Drops a cached secret, e.g. after the database refused its password (the secret may have been rotated). */
export function forgetSecret(secretId: string): void {
  cache.forget(secretId);
}

async function fetchSecret(secretId: string, client?: SecretsClient): Promise<ResolvedSecret> {
  // Loaded on demand: a function configured with TARGET_URL never pays for the client at cold start.
  const sdk = await import("@aws-sdk/client-secrets-manager");
  const secrets = client ?? new sdk.SecretsManagerClient({});
  let text: string | undefined;
  try {
    const output = await secrets.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
    text = output.SecretString;
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new ConfigError(
      `TARGET_SECRET_ARN ${secretId}: GetSecretValue failed (${e.name ?? "Error"}: ${e.message ?? String(error)}); ` +
        "check the ARN and that the function's role may call secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer managed key)",
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new ConfigError(
      `TARGET_SECRET_ARN ${secretId}: the secret holds binary data; store the sink URL or the database JSON as text`,
    );
  }
  return sinkUrlFromSecret(text, secretId);
}

const isCrate = (engine: string | undefined) =>
  engine?.toLowerCase() === "cratedb" || engine?.toLowerCase() === "crate";

const ENGINES = ["postgres", "postgresql", "aurora-postgresql", "cratedb", "crate"];

/** The database JSON of an RDS secret, or one written by hand ({"engine": "cratedb", ...}). */
const DATABASE_JSON = v.looseObject(
  {
    engine: v.optional(
      v.pipe(
        v.unknown(),
        v.check(
          (engine) => typeof engine === "string" && ENGINES.includes(engine.toLowerCase()),
          (issue) =>
            `engine ${JSON.stringify(issue.input)} is not supported; use "postgres" or "cratedb"`,
        ),
        v.transform((engine) => engine as string),
      ),
    ),
    host: v.pipe(v.string('"host" is missing'), v.nonEmpty('"host" is missing')),
    port: v.optional(
      v.pipe(
        v.union([v.string(), v.number()], '"port" must be a port number'),
        v.check(
          (port) => parseWholeNumber(port, 1, 65535) !== undefined,
          '"port" must be a port number',
        ),
      ),
    ),
    username: v.pipe(v.string('"username" is missing'), v.nonEmpty('"username" is missing')),
    password: v.string('"password" is missing'),
    dbname: v.optional(v.string('"dbname" must be text')),
  },
  (issue) => `"${String(issue.path?.[0]?.key)}" is missing`,
);

/** Reads a secret's text; throws one ConfigError listing every problem, never echoing the password. */
export function sinkUrlFromSecret(text: string, secretId: string): ResolvedSecret {
  const where = `TARGET_SECRET_ARN ${secretId}`;
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return checked(trimmed, [text], where);

  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`${where}: the secret starts with "{" but is not a JSON object`);
  const json = parsed as Record<string, unknown>;
  const sensitive = [text, ...(typeof json.password === "string" ? [json.password] : [])];
  if (typeof json.url === "string") return checked(json.url, sensitive, where);

  const result = check(DATABASE_JSON, json, "(secret)", (_key, message) => message);
  if (!result.ok) {
    throw configError(
      () =>
        `${where}: the secret is neither a sink URL nor usable database JSON ({"url": ...} or ` +
        `{"engine", "host", "port", "username", "password", "dbname"})`,
      result.problems,
    );
  }
  const { engine, host, username, password, dbname } = result.value;
  const crate = isCrate(engine);
  const port = result.value.port === undefined ? (crate ? 4200 : 5432) : Number(result.value.port);
  const user = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`;
  const url = crate
    ? `crate://${user}@${crateHosts(host, port)}${json.ssl === true || json.ssl === "true" ? "?ssl=true" : ""}`
    : `postgresql://${user}@${bracketed(host)}:${port}/${encodeURIComponent(dbname ?? "postgres")}` +
      (typeof json.sslmode === "string" ? `?sslmode=${encodeURIComponent(json.sslmode)}` : "");
  return checked(url, sensitive, where);
}

/** An IPv6 address in brackets, as a URL writes it. */
function bracketed(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * `host` of a CrateDB secret as a URL's hosts: one host, or the nodes of a
 * cluster (`"node1,node2"`, or with their own ports `"node1:4200,node2:4201"`),
 * each without a port taking `port`.
 */
function crateHosts(host: string, port: number): string {
  return host
    .split(",")
    .map((entry) => entry.trim())
    .map((entry) =>
      /^([^:]+|\[[^\]]+\]):\d+$/.test(entry) ? entry : `${bracketed(entry)}:${port}`,
    )
    .join(",");
}

function checked(url: string, sensitive: string[], where: string): ResolvedSecret {
  // The secret's text is not quoted: it may be a bare password put there by mistake.
  const problem = sinkUrlProblem(url, false);
  if (problem)
    throw new ConfigError(`${where}: ${problem} (the secret's text is not repeated here)`);
  return { url, sensitive: [...sensitive, ...passwordsIn(url)].filter((s) => s !== "") };
}
