// `dynacrate load --table-map`: the source table of a load is known (the one
// scanned, or the one an export's manifest names), so the map places it as it
// places that table's changes on replay and the relay; a table the map does
// not name stops the load before anything is read or created (exit 2, naming
// the option). Exports in the DYNAMODB_JSON layout, loaded into PostgreSQL.

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeExport } from "../../src/local/services/export-files.ts";
import { dynacrate, STACK_TRACE } from "../cli/cli-run.ts";
import { type PgTarget, pgTarget } from "../support/pg-target.ts";

let target: PgTarget;
let dir: string;
let folder: string;
const ITEMS = [1, 2, 3, 4].map((i) => ({ id: { S: `k${i}` }, v: { N: String(i * 10) } }));

beforeAll(async () => {
  target = await pgTarget();
  dir = mkdtempSync(join(tmpdir(), "dynacrate-load-map-"));
  ({ folder } = writeExport(join(dir, "orders"), ITEMS, {
    tableName: "orders",
    exportTime: new Date(Date.now() - 60_000),
    files: 2,
  }));
});
afterAll(async () => {
  await target?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function relations(prefix: string): Promise<string[]> {
  const rows = await target.sink.query<{ relname: string }>({
    sql: "SELECT relname FROM pg_class WHERE starts_with(relname, $1) ORDER BY 1",
    params: [prefix],
  });
  return rows.map((r) => r.relname);
}

describe("dynacrate load --table-map", () => {
  it("loads the export's table into its mapped target, and only there", async () => {
    const orders = target.table("mapped_orders");
    const customers = target.table("mapped_customers");
    const dlq = join(dir, "mapped.dlq");
    const r = await dynacrate(
      [
        "load",
        "--source",
        folder,
        "--table-map",
        `orders=${orders.name},customers=${customers.name}`,
        "--key",
        "id:S",
        "--dlq",
        dlq,
      ],
      { TARGET_URL: target.url },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`table ${orders.name}\n`);
    expect(r.stdout).toMatch(/applied\s+4\n/);
    const live = await target.live(orders);
    expect([...live.keys()].sort()).toEqual(["k1", "k2", "k3", "k4"]);
    expect(live.get("k3")).toEqual({ v: 30 });
    expect(await relations(customers.name)).toEqual([]);
    expect(existsSync(dlq)).toBe(false);
  });

  it("a table the map does not name: exit 2 naming the table and --table-map, nothing read or created", async () => {
    const customers = target.table("only_customers");
    const dlq = join(dir, "unmapped.dlq");
    const r = await dynacrate(
      [
        "load",
        "--source",
        folder,
        "--table-map",
        `customers=${customers.name}`,
        "--key",
        "id:S",
        "--dlq",
        dlq,
      ],
      { TARGET_URL: target.url },
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "dynacrate load: the table loaded, orders, is not in --table-map (it maps customers): add orders=<target table> to --table-map. Nothing was read or written.\n",
    );
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(await relations(customers.name)).toEqual([]);
    expect(existsSync(dlq)).toBe(false);
  });

  it("a {table} template names the target after the table loaded; --route is refused for a load", async () => {
    const prefix = `tpl_${process.pid}`;
    const r = await dynacrate(
      ["load", "--source", folder, "--table", `${prefix}_{table}`, "--key", "id:S"],
      { TARGET_URL: target.url },
    );
    expect(r.code, r.stderr).toBe(0);
    expect((await target.live({ schema: undefined, name: `${prefix}_orders` })).size).toBe(4);

    const routed = await dynacrate(
      ["load", "--source", folder, "--route", "id^k=routed", "--key", "id:S"],
      { TARGET_URL: target.url },
    );
    expect(routed.code).toBe(2);
    expect(routed.stderr).toContain("--route places records by their attributes");
  });
});
