// A CrateDB cluster that loses a node in the middle of a replay (G17): the
// sink names both nodes in its URL, and when one is killed (SIGKILL) or hangs
// (SIGSTOP for 20 s, then SIGCONT) its work goes to the other. The table ends
// equal to the source, nothing is dead-lettered, the replay never stops, and
// the node that comes back takes requests again. Runs on a two-node cluster it
// starts itself (test/support/cratedb-cluster.ts); without a start script it
// says why it is skipped.
//
// Which node goes: in a cluster of two master-eligible nodes, CrateDB's voting
// configuration holds one of them (the elected master), so the other can not
// elect itself when the master goes, and writes wait until it is back (seen on
// 6.4.3: "master not discovered or elected yet, an election requires a node
// with id ..."). The test takes the other node away, the loss two nodes
// survive; a cluster that must survive the loss of any node has three.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterFile } from "../../src/dead-letter/file.ts";
import { replay } from "../../src/replay/replay.ts";
import { singleTable } from "../../src/routing/table-routes.ts";
import { openSink } from "../../src/sink/open-sink.ts";
import type { Sink } from "../../src/sink/sink.ts";
import { cratedb } from "../../src/sql/cratedb.ts";
import { stateTable, type TableName } from "../../src/sql/table-name.ts";
import {
  type CrateDbCluster,
  clusterStartScript,
  signal,
  startCluster,
} from "../support/cratedb-cluster.ts";
import { kinesisDynamoRecord } from "../support/fixtures.ts";

const start = clusterStartScript();
const SKIP_REASON = "reason" in start ? start.reason : undefined;
if (SKIP_REASON) console.log(`cratedb-node-loss.test.ts skipped: ${SKIP_REASON}`);

/** Records in the capture; changes to KEYS items, every 7th a delete. */
const RECORDS = 6_000;
const KEYS = 1_000;
const BATCH = 200;
/** The sink's timeout in these tests: a stopped node is taken for hung after 5 s, not 30. */
const TIMEOUT_MS = 5_000;
const STOPPED_MS = 20_000;

describe.skipIf(SKIP_REASON !== undefined)(
  `a CrateDB cluster losing a node mid-replay (${SKIP_REASON ? `skipped: ${SKIP_REASON}` : "two nodes"})`,
  () => {
    let cluster: CrateDbCluster;
    let dir: string;
    beforeAll(async () => {
      cluster = await startCluster((start as { script: string }).script);
      dir = mkdtempSync(join(tmpdir(), "dynacrate-node-loss-"));
    }, 240_000);
    afterAll(async () => {
      await cluster?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The sink over `urls`, as a user writes it: crate://host1:port,host2:port. */
    function clusterSink(urls: string[]): Promise<Sink> {
      const hosts = urls.map((url) => new URL(url).host).join(",");
      return openSink(`crate://${hosts}`, {
        timeoutMs: TIMEOUT_MS,
        retry: { attempts: 4, baseDelayMs: 200, maxDelayMs: 2_000 },
      });
    }

    /** The node that is not the elected master (see the header): its index in cluster.urls. */
    async function nonMaster(sink: Sink): Promise<number> {
      const [row] = await sink.query<{ name: string }>({
        sql: "SELECT n.name FROM sys.nodes n, sys.cluster c WHERE n.id = c.master_node",
        params: [],
      });
      const master = Number(row?.name.replace("node", "")) - 1;
      return master === 0 ? 1 : 0;
    }

    /** A capture file, and the price each live item must end with. */
    function capture(name: string): { file: string; expected: Map<string, string> } {
      const expected = new Map<string, string>();
      const lines: string[] = [];
      for (let i = 1; i <= RECORDS; i++) {
        const id = `k${i % KEYS}`;
        const micros = 1_720_000_000_000_000 + i;
        if (i % 7 === 0) {
          lines.push(
            JSON.stringify(
              kinesisDynamoRecord({ keys: { id: { S: id } }, eventName: "REMOVE", micros }),
            ),
          );
          expected.delete(id);
        } else {
          const newImage = { id: { S: id }, price: { N: String(i) }, note: { S: "x".repeat(200) } };
          lines.push(
            JSON.stringify(kinesisDynamoRecord({ keys: { id: { S: id } }, newImage, micros })),
          );
          expected.set(id, String(i));
        }
      }
      const file = join(dir, `${name}.ndjson`);
      writeFileSync(file, `${lines.join("\n")}\n`);
      return { file, expected };
    }

    async function prices(sink: Sink, table: TableName): Promise<Map<string, string>> {
      await sink.query({
        sql: `REFRESH TABLE ${cratedb.quoteTable(stateTable(table))}`,
        params: [],
      });
      const rows = await sink.query<{ id: string; price: number }>({
        sql: `SELECT pk['id'] AS id, data['price'] AS price FROM ${cratedb.quoteTable(table)}`,
        params: [],
      });
      return new Map(rows.map((row) => [row.id, String(row.price)]));
    }

    /** How many upserts into `table` each node coordinated, from `since` on. */
    async function upsertsByNode(
      sink: Sink,
      table: TableName,
      since = 0,
    ): Promise<Map<string, number>> {
      const rows = await sink.query<{ node: string; n: number }>({
        sql:
          "SELECT node['name'] AS node, count(*) AS n FROM sys.jobs_log " +
          "WHERE stmt LIKE ? AND error IS NULL AND ended >= ? GROUP BY node['name']",
        params: [`INSERT INTO ${cratedb.quoteTable(stateTable(table))}%`, since],
      });
      return new Map(rows.map((row) => [row.node, Number(row.n)]));
    }

    /**
     * Replays a capture through a sink over both nodes; `takeAway(node)` is
     * called once a third of the records are applied. Returns the sink, open.
     */
    async function replayLosing(
      name: string,
      takeAway: (pid: number, node: string) => void,
    ): Promise<{
      sink: Sink;
      table: TableName;
      node: string;
      file: string;
      expected: Map<string, string>;
    }> {
      const table: TableName = { schema: undefined, name: `node_loss_${name}_${Date.now()}` };
      const { file, expected } = capture(name);
      const dlq = join(dir, `${name}-dlq.ndjson`);
      const any = await clusterSink(cluster.urls);
      const victim = await nonMaster(any);
      await any.close();
      // The node that goes first in the URL: a sink that kept to its first host would wait for it.
      const sink = await clusterSink([victim, 1 - victim].map((i) => cluster.urls[i] as string));
      const node = `node${victim + 1}`;
      let taken = false;
      const summary = await replay({
        file,
        sink,
        routes: singleTable(table),
        keySchema: [{ name: "id", type: "S" }],
        deadLetterFile: new DeadLetterFile(dlq, [file]),
        batchSize: BATCH,
        outageWaitMs: 180_000,
        progress: {
          update(records) {
            if (!taken && records >= RECORDS / 3) {
              taken = true;
              takeAway(cluster.pids[victim] as number, node);
            }
          },
          done() {},
        },
      });
      expect(taken).toBe(true);
      expect(summary.records).toBe(RECORDS);
      expect(summary.failed).toBe(0);
      expect(existsSync(dlq)).toBe(false);
      expect(await prices(sink, table)).toEqual(expected);
      return { sink, table, node, file, expected };
    }

    it("a node stopped for 20 s (hung: it accepts connections and answers nothing), then continued: the table equals the source, nothing dead-lettered, and the node takes requests again", async () => {
      let continued: () => void = () => {};
      const back = new Promise<void>((resolve) => {
        continued = resolve;
      });
      let continuedAt = 0;
      let timer: NodeJS.Timeout | undefined;
      const { sink, table, node, file, expected } = await replayLosing("stop", (pid) => {
        signal(pid, "SIGSTOP");
        timer = setTimeout(() => {
          signal(pid, "SIGCONT");
          continuedAt = Date.now();
          continued();
        }, STOPPED_MS);
      });
      try {
        // Both nodes coordinated upserts before the stop.
        expect((await upsertsByNode(sink, table)).size).toBe(2);
        await back;
        // Writes go on (the capture's last lines again: the version guard keeps
        // every row as it is) until the node, probed after its backoff, takes one.
        const again = join(dir, "again.ndjson");
        writeFileSync(
          again,
          readFileSync(file, "utf8")
            .split("\n")
            .slice(-2 * BATCH)
            .join("\n"),
        );
        const deadline = Date.now() + 90_000;
        while (((await upsertsByNode(sink, table, continuedAt)).get(node) ?? 0) === 0) {
          expect(Date.now(), `${node} took no upsert after it was continued`).toBeLessThan(
            deadline,
          );
          await replay({ file: again, sink, routes: singleTable(table), batchSize: BATCH });
        }
        expect(await prices(sink, table)).toEqual(expected);
      } finally {
        clearTimeout(timer);
        await sink.close();
      }
    }, 170_000);

    it("a node killed (SIGKILL): the table equals the source, nothing dead-lettered", async () => {
      // The cluster is thrown away after the suite: its tables go with it.
      const { sink } = await replayLosing("kill", (pid) => signal(pid, "SIGKILL"));
      await sink.close();
    }, 120_000);
  },
);
