// A Kinesis emulator and the test PostgreSQL for a relay suite: started before
// its tests, stopped after them.

import { afterAll, beforeAll } from "vitest";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { type PgTarget, pgTarget } from "./pg-target.ts";

export interface KinesisAndPostgres {
  target: PgTarget;
  kinesis: LocalKinesis;
}

/** Call at a suite's top level; the fields are set once its tests run. */
export function kinesisAndPostgres(): KinesisAndPostgres {
  const env = {} as KinesisAndPostgres;
  beforeAll(async () => {
    [env.target, env.kinesis] = await Promise.all([pgTarget(), startKinesisLocal()]);
  });
  afterAll(async () => {
    await Promise.all([env.target?.close(), env.kinesis?.stop()]);
  });
  return env;
}
