// What a Lambda container keeps between invocations: the checked
// configuration, the sink with its connection pool, the pipeline and the
// dead-letter destination. Built lazily by the first invocation and reused by
// the next ones; a failed build is not kept, so the next invocation tries
// again (a database that was down at cold start is not fatal for the container).

import type { KinesisClient } from "@aws-sdk/client-kinesis";
import { OnceUntilFailure } from "../cache-until-failure.ts";
import { decodeMongoRecord, MONGODB_KEY_SCHEMA } from "../codec/mongodb-event.ts";
import type { DeadLetterDestination } from "../dead-letter/destination.ts";
import { type SqsClient, SqsDeadLetters } from "../dead-letter/sqs.ts";
import { TableDeadLetters } from "../dead-letter/table.ts";
import type { Logger } from "../log.ts";
import { redactUrl } from "../redact-url.ts";
import { Router } from "../routing/router.ts";
import { namedTargets } from "../routing/table-routes.ts";
import { passwordsIn } from "../sink/host-list.ts";
import { openSink } from "../sink/open-sink.ts";
import { DEFAULT_RETRY, retryFields } from "../sink/retry.ts";
import { checkSetUp } from "../sink/set-up-check.ts";
import type { Sink } from "../sink/sink.ts";
import { PURGE_TABLE } from "../sql/purges.ts";
import { formatTableName } from "../sql/table-name.ts";
import { type Environment, type LambdaConfig, readConfig } from "./config.ts";
import { forgetSecret, resolveSecret, type SecretsClient } from "./secret.ts";
import { StreamRetention } from "./stream-retention.ts";

export interface ContainerOptions {
  env: Environment;
  log: Logger;
  /** Clients for AWS services; by default, made from the function's environment. */
  secretsClient?: SecretsClient | undefined;
  sqsClient?: SqsClient | undefined;
  /** Asked for a Kinesis event source's retention (DescribeStreamSummary). */
  kinesisClient?: KinesisClient | undefined;
}

export interface Container {
  config: LambdaConfig;
  sink: Sink;
  /** One pipeline per target table, records routed by their source table. */
  pipeline: Router;
  deadLetters: DeadLetterDestination | undefined;
  /** Keeps the pipeline's tombstones at least the event source's retention. */
  retention: StreamRetention;
  /** The target table as the metrics and logs name it. */
  tableName: string;
}

export class ContainerState {
  private readonly options: ContainerOptions;
  private readonly current = new OnceUntilFailure(() => this.build());

  constructor(options: ContainerOptions) {
    this.options = options;
  }

  get(): Promise<Container> {
    return this.current.get();
  }

  /**
   * Drops the sink and the secret, e.g. after the database refused the
   * credentials: the next invocation fetches the secret again (it may have
   * been rotated) and connects anew.
   */
  async reset(): Promise<void> {
    const current = this.current.forget();
    if (!current) return;
    const container = await current.catch(() => undefined);
    if (!container) return;
    if (container.config.target.kind === "secret") forgetSecret(container.config.target.secretId);
    await container.sink.close().catch(() => undefined);
  }

  private async build(): Promise<Container> {
    const { env, log } = this.options;
    const config = readConfig(env);
    log.level = config.logLevel;

    let url: string;
    if (config.target.kind === "url") {
      url = config.target.url;
    } else {
      const secret = await resolveSecret(config.target.secretId, this.options.secretsClient);
      for (const sensitive of secret.sensitive) log.addSecret(sensitive);
      url = secret.url;
    }
    for (const password of passwordsIn(url)) log.addSecret(password);

    const sink = await openSink(url, {
      onRetry: (error, _attempt, delayMs) => log.warn("retry", retryFields("sink", error, delayMs)),
      timeoutMs: config.timeoutMs,
      retry: { ...DEFAULT_RETRY, attempts: config.retryAttempts },
      ...(config.inFlight !== undefined ? { inFlight: config.inFlight } : {}),
      ...(config.refreshIntervalMs !== undefined
        ? { refreshIntervalMs: config.refreshIntervalMs }
        : {}),
      ...(config.maxColumns !== undefined ? { maxColumns: config.maxColumns } : {}),
    });
    try {
      // Before the first record: a name the database would not keep, a table of
      // the target's name that dynacrate did not create, or a missing privilege
      // fails the invocation with one message, not every record.
      await checkSetUp(sink, {
        targets: namedTargets(config.routes),
        tables: [PURGE_TABLE],
        named:
          config.deadLetter?.kind === "table"
            ? [{ table: config.deadLetter.table, option: "DEAD_LETTER_TABLE" }]
            : [],
        purges: true,
        option: "TARGET_TABLE",
        history: config.history !== undefined,
      });
    } catch (error) {
      await sink.close().catch(() => undefined);
      throw error;
    }
    const mongodb = config.format === "mongodb";
    const pipeline = new Router(sink, {
      routes: config.routes,
      keySchema: mongodb ? MONGODB_KEY_SCHEMA : config.keySchema,
      ...(mongodb ? { decoder: decodeMongoRecord } : {}),
      numbers: config.numbers,
      // The history table gets the state tables' refresh interval too.
      history: config.history && {
        ...config.history,
        settings: { refreshIntervalMs: config.refreshIntervalMs },
      },
      ...(config.tombstoneRetentionMs !== undefined
        ? { tombstoneRetentionMs: config.tombstoneRetentionMs }
        : {}),
    });
    let deadLetters: DeadLetterDestination | undefined;
    if (config.deadLetter?.kind === "sqs")
      deadLetters = new SqsDeadLetters(config.deadLetter.queueUrl, this.options.sqsClient);
    if (config.deadLetter?.kind === "table")
      deadLetters = new TableDeadLetters(sink, config.deadLetter.table);

    // The metrics' Table dimension: the targets named up front, or the template.
    const tableName =
      namedTargets(config.routes).map(formatTableName).join(",") ||
      formatTableName(config.table ?? { schema: undefined, name: "{table}" });
    log.debug("container ready", {
      target: redactUrl(url),
      table: tableName,
      deadLetters: deadLetters?.name ?? "none",
    });
    const retention = new StreamRetention(log, this.options.kinesisClient);
    return { config, sink, pipeline, deadLetters, retention, tableName };
  }

  async close(): Promise<void> {
    const container = await this.current.forget()?.catch(() => undefined);
    await container?.sink.close();
  }
}
