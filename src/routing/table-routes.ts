// Which target table each change goes to, as the user says it: one table
// (`--table orders`, optionally of one `--source-table`), a template
// (`--table 'replica.{table}'`), a map of source tables
// (`--table-map orders=analytics.orders,customers=analytics.customers`, the
// Lambda function's TARGET_TABLES as JSON), and for single-table designs
// routes by a key prefix or an attribute value (`--route 'SK^ORDER#=orders'`).
// Parsed here once for every command and the Lambda function; the router
// (router.ts) applies them.

import { errorMessage } from "../error-text.ts";
import { ConfigError } from "../errors.ts";
import { nearName } from "../near-name.ts";
import { formatTableName, parseTableName, type TableName } from "../sql/table-name.ts";

/** A route of a single-table design: records whose attribute matches go to `target`. */
export interface Route {
  attribute: string;
  /** `prefix`: the attribute's string value starts with `value`; `equals`: it is `value`. */
  test: "prefix" | "equals";
  value: string;
  target: TableName;
  /** As the user wrote it, for messages. */
  text: string;
}

export interface TableRoutes {
  /** One target table, or a template whose parts hold `{table}`. */
  table?: TableName | undefined;
  /** With a plain table: the one source table it takes. */
  sourceTable?: string | undefined;
  /** Source table -> target table. */
  map?: Map<string, TableName> | undefined;
  routes?: Route[] | undefined;
  /** How the user names each setting (options on the command line, variables in Lambda). */
  names: RouteNames;
}

export interface RouteNames {
  table: string;
  map: string;
  sourceTable: string;
  route: string;
}

export const CLI_NAMES: RouteNames = {
  table: "--table",
  map: "--table-map",
  sourceTable: "--source-table",
  route: "--route",
};

const TEMPLATE = "{table}";

/** True when the table name is a template (`replica.{table}`). */
export function isTemplate(table: TableName): boolean {
  return table.name.includes(TEMPLATE) || (table.schema?.includes(TEMPLATE) ?? false);
}

/** The target of a template for one source table: `{table}` replaced in each part. */
export function fillTemplate(table: TableName, source: string): TableName {
  return {
    schema: table.schema?.replaceAll(TEMPLATE, source),
    name: table.name.replaceAll(TEMPLATE, source),
  };
}

/** `orders=analytics.orders,customers=analytics.customers` */
export function parseTableMap(text: string, option = CLI_NAMES.map): Map<string, TableName> {
  const map = new Map<string, TableName>();
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    const source = pair.slice(0, eq).trim();
    const target = pair.slice(eq + 1).trim();
    if (eq < 0 || source === "" || target === "") {
      throw new ConfigError(
        `${option}: ${JSON.stringify(pair)} is not source=target; write e.g. orders=analytics.orders,customers=analytics.customers`,
      );
    }
    addMapping(map, source, target, option);
  }
  return map;
}

/** TARGET_TABLES: a JSON object of source table -> target table. */
export function parseTableMapJson(text: string, name: string): Map<string, TableName> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${name} is not JSON (${errorMessage(error)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      `${name} must be a JSON object such as {"orders": "analytics.orders", "customers": "analytics.customers"}`,
    );
  }
  const map = new Map<string, TableName>();
  for (const [source, target] of Object.entries(parsed)) {
    if (typeof target !== "string" || target === "")
      throw new ConfigError(`${name}: the target of ${source} must be a table name`);
    addMapping(map, source, target, name);
  }
  if (map.size === 0) throw new ConfigError(`${name} maps no table`);
  return map;
}

function addMapping(
  map: Map<string, TableName>,
  source: string,
  target: string,
  option: string,
): void {
  if (map.has(source)) throw new ConfigError(`${option} maps ${source} twice`);
  try {
    map.set(source, parseTableName(target));
  } catch (error) {
    throw new ConfigError(`${option}: ${source}=${target}: ${errorMessage(error)}`);
  }
}

/** `SK^ORDER#=orders` (key or attribute prefix) or `type:order=orders` (attribute value). */
export function parseRoute(text: string, option = CLI_NAMES.route): Route {
  const match = /^([^^:=]+)([\^:])(.*)=([^=]+)$/.exec(text);
  if (!match) {
    throw new ConfigError(
      `${option} ${JSON.stringify(text)}: write ATTRIBUTE^PREFIX=TABLE (e.g. SK^ORDER#=orders) or ATTRIBUTE:VALUE=TABLE (e.g. type:order=orders)`,
    );
  }
  const [, attribute, op, value, target] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  try {
    return {
      attribute,
      test: op === "^" ? "prefix" : "equals",
      value,
      target: parseTableName(target),
      text,
    };
  } catch (error) {
    throw new ConfigError(`${option} ${text}: ${errorMessage(error)}`);
  }
}

/** Every target table that the routes name up front (templates excluded). */
export function namedTargets(routes: TableRoutes): TableName[] {
  const targets = [
    ...(routes.table && !isTemplate(routes.table) ? [routes.table] : []),
    ...(routes.map?.values() ?? []),
    ...(routes.routes ?? []).map((r) => r.target),
  ];
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = formatTableName(t);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Checks that the settings say where records go, and not in two contradicting ways. */
export function checkTableRoutes(routes: TableRoutes): TableRoutes {
  const { names } = routes;
  if (!routes.table && !routes.map && !routes.routes?.length) {
    throw new ConfigError(
      `${names.table} is required (or ${names.map} for several source tables, or ${names.route}): the target table, as table or schema.table`,
    );
  }
  const contradiction = routesContradiction(routes);
  if (contradiction) throw new ConfigError(contradiction);
  return routes;
}

/** How the settings contradict each other, with the fix; undefined when they do not. */
export function routesContradiction(routes: TableRoutes): string | undefined {
  const { names } = routes;
  if (routes.table && routes.map)
    return `${names.table} and ${names.map} both say where records go: give ${names.map} alone for several tables (or ${names.table} 'schema.{table}' for a target per source table)`;
  if (
    routes.sourceTable !== undefined &&
    (routes.map || (routes.table && isTemplate(routes.table)))
  )
    return `${names.sourceTable} goes with a plain ${names.table}; ${routes.map ? names.map : "a {table} template"} already names the source tables`;
  return undefined;
}

/** Every record into one table (the routes of `--table T` alone). */
export function singleTable(table: TableName, names: RouteNames = CLI_NAMES): TableRoutes {
  return { table, names };
}

/**
 * The target of one known source table (a load's: the table scanned, or the
 * one an export's manifest names), as the routes say; ConfigError naming the
 * option when they place it nowhere.
 */
export function targetOfTable(routes: TableRoutes, source: string | undefined): TableName {
  const { names } = routes;
  if (routes.routes?.length)
    throw new ConfigError(
      `${names.route} places records by their attributes, one by one; a load copies one table into one target: give ${names.table} or ${names.map}`,
    );
  if (routes.map) {
    if (source === undefined)
      throw new ConfigError(
        `${names.map} needs the source table's name, and the export's manifest names none: give ${names.table}`,
      );
    const target = routes.map.get(source);
    if (target) return target;
    const near = nearName(source, routes.map.keys());
    throw new ConfigError(
      `the table loaded, ${source}, is not in ${names.map} (it maps ${[...routes.map.keys()].join(", ")}): ${
        near === undefined
          ? `add ${source}=<target table> to ${names.map}`
          : `did you mean ${source}=${formatTableName(routes.map.get(near) as TableName)} (it says ${near})?`
      }. Nothing was read or written.`,
    );
  }
  const table = routes.table as TableName;
  if (isTemplate(table)) {
    if (source === undefined)
      throw new ConfigError(
        `${names.table} ${formatTableName(table)} needs the source table's name, and the export's manifest names none`,
      );
    return fillTemplate(table, source);
  }
  if (routes.sourceTable !== undefined && source !== undefined && routes.sourceTable !== source)
    throw new ConfigError(
      `${names.sourceTable} ${routes.sourceTable} is not the table loaded, ${source}`,
    );
  return table;
}
