// The bridge keeps forwarding when its shard iterator goes bad: DynamoDB Local
// answers every read of an iterator taken on an empty shard with
// TrimmedDataAccessException once another table with a stream is created, and
// a bridge that retried that iterator printed the error twice a second
// forever while nothing reached Kinesis. It now starts a new iterator from the
// oldest change it has not forwarded. DynamoDB Local and the Kinesis emulator.

import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStreamingTable } from "../../src/local/services/provision.ts";
import { type Emulators, openPipe, readKinesisStream, startEmulators } from "./emulators.ts";

let emulators: Emulators;

beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(async () => {
  await emulators?.stop();
});

describe("the local bridge", () => {
  it("forwards the changes made after another streaming table was created while its shard was empty", async () => {
    const errors: string[] = [];
    const pipe = await openPipe(emulators, [{ name: "id", type: "S" }], {
      bridge: { onError: (error) => errors.push(String((error as Error)?.name ?? error)) },
    });
    try {
      // The bridge holds an iterator of the empty shard now.
      await pipe.bridge.drained(20_000);
      await createStreamingTable(emulators.clients.dynamodb, `${pipe.tableName}_other`, [
        { name: "pk", type: "S" },
      ]);
      for (const id of ["a", "b", "c"]) {
        await emulators.clients.dynamodb.send(
          new PutItemCommand({ TableName: pipe.tableName, Item: { id: { S: id } } }),
        );
      }
      await pipe.bridge.drained(20_000);
      expect(pipe.bridge.stats).toMatchObject({ read: 3, put: 3 });
      const forwarded = await readKinesisStream(emulators, pipe.streamName);
      expect(forwarded.map((r) => r.data.dynamodb.Keys.id.S).sort()).toEqual(["a", "b", "c"]);
      // Each bad iterator is replaced once, not retried: a handful of errors at most.
      expect(errors.length, errors.join("\n")).toBeLessThanOrEqual(3);
    } finally {
      await pipe.bridge.stop();
    }
  });
});
