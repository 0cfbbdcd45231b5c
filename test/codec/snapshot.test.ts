// The version rule of a snapshot (a full load): its rows rank below every
// change made at or after its cut, on both change streams, and a stream
// change made before the cut ranks below them unless it is inside the relay's
// window (G13 in docs/SEMANTICS.md). Checked on the versions parse-change
// builds from real record shapes, over random times.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseChange } from "../../src/codec/parse-change.ts";
import { snapshotChange, snapshotCutSecondMs, snapshotVersion } from "../../src/codec/snapshot.ts";
import { RecordError } from "../../src/errors.ts";

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261130;

function kinesisVersion(ms: number, micro: number, sequence: string): string {
  return parseChange(
    {
      eventSource: "aws:dynamodb",
      eventName: "MODIFY",
      dynamodb: {
        ApproximateCreationDateTime: ms * 1000 + micro,
        ApproximateCreationDateTimePrecision: "MICROSECOND",
        Keys: { id: { S: "a" } },
        NewImage: { id: { S: "a" } },
      },
    },
    { position: sequence },
  ).version;
}

function kinesisMillisVersion(ms: number, sequence: string): string {
  return parseChange(
    {
      eventSource: "aws:dynamodb",
      eventName: "MODIFY",
      dynamodb: {
        ApproximateCreationDateTime: ms,
        Keys: { id: { S: "a" } },
        NewImage: { id: { S: "a" } },
      },
    },
    { position: sequence },
  ).version;
}

function streamsVersion(ms: number, sequence: string): string {
  return parseChange({
    eventSource: "aws:dynamodb",
    eventName: "REMOVE",
    dynamodb: {
      // DynamoDB Streams stamps whole seconds, rounded down.
      ApproximateCreationDateTime: Math.floor(ms / 1000),
      SequenceNumber: sequence,
      Keys: { id: { S: "a" } },
    },
  }).version;
}

const times = fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 });
const later = fc.integer({ min: 0, max: 86_400_000 });
const sequence = fc.bigInt({ min: 0n, max: 10n ** 40n - 1n }).map(String);

describe("snapshot versions (G13)", () => {
  it("rank below every change made at or after the cut, on Kinesis (ms and us) and DynamoDB Streams", () => {
    fc.assert(
      fc.property(
        times,
        later,
        fc.integer({ min: 0, max: 999 }),
        sequence,
        (cut, after, micro, seq) => {
          const snapshot = snapshotVersion(cut);
          const at = cut + after;
          expect(snapshot < kinesisVersion(at, micro, seq)).toBe(true);
          expect(snapshot < kinesisMillisVersion(at, seq)).toBe(true);
          expect(snapshot < streamsVersion(at, seq)).toBe(true);
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it("rank above every change made before the second before the cut's whole second, where the relay starts", () => {
    fc.assert(
      fc.property(times, fc.integer({ min: 1, max: 86_400_000 }), sequence, (cut, before, seq) => {
        const relayStart = snapshotCutSecondMs(cut) - 1000;
        const at = relayStart - before;
        const snapshot = snapshotVersion(cut);
        expect(kinesisMillisVersion(at, seq) < snapshot).toBe(true);
        expect(streamsVersion(at, seq) < snapshot).toBe(true);
      }),
      { seed, numRuns: 500 },
    );
  });

  it("is the same for every row of one snapshot, with no tie-breaker", () => {
    expect(snapshotVersion(1_700_000_000_500)).toBe("01699999999999999.000");
    expect(snapshotVersion(1_700_000_000_000)).toBe(snapshotVersion(1_700_000_000_999));
  });
});

describe("snapshotChange", () => {
  const snapshot = { keyNames: ["id", "sk"], cutMs: 1_700_000_000_000 };

  it("turns an item into an INSERT of a full load, its key picked by the key schema", () => {
    const item = {
      id: { S: "a" },
      sk: { N: "12345678901234567890123456789012345678" },
      v: { BOOL: true },
    };
    const change = snapshotChange(item, snapshot, "segment 0 page 1 item 0");
    expect(change).toMatchObject({
      operation: "insert",
      source: "full-load",
      keys: { id: { S: "a" }, sk: { N: "12345678901234567890123456789012345678" } },
      newImage: item,
      version: snapshotVersion(snapshot.cutMs),
      ref: "segment 0 page 1 item 0",
    });
  });

  it("names the item and the field when a key attribute is missing or of a type keys can not have", () => {
    expect(() => snapshotChange({ id: { S: "a" } }, snapshot, "data/x.json.gz line 7")).toThrow(
      new RecordError(
        "data/x.json.gz line 7",
        "Item.sk",
        "key attribute sk is missing; the table's key is id, sk",
      ),
    );
    const error = (() => {
      try {
        snapshotChange({ id: { S: "a" }, sk: { BOOL: true } }, snapshot, "line 3");
      } catch (e) {
        return e as RecordError;
      }
    })();
    expect(error).toBeInstanceOf(RecordError);
    expect(error?.field).toBe("Item.sk");
    expect(error?.message).toMatch(/key attributes are S, N or B/);
  });
});
