// An outage is not bad data. `dynacrate replay` checks the sink before it
// reads anything (exit 2 naming the problem); a sink that goes away mid-run
// is waited for with backoff and the batch written again, or the replay stops
// (exit 3) with the line to resume from; never is a record dead-lettered or
// skipped for it. The sink is a real PostgreSQL behind a TCP proxy that goes
// down and comes back.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterFile } from "../../src/dead-letter/file.ts";
import { prng } from "../../src/local/prng.ts";
import { replay } from "../../src/replay/replay.ts";
import { ReplayStopped } from "../../src/replay/resume.ts";
import { singleTable } from "../../src/routing/table-routes.ts";
import { PostgresSink } from "../../src/sink/postgres.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { closedPort } from "../support/closed-port.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";
import { proxyInFront, type TcpProxy } from "../support/tcp-proxy.ts";
import { dynacrate, STACK_TRACE } from "./cli-run.ts";

let target: PgTarget;
let proxy: TcpProxy;
let proxyUrl: string;
let dir: string;
beforeAll(async () => {
  target = await pgTarget();
  ({ proxy, url: proxyUrl } = await proxyInFront(target.url));
  dir = mkdtempSync(join(tmpdir(), "dynacrate-outage-"));
});
afterAll(async () => {
  await proxy?.close();
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A capture of `lines` changes over `keys` items, every `badEvery`-th one bad; and what the table must hold. */
function workload(file: string, lines: number, keys: number, badEvery = 0) {
  const expected = new Map<string, string>();
  const bad: number[] = [];
  const out: string[] = [];
  for (let i = 1; i <= lines; i++) {
    const id = `k${i % keys}`;
    const isBad = badEvery > 0 && i % badEvery === 0;
    const price = isBad ? "NaN" : String(i);
    out.push(
      JSON.stringify(
        kinesisDynamoRecord({
          keys: { id: { S: id } },
          newImage: { id: { S: id }, price: { N: price } },
          micros: 1_720_000_000_000_000 + i,
        }),
      ),
    );
    if (isBad) bad.push(i);
    else expected.set(id, String(i));
  }
  writeFileSync(file, `${out.join("\n")}\n`);
  return { expected, bad };
}

async function prices(table: ReturnType<PgTarget["table"]>): Promise<Map<string, string>> {
  const live = await target.live(table);
  return new Map([...live].map(([id, data]) => [id, String(data.price)]));
}

/**
 * A sink through the proxy that takes the proxy down at its `downAt`-th write,
 * and calls `onDown` then.
 */
function sinkThroughProxy(downAt = 0, onDown: () => void = () => {}): Sink {
  const real = new PostgresSink({
    url: proxyUrl,
    retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 50 },
    timeoutMs: 3000,
  });
  let writes = 0;
  return {
    dialect: real.dialect,
    ensureTable: (table, keys) => real.ensureTable(table, keys),
    write: (table, rows, keys) => {
      if (++writes === downAt) {
        proxy.down();
        onDown();
      }
      return real.write(table, rows, keys);
    },
    appendHistory: (table, rows) => real.appendHistory(table, rows),
    query: (statement) => real.query(statement),
    close: () => real.close(),
  };
}

describe("the connection check before reading", () => {
  it.each([
    [
      "a closed port",
      async () => `postgresql://postgres:pw@127.0.0.1:${await closedPort()}/postgres`,
      /nothing accepts connections at 127\.0\.0\.1:\d+ \(connection refused\)/,
    ],
    [
      "an unknown host",
      async () => "postgresql://postgres:pw@no-such-host.invalid:5432/postgres",
      /unknown host no-such-host\.invalid: the name does not resolve/,
    ],
    [
      "a wrong password",
      async () => {
        const url = new URL(target.url);
        url.password = "wrong-password";
        return url.toString();
      },
      /the database refused user \w+: wrong user name or password/,
    ],
  ])("%s: exit 2, one message, nothing read or written", async (_, url, message) => {
    const file = join(dir, "check.ndjson");
    workload(file, 10, 5);
    const dlq = join(dir, "check-dlq.ndjson");
    const table = target.table("check");
    const r = await dynacrate(["replay", file, "--table", table.name, "--dlq", dlq], {
      TARGET_URL: await url(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr).not.toContain("wrong-password");
    expect(r.stdout).toBe("");
    expect(existsSync(dlq)).toBe(false);
    expect(existsSync(file)).toBe(true);
  });
});

describe("a sink that goes away during a replay", () => {
  it("is waited for, visibly, and the batch written again: nothing dead-lettered, nothing skipped", async () => {
    const file = join(dir, "wait.ndjson");
    const { expected } = workload(file, 200, 40);
    const table = target.table("wait");
    const dlqPath = join(dir, "wait-dlq.ndjson");
    const waits: string[] = [];
    const sink = sinkThroughProxy(3);
    const up = setTimeout(() => proxy.up(), 1500);
    try {
      const summary = await replay({
        file,
        sink,
        routes: singleTable(table),
        deadLetterFile: new DeadLetterFile(dlqPath, [file]),
        batchSize: 10,
        outageWaitMs: 60_000,
        onWait: (reason, _delay, line) => waits.push(`line ${line}: ${reason}`),
      });
      expect(summary.failed).toBe(0);
      expect(summary.records).toBe(200);
    } finally {
      clearTimeout(up);
      proxy.up();
      await sink.close();
    }
    expect(waits.length).toBeGreaterThan(0);
    expect(waits[0]).toMatch(/^line 21: PostgreSQL: /);
    expect(existsSync(dlqPath)).toBe(false);
    expect(await prices(table)).toEqual(expected);
  });

  it("stops when the sink stays away, names the line to resume from, and the resumed run completes the table", async () => {
    const file = join(dir, "stop.ndjson");
    const { expected, bad } = workload(file, 100, 30, 25);
    const table = target.table("stop");
    const dlqPath = join(dir, "stop-dlq.ndjson");
    const sink = sinkThroughProxy(3);
    let stopped: ReplayStopped | undefined;
    try {
      await replay({
        file,
        sink,
        routes: singleTable(table),
        deadLetterFile: new DeadLetterFile(dlqPath, [file]),
        batchSize: 10,
        outageWaitMs: 1000,
      });
    } catch (error) {
      stopped = error as ReplayStopped;
    } finally {
      await sink.close();
      proxy.up();
    }
    expect(stopped).toBeInstanceOf(ReplayStopped);
    expect(stopped?.resumeLine).toBe(21);
    expect(stopped?.reason).toMatch(/^PostgreSQL: /);
    // Lines 1-20 are applied: their only bad line (25 is later) is not there yet.
    expect(existsSync(dlqPath)).toBe(false);
    expect((await target.live(table)).size).toBe(20);

    const resumed = await dynacrate(
      ["replay", file, "--table", table.name, "--dlq", dlqPath, "--resume", "21"],
      { TARGET_URL: target.url },
    );
    expect(resumed.code).toBe(1);
    expect(resumed.stdout).toMatch(/records\s+80\n/);
    const dead = readFileSync(dlqPath, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(dead.map((d) => lineOf(d.ref))).toEqual(bad.map((i) => `line ${i}`));
    expect(await prices(table)).toEqual(expected);
  });

  it("the command says where it stopped and how to resume (exit 3)", async () => {
    const file = join(dir, "cli-stop.ndjson");
    workload(file, 30, 10);
    const table = target.table("cli_stop");
    // The check passes, then the sink goes away before the first write.
    const { proxy: late, url: lateUrl } = await proxyInFront(target.url);
    const running = dynacrate(
      ["replay", file, "--table", table.name, "--outage-wait", "1", "--batch-size", "10"],
      { TARGET_URL: lateUrl },
    );
    // The check's connection is the first: down once it is closed (or the replay's opened).
    const downAfterCheck = setInterval(() => {
      if ((late.connections >= 1 && late.open === 0) || late.connections >= 2) {
        late.down();
        clearInterval(downAfterCheck);
      }
    }, 5);
    const r = await running;
    clearInterval(downAfterCheck);
    await late.close();
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/dynacrate replay: the sink failed: PostgreSQL: /);
    expect(r.stderr).toMatch(/stopped at line 1: every line before it is applied/);
    expect(r.stderr).toMatch(
      new RegExp(
        `resume with:\\n  dynacrate replay ${file} --table ${table.name} --outage-wait 1 --batch-size 10 --resume 1\\n`,
      ),
    );
    expect(r.stderr).not.toContain(new URL(lateUrl).password);
  });

  it("property: down and up at random moments, the table ends equal to the source and the dead-letter file holds only the bad records", async () => {
    for (const seed of [1, 2, 3]) {
      const random = prng(seed);
      const file = join(dir, `random-${seed}.ndjson`);
      const { expected, bad } = workload(file, 200, 40, 37);
      const table = target.table(`random_${seed}`);
      const dlqPath = join(dir, `random-${seed}-dlq.ndjson`);
      // The first outage starts as the replay writes its first batch: a timed
      // one could come after a fast replay had ended, and meet nothing.
      let firstDown: () => void = () => {};
      const firstOutage = new Promise<void>((resolve) => {
        firstDown = resolve;
      });
      const sink = sinkThroughProxy(1, () => firstDown());
      let done = false;
      let waits = 0;
      const flapping = (async () => {
        for (let round = 0; !done; round++) {
          if (round === 0) await Promise.race([firstOutage, until(() => done)]);
          else {
            await new Promise((resolve) => setTimeout(resolve, 100 + random() * 1000));
            if (done) break;
            proxy.down();
          }
          // The first outage outlasts the sink's own retries (attempts 2, 50 ms).
          const downFor = round === 0 ? 500 + random() * 500 : 50 + random() * 500;
          await new Promise((resolve) => setTimeout(resolve, downFor));
          proxy.up();
        }
      })();
      try {
        const summary = await replay({
          file,
          sink,
          routes: singleTable(table),
          deadLetterFile: new DeadLetterFile(dlqPath, [file]),
          batchSize: 10,
          outageWaitMs: 120_000,
          onWait: () => waits++,
        });
        expect(summary.failed, `seed ${seed}`).toBe(bad.length);
        expect(waits, `seed ${seed}: the sink went away at least once`).toBeGreaterThan(0);
      } finally {
        done = true;
        await flapping;
        proxy.up();
        await sink.close();
      }
      const dead = readFileSync(dlqPath, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(
        dead.map((d) => lineOf(d.ref)),
        `seed ${seed}`,
      ).toEqual(bad.map((i) => `line ${i}`));
      expect(await prices(table), `seed ${seed}`).toEqual(expected);
    }
  });
});

/** "line 12" of a dead letter's ref ("<eventID> (line 12)"). */
/** Resolves once `condition` holds (checked every 10 ms). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

function lineOf(ref: string): string {
  return ref.replace(/^.*\((line \d+)\)$/, "$1");
}
