// Relay checkpoints belong to (stream, shard, target table): a second relay of
// the same stream into another table reads every record; a target dropped
// after its checkpoints stops the relay with a message, and
// --reset-checkpoints starts over; checkpoints of the earlier layout (keyed
// by stream and shard only) are carried over to the target that holds rows.
// A real Kinesis emulator and PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localKinesisClient } from "../../src/local/services/aws-clients.ts";
import { type LocalKinesis, startKinesisLocal } from "../../src/local/services/kinesis-local.ts";
import { createKinesisStream } from "../../src/local/services/provision.ts";
import { ApplyPipeline } from "../../src/pipeline/apply-pipeline.ts";
import { CheckpointMismatchError } from "../../src/relay/checkpoint-store.ts";
import { runRelay } from "../../src/relay/relay.ts";
import { KinesisSource } from "../../src/source/kinesis.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { putItems } from "../support/put-items.ts";

let target: PgTarget;
let kinesis: LocalKinesis;
let client: ReturnType<typeof localKinesisClient>;
beforeAll(async () => {
  [target, kinesis] = await Promise.all([pgTarget(), startKinesisLocal()]);
  client = localKinesisClient(kinesis.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([target?.close(), kinesis?.stop()]);
});

const RECORDS = 12;

async function stream(name: string): Promise<KinesisSource> {
  await createKinesisStream(client, name, 1);
  await putItems(client, name, RECORDS);
  return new KinesisSource(client, name);
}

function relay(source: KinesisSource, table: TableName, options: { reset?: boolean } = {}) {
  const notices: string[] = [];
  const run = runRelay({
    source,
    pipeline: new ApplyPipeline(target.sink, { table }),
    from: { type: "trim-horizon" },
    pollMs: 50,
    idleExitMs: 1500,
    resetCheckpoints: options.reset ?? false,
    onNotice: (message) => notices.push(message),
  });
  return { run, notices };
}

describe("relay checkpoints per target table", () => {
  it("a second relay of the same stream into another table reads every record", async () => {
    const source = await stream("two-targets");
    const first = target.table("first");
    const second = target.table("second");
    expect((await relay(source, first).run).records).toBe(RECORDS);
    expect((await relay(source, second).run).records).toBe(RECORDS);
    expect((await target.live(second)).size).toBe(RECORDS);
    // Each resumes from its own checkpoints.
    expect((await relay(source, first).run).records).toBe(0);
  });

  it("a target dropped after its checkpoints: a clear error, and --reset-checkpoints starts over", async () => {
    const source = await stream("dropped");
    const table = target.table("dropped");
    expect((await relay(source, table).run).records).toBe(RECORDS);
    await target.sink.query({
      sql: `DROP TABLE ${target.sink.dialect.quoteTable(stateTable(table))} CASCADE`,
      params: [],
    });
    const again = relay(source, table).run;
    await expect(again).rejects.toBeInstanceOf(CheckpointMismatchError);
    await expect(again).rejects.toThrow(/does not exist.*--reset-checkpoints/);
    const reset = relay(source, table, { reset: true });
    expect((await reset.run).records).toBe(RECORDS);
    expect(reset.notices.join("\n")).toMatch(/starting over/);
    expect((await target.live(table)).size).toBe(RECORDS);
  });

  it("--reset-checkpoints with no checkpoints to forget (a load's first hand-off) says nothing of forgetting", async () => {
    const source = await stream("fresh-reset");
    const reset = relay(source, target.table("fresh_reset"), { reset: true });
    expect((await reset.run).records).toBe(RECORDS);
    expect(reset.notices.join("\n")).not.toMatch(/forgotten/);
  });

  it("an emptied target is reported too", async () => {
    const source = await stream("emptied");
    const table = target.table("emptied");
    expect((await relay(source, table).run).records).toBe(RECORDS);
    await target.sink.query({
      sql: `DELETE FROM ${target.sink.dialect.quoteTable(stateTable(table))}`,
      params: [],
    });
    await expect(relay(source, table).run).rejects.toThrow(/is empty/);
  });

  it("checkpoints of the earlier layout are carried over to the target that holds rows, once", async () => {
    const source = await stream("legacy");
    const table = target.table("legacy");
    expect((await relay(source, table).run).records).toBe(RECORDS);
    // Move this target's checkpoints into the earlier layout, as an older relay left them.
    await target.sink.query({
      sql:
        "CREATE TABLE IF NOT EXISTS dynacrate_checkpoints (stream text NOT NULL, shard text NOT NULL, position text, " +
        "finished boolean NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (stream, shard))",
      params: [],
    });
    await target.sink.query({
      sql:
        "INSERT INTO dynacrate_checkpoints SELECT stream, shard, position, finished, updated_at " +
        "FROM dynacrate_target_checkpoints WHERE stream = $1",
      params: [source.id],
    });
    await target.sink.query({
      sql: "DELETE FROM dynacrate_target_checkpoints WHERE stream = $1",
      params: [source.id],
    });
    const resumed = relay(source, table);
    expect((await resumed.run).records).toBe(0);
    expect(resumed.notices.join("\n")).toMatch(/carried over from dynacrate_checkpoints/);
    // Another target does not take them: it reads the stream from the start.
    expect((await relay(source, target.table("legacy2")).run).records).toBe(RECORDS);
  });
});
