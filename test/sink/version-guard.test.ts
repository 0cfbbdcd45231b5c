// The version guard in SQL (sql/version-order.ts) against compareVersions
// (codec/version.ts), the order the codec applies: random pairs crowded into a
// few milliseconds, of both precisions, with equal and different tie-breakers
// (the stream's sequence numbers), evaluated by PostgreSQL and, where
// CRATEDB_URL is set, by a live CrateDB. Every pair must agree.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareVersions, makeVersion } from "../../src/codec/version.ts";
import { createCrateDbHttpSink } from "../../src/sink/cratedb-http.ts";
import { newerVersion } from "../../src/sql/version-order.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

const SEED = Number(process.env.FC_SEED ?? 42);
console.log(`version-order: FC_SEED=${SEED} (set FC_SEED to replay another run)`);

const BASE_MICROS = 1_765_000_000_000_000;
/** A version near BASE_MICROS: two milliseconds, a few microseconds each, both precisions, short sequence numbers. */
const versionArb = fc
  .tuple(
    fc.constantFrom(0, 1),
    fc.constantFrom(0, 1, 999),
    fc.boolean(),
    fc.option(fc.constantFrom("0", "7", "12", "0012", "99", "100"), { nil: undefined }),
  )
  .map(([ms, us, millisecond, sequence]) =>
    millisecond
      ? makeVersion(BASE_MICROS + ms * 1000, sequence, "millisecond")
      : makeVersion(BASE_MICROS + ms * 1000 + us, sequence),
  );
const pairs = fc.sample(fc.tuple(versionArb, versionArb), { seed: SEED, numRuns: 2000 });
const expected = pairs.map(([a, b]) => compareVersions(a, b) > 0);

it("the sample holds the pairs the rule is about: the same millisecond, other marks, other ties", () => {
  const special = pairs.filter(
    ([a, b]) => a.slice(0, 14) === b.slice(0, 14) && a[17] !== b[17] && a.slice(18) !== b.slice(18),
  );
  expect(special.length).toBeGreaterThan(100);
  // And among them, pairs where the ties and the plain text disagree.
  expect(special.some(([a, b]) => a.slice(18) > b.slice(18) !== a > b)).toBe(true);
});

describe("on PostgreSQL", () => {
  let target: PgTarget;
  beforeAll(async () => {
    target = await pgTarget();
  });
  afterAll(async () => {
    await target?.close();
  });

  it("orders every pair as compareVersions does", async () => {
    const rows = await target.sink.query<{ newer: boolean }>({
      sql: `SELECT ${newerVersion("x.a", "x.b")} AS newer FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(a, b, n) ORDER BY x.n`,
      params: [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    });
    expect(rows.map((r) => r.newer)).toEqual(expected);
  });
});

const url = process.env.CRATEDB_URL;
const SKIP_REASON =
  "CRATEDB_URL is not set, so no live CrateDB is available; set it (../shared/cratedb/start) to run this suite";
if (!url) console.log(`version-guard.test.ts (CrateDB) skipped: ${SKIP_REASON}`);

describe.skipIf(!url)(`on a live CrateDB${url ? "" : ` (skipped: ${SKIP_REASON})`}`, () => {
  it("orders every pair as compareVersions does", async () => {
    const sink = createCrateDbHttpSink({ url: url as string });
    try {
      const rows = await sink.query<{ n: number; newer: boolean }>({
        sql: `SELECT n, ${newerVersion("a", "b")} AS newer FROM UNNEST(?, ?, ?) AS x(a, b, n) ORDER BY n`,
        params: [pairs.map((p) => p[0]), pairs.map((p) => p[1]), pairs.map((_, i) => i)],
      });
      expect(rows.map((r) => r.newer)).toEqual(expected);
    } finally {
      await sink.close();
    }
  });
});
