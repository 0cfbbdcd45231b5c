// --metrics-port and DYNACRATE_METRICS_PORT where a command can not serve
// them: a bad port is refused with the rule, a MongoDB source refuses the
// option and leaves the variable (the relay image sets it) aside with a notice,
// and --lease-seconds without --standby is refused.

import { describe, expect, it } from "vitest";
import { dynacrate } from "./cli-run.ts";

const MONGO_RELAY = [
  "relay",
  "--source",
  "mongodb://127.0.0.1:1/shop.orders",
  "--target",
  "postgresql://u@127.0.0.1:1/db",
  "--table",
  "orders",
];

/** A Kinesis relay, refused before it connects anywhere. */
const KINESIS_RELAY = [
  "relay",
  "--source",
  "kinesis://s",
  "--table",
  "t",
  "--target",
  "postgresql://u@127.0.0.1:1/db",
];

describe("the metrics options", () => {
  it("a port that is not one is refused, naming the rule", async () => {
    const result = await dynacrate([...KINESIS_RELAY, "--metrics-port", "70000"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--metrics-port must be a whole number from 0 to 65535/);
  });

  it("a MongoDB relay refuses --metrics-port and --standby", async () => {
    const metrics = await dynacrate([...MONGO_RELAY, "--metrics-port", "9464"]);
    expect(metrics.code).toBe(2);
    expect(metrics.stderr).toMatch(/a MongoDB source has no metrics endpoint yet: leave it out/);
    const standby = await dynacrate([...MONGO_RELAY, "--standby"]);
    expect(standby.code).toBe(2);
    expect(standby.stderr).toMatch(/--standby .* a MongoDB relay has no lease yet/);
  });

  it("a MongoDB relay leaves DYNACRATE_METRICS_PORT aside with a notice", async () => {
    const result = await dynacrate(MONGO_RELAY, { DYNACRATE_METRICS_PORT: "9464" });
    expect(result.stderr).toMatch(
      /DYNACRATE_METRICS_PORT is set, but a MongoDB source has no metrics endpoint yet/,
    );
  });

  it("--lease-seconds without --standby is refused", async () => {
    const result = await dynacrate([...KINESIS_RELAY, "--lease-seconds", "10"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--lease-seconds is the lease of --standby/);
  });
});
