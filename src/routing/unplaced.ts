// When the routes can place none of a source's records: a --table-map whose
// entries name no table the stream carries (a typo: Froum=forum_map for table
// Forum), or a --source-table of another table. Every record would be
// dead-lettered and the checkpoints would move past them, so the relay stops
// before it moves one and a replay says so first. These build the one message
// for both, naming the tables seen and the routes as given.

import { nearName } from "../near-name.ts";
import { formatTableName, tableNameText } from "../sql/table-name.ts";
import { isTemplate, type TableRoutes } from "./table-routes.ts";

/** The routes as the user gave them: `--table-map Froum=forum_map`. */
export function routesText(routes: TableRoutes): string {
  const { names } = routes;
  const parts: string[] = [];
  if (routes.map)
    parts.push(
      `${names.map} ${[...routes.map].map(([s, t]) => `${s}=${tableNameText(t)}`).join(",")}`,
    );
  if (routes.table) parts.push(`${names.table} ${formatTableName(routes.table)}`);
  if (routes.sourceTable !== undefined) parts.push(`${names.sourceTable} ${routes.sourceTable}`);
  for (const route of routes.routes ?? []) parts.push(`${names.route} ${route.text}`);
  return parts.join(" ");
}

/**
 * Why the routes place no record of table `source`, with the likely fix; undefined
 * when they may place some (routes by attribute can not be judged by the table alone).
 */
export function tableRefusal(routes: TableRoutes, source: string): string | undefined {
  const { names } = routes;
  if (routes.routes?.length) return undefined;
  if (routes.map) {
    if (routes.map.has(source)) return undefined;
    const near = nearName(source, routes.map.keys());
    const target = near === undefined ? undefined : routes.map.get(near);
    return `${names.map} does not map ${source}${
      target ? `; did you mean ${source}=${tableNameText(target)} (it says ${near})?` : ""
    }`;
  }
  if (routes.table && !isTemplate(routes.table) && routes.sourceTable !== undefined) {
    if (routes.sourceTable === source) return undefined;
    return `${names.table} ${formatTableName(routes.table)} takes only table ${routes.sourceTable} (${names.sourceTable}); did you mean ${names.sourceTable} ${source}?`;
  }
  return undefined;
}

/**
 * The message of a run that stops because the routes place none of the
 * tables seen, or undefined when they place some. `where` says what was seen
 * ("dynamodb-streams://Forum carries", "the first batch of shard-0 holds"),
 * `outcome` what the run did about it ("Nothing was read.").
 */
export function nonePlacedMessage(
  routes: TableRoutes,
  tables: string[],
  where: string,
  outcome: string,
): string | undefined {
  if (tables.length === 0) return undefined;
  const reasons = tables.map((t) => tableRefusal(routes, t));
  if (reasons.some((r) => r === undefined)) return undefined;
  const why = `${where} table${tables.length === 1 ? "" : "s"} ${tables.join(", ")}, and ${routesText(routes)} places none of them: ${reasons.join("; ")}`;
  return `${why}${why.endsWith("?") ? "" : "."} ${outcome}`;
}
