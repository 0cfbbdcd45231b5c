// What the commands that read AWS (load, relay, verify) share: one client
// configuration for a region and an endpoint, and one way to turn the AWS
// SDK's errors into a SourceError of one clear line.

import { NodeHttpHandler } from "@smithy/node-http-handler";
import { DynacrateError, SourceError } from "../errors.ts";
import { networkProblem } from "../network-problem.ts";

/** An AWS SDK client's settings: the region when given, an endpoint (an emulator) when given. */
export function awsClientConfig(
  region: string | undefined,
  endpoint: string | undefined,
): { region?: string; endpoint?: string; requestHandler?: NodeHttpHandler } {
  return {
    ...(region ? { region } : {}),
    // Emulators answer the SDK's HTTP/2 handler with "Protocol error"; HTTP/1.1 works everywhere.
    ...(endpoint ? { endpoint, requestHandler: new NodeHttpHandler() } : {}),
  };
}

/** AWS SDK errors (access denied, unknown endpoint) become one clear line, not a stack trace. */
export function asSourceError(error: unknown): unknown {
  if (error instanceof DynacrateError) return error;
  // A refused or silent endpoint, said as a sink's is (Node's network errors carry address and port).
  const e = error as { address?: unknown; port?: unknown; hostname?: unknown };
  const at = typeof e.address === "string" ? `${e.address}:${e.port ?? ""}` : undefined;
  const host = typeof e.hostname === "string" ? e.hostname : (at ?? "the endpoint");
  const unreachable = networkProblem(error, {
    host,
    at: at ?? host,
    what: "the AWS endpoint (--endpoint)",
  });
  if (unreachable) return new SourceError(`can not reach AWS: ${unreachable}`, { cause: error });
  if (error instanceof Error)
    return new SourceError(`${error.name}: ${error.message}`, { cause: error });
  return error;
}
