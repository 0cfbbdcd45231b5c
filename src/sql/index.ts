// SQL: statements built once, rendered per dialect.

export { cratedb, quoteCrateIdentifier } from "./cratedb.ts";
export type { Dialect } from "./dialect.ts";
export { postgresql, quotePostgresIdentifier } from "./postgresql.ts";
export * from "./statement.ts";
export * from "./table-name.ts";
