// The CDK construct that deploys dynacrate into AWS, for your own CDK app:
//
//   import { DynamoDbToCrateDb } from "dynacrate/infra";
//   new DynamoDbToCrateDb(stack, "Orders", { table: { partitionKey: { name: "id", type: "S" } }, target: { table: "orders" } });
//
// A separate entry point from "dynacrate": it needs aws-cdk-lib and constructs
// (optional peer dependencies), which the rest of the package never loads.

export { LAMBDA_NODE_MAJOR } from "../node-versions.ts";
export { checkProps } from "./check-props.ts";
export { DEFAULTS, minimumTimeoutSeconds, sinkWorstCaseSeconds } from "./defaults.ts";
export { DynamoDbToCrateDb } from "./dynamodb-to-cratedb.ts";
export type * from "./props.ts";
