// The AWS Lambda entry point (`index.handler` in the bundle): a Kinesis Data
// Streams for DynamoDB or DynamoDB Streams event in, the partial batch
// response out. Configured by environment variables (see config.ts); the
// connections live as long as the container.

import { createHandler } from "./create-handler.ts";

export const { handler } = createHandler({ env: process.env });
