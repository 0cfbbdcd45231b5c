// The CDK construct that deploys the pipeline into AWS: a DynamoDB table and
// its change stream (Kinesis Data Streams for DynamoDB with MICROSECOND
// timestamps, or DynamoDB Streams), the dynacrate Lambda function, the event
// source mapping with partial batch responses and finite retries, the
// dead-letter and on-failure queues, alarms and a dashboard. The database
// credentials live in a Secrets Manager secret that only this function may
// read; they never appear in the template or in the function's environment.

import { Aws, CfnOutput, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kinesis from "aws-cdk-lib/aws-kinesis";
import * as lambda from "aws-cdk-lib/aws-lambda";
import {
  DynamoEventSource,
  KinesisEventSource,
  SqsDlq,
} from "aws-cdk-lib/aws-lambda-event-sources";
import * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { formatKeySchema } from "../codec/key-schema.ts";
import { formatTableName, parseTableName } from "../sql/table-name.ts";
import { checkProps } from "./check-props.ts";
import { DEFAULTS, minimumTimeoutSeconds } from "./defaults.ts";
import { imageCode, LAMBDA_HANDLER, lambdaRuntime, zipCode } from "./function-code.ts";
import { acknowledgeFindings, acknowledgeProvider } from "./nag-acknowledgements.ts";
import { Observability } from "./observability.ts";
import {
  type DynamoDbToCrateDbProps,
  type ExistingTableOptions,
  isExistingStream,
  isExistingTable,
  type KeyAttribute,
  type NewTableOptions,
  type StartingPosition,
  type StreamOptions,
} from "./props.ts";

/** The construct id of AwsCustomResource's provider function (aws-cdk-lib's, fixed). */
const PROVIDER_ID = "AWS679f53fac002430cb0da5b7982bd2287";

const ATTRIBUTE_TYPES: Record<KeyAttribute["type"], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

export class DynamoDbToCrateDb extends Construct {
  readonly table: dynamodb.ITable;
  /** The Kinesis stream; undefined with DynamoDB Streams. */
  readonly stream: kinesis.IStream | undefined;
  readonly function: lambda.Function;
  /** Holds the sink URL (or database JSON); the function may read it and nothing else may. */
  readonly secret: secretsmanager.ISecret;
  /** Records that can never be applied, each with its reason (DEAD_LETTER_URL). */
  readonly deadLetterQueue: sqs.Queue;
  /** Where Lambda reports batches it gave up on (shard and sequence range). */
  readonly onFailureQueue: sqs.Queue;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, input: DynamoDbToCrateDbProps) {
    super(scope, id);
    const props = checkProps(input, `${this.node.path} (DynamoDbToCrateDb)`);
    const source = props.source ?? "kinesis";
    const removalPolicy =
      props.dataRemoval === "destroy" ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.stream =
      source === "kinesis" ? this.makeStream(props.stream ?? {}, removalPolicy) : undefined;
    const tableOptions = props.table;
    this.table = isExistingTable(tableOptions)
      ? this.importTable(tableOptions)
      : this.makeTable(tableOptions, removalPolicy);

    this.secret = props.target.secretArn
      ? importSecret(this, props.target.secretArn)
      : new secretsmanager.Secret(this, "TargetSecret", {
          description:
            "The database dynacrate replicates into: its sink URL (crate:// with user, password, host and port, several nodes as host1:4200,host2:4200; ?ssl=true for TLS) or the JSON Secrets Manager uses for databases (engine cratedb, host, port, username, password). Set it with aws secretsmanager put-secret-value.",
          removalPolicy,
        });

    const retention = Duration.days(
      props.deadLetters?.retentionDays ?? DEFAULTS.deadLetterRetentionDays,
    );
    const queue = (name: string) =>
      new sqs.Queue(this, name, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: retention,
        removalPolicy,
      });
    this.deadLetterQueue = queue("DeadLetters");
    this.onFailureQueue = queue("OnFailure");

    this.function = this.makeFunction(props, removalPolicy);
    this.secret.grantRead(this.function);
    this.deadLetterQueue.grantSendMessages(this.function);
    this.function.addEventSource(this.eventSource(props));

    const observability = new Observability(this, "Monitoring", {
      fn: this.function,
      deadLetterQueue: this.deadLetterQueue,
      onFailureQueue: this.onFailureQueue,
      kinesisSourceTable: source === "kinesis" ? this.table.tableName : undefined,
      metricsTable: formatTableName(parseTableName(props.target.table)),
      iteratorAgeSeconds: props.alarms?.iteratorAgeSeconds ?? DEFAULTS.iteratorAgeSeconds,
      topicArn: props.alarms?.topicArn,
      dashboardName: undefined,
    });
    this.alarms = observability.alarms;
    this.dashboard = observability.dashboard;

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output(
      "SecretArn",
      this.secret.secretArn,
      "Put the database's URL here: aws secretsmanager put-secret-value --secret-id <this> --secret-string 'crate://...'",
    );
    output("FunctionName", this.function.functionName, "The Lambda function applying the changes");
    output("TableName", this.table.tableName, "The DynamoDB table replicated");
    if (this.stream) output("StreamName", this.stream.streamName, "The Kinesis data stream");
    output(
      "DeadLetterQueueUrl",
      this.deadLetterQueue.queueUrl,
      "Records that can never be applied",
    );
    output("OnFailureQueueUrl", this.onFailureQueue.queueUrl, "Batches Lambda gave up on");
    output(
      "DashboardUrl",
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.dashboard.dashboardName}`,
      "The pipeline's CloudWatch dashboard",
    );

    acknowledgeFindings({
      createdSecret: props.target.secretArn ? undefined : this.secret,
      deadLetterQueue: this.deadLetterQueue,
      onFailureQueue: this.onFailureQueue,
      dynamoStreamsRole: this.stream ? undefined : this.function.role,
    });
  }

  private makeStream(options: StreamOptions, removalPolicy: RemovalPolicy): kinesis.IStream {
    if (isExistingStream(options))
      return kinesis.Stream.fromStreamArn(this, "Stream", options.existingArn);
    const provisioned = typeof options.shards === "number";
    return new kinesis.Stream(this, "Stream", {
      ...(options.name ? { streamName: options.name } : {}),
      streamMode: provisioned ? kinesis.StreamMode.PROVISIONED : kinesis.StreamMode.ON_DEMAND,
      ...(provisioned ? { shardCount: options.shards as number } : {}),
      // KMS with the AWS managed key aws/kinesis: encrypted at rest, and
      // neither DynamoDB nor Lambda needs a key policy for it.
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(options.retentionHours ?? DEFAULTS.streamRetentionHours),
      removalPolicy,
    });
  }

  private makeTable(options: NewTableOptions, removalPolicy: RemovalPolicy): dynamodb.Table {
    const billing = options.billing ?? "on-demand";
    const key = (k: KeyAttribute): dynamodb.Attribute => ({
      name: k.name,
      type: ATTRIBUTE_TYPES[k.type],
    });
    return new dynamodb.Table(this, "Table", {
      ...(options.name ? { tableName: options.name } : {}),
      partitionKey: key(options.partitionKey),
      ...(options.sortKey ? { sortKey: key(options.sortKey) } : {}),
      ...(billing === "on-demand"
        ? { billingMode: dynamodb.BillingMode.PAY_PER_REQUEST }
        : {
            billingMode: dynamodb.BillingMode.PROVISIONED,
            readCapacity: billing.read,
            writeCapacity: billing.write,
          }),
      ...(options.ttlAttribute ? { timeToLiveAttribute: options.ttlAttribute } : {}),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
      // The apply pipeline orders an item's changes by this timestamp
      // (docs/SEMANTICS.md, "The limit of ordering by timestamp").
      ...(this.stream
        ? {
            kinesisStream: this.stream,
            kinesisPrecisionTimestamp: dynamodb.ApproximateCreationDateTimePrecision.MICROSECOND,
          }
        : { stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES }),
    });
  }

  private importTable(options: ExistingTableOptions): dynamodb.ITable {
    const byArn = options.existing.startsWith("arn:");
    const table = dynamodb.Table.fromTableAttributes(this, "Table", {
      ...(byArn ? { tableArn: options.existing } : { tableName: options.existing }),
      ...(options.streamArn ? { tableStreamArn: options.streamArn } : {}),
    });
    if (this.stream && !options.streamingEnabled) this.enableStreaming(table, this.stream);
    return table;
  }

  /**
   * An existing table's Kinesis streaming destination is not part of any
   * template of this stack: it is switched on (with MICROSECOND precision) by
   * an API call at deployment, and off again when the stack is destroyed.
   */
  private enableStreaming(table: dynamodb.ITable, stream: kinesis.IStream): void {
    const parameters = { TableName: table.tableName, StreamArn: stream.streamArn };
    new cr.AwsCustomResource(this, "KinesisStreamingDestination", {
      onCreate: {
        service: "DynamoDB",
        action: "EnableKinesisStreamingDestination",
        parameters: {
          ...parameters,
          EnableKinesisStreamingConfiguration: {
            ApproximateCreationDateTimePrecision: "MICROSECOND",
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${table.tableName}->${stream.streamName}`),
      },
      onDelete: {
        service: "DynamoDB",
        action: "DisableKinesisStreamingDestination",
        parameters,
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: [
            "dynamodb:EnableKinesisStreamingDestination",
            "dynamodb:DisableKinesisStreamingDestination",
          ],
          resources: [table.tableArn],
        }),
        new iam.PolicyStatement({
          actions: ["kinesis:DescribeStream", "kinesis:PutRecord", "kinesis:PutRecords"],
          resources: [stream.streamArn],
        }),
      ]),
      installLatestAwsSdk: false,
    });
    // The API call runs in aws-cdk-lib's provider function, one per stack.
    const provider = Stack.of(this).node.tryFindChild(PROVIDER_ID);
    if (provider) acknowledgeProvider(provider);
  }

  private makeFunction(
    props: DynamoDbToCrateDbProps,
    removalPolicy: RemovalPolicy,
  ): lambda.Function {
    const options = props.function ?? {};
    const target = props.target;
    const keys = [props.table.partitionKey, props.table.sortKey].filter(
      (k): k is KeyAttribute => k !== undefined,
    );
    const environment: Record<string, string> = {
      // The secret's ARN, never its value: the function fetches the value at cold start.
      TARGET_SECRET_ARN: this.secret.secretArn,
      TARGET_TABLE: target.table,
      DEAD_LETTER_URL: this.deadLetterQueue.queueUrl,
      ...(keys.length > 0 ? { KEY_SCHEMA: formatKeySchema(keys) } : {}),
      ...(target.numbers ? { NUMBER_FORMAT: target.numbers } : {}),
      ...(target.sinkTimeoutMs ? { SINK_TIMEOUT_MS: String(target.sinkTimeoutMs) } : {}),
      ...(target.sinkRetryAttempts
        ? { SINK_RETRY_ATTEMPTS: String(target.sinkRetryAttempts) }
        : {}),
      ...(target.refreshIntervalMs
        ? { SINK_REFRESH_INTERVAL_MS: String(target.refreshIntervalMs) }
        : {}),
      ...(target.history ? { HISTORY: "true" } : {}),
      ...(target.history && target.historyPartition
        ? { HISTORY_PARTITION: target.historyPartition }
        : {}),
      ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}),
    };
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: (options.logRetentionDays ?? DEFAULTS.logRetentionDays) as logs.RetentionDays,
      removalPolicy,
    });
    // Its own role with no managed policy: writing its log group, reading its
    // secret and sending dead letters are granted one by one on those resources.
    const role = new iam.Role(this, "FunctionRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description:
        "dynacrate function: reads its stream and secret, writes its logs and dead letters",
    });
    logGroup.grantWrite(role);
    const timeout = Duration.seconds(
      options.timeoutSeconds ??
        Math.max(
          DEFAULTS.timeoutSeconds,
          minimumTimeoutSeconds(target.sinkRetryAttempts, target.sinkTimeoutMs),
        ),
    );
    const common = {
      description: `dynacrate: replicates DynamoDB changes into ${target.table}`,
      architecture:
        options.architecture === "x86_64" ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
      memorySize: options.memoryMb ?? DEFAULTS.memoryMb,
      timeout,
      ...(options.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: options.reservedConcurrency }
        : {}),
      logGroup,
      role,
      environment,
    };
    return options.package === "container"
      ? new lambda.DockerImageFunction(this, "Function", {
          ...common,
          code: imageCode(options.bundleFile),
        })
      : new lambda.Function(this, "Function", {
          ...common,
          runtime: lambdaRuntime(),
          handler: LAMBDA_HANDLER,
          code: zipCode(options.bundleFile),
        });
  }

  private eventSource(props: DynamoDbToCrateDbProps): lambda.IEventSource {
    const mapping = props.mapping ?? {};
    const position = mapping.startingPosition ?? "trim-horizon";
    const common = {
      ...startingPosition(position),
      batchSize: mapping.batchSize ?? DEFAULTS.batchSize,
      maxBatchingWindow: Duration.seconds(
        mapping.batchingWindowSeconds ?? DEFAULTS.batchingWindowSeconds,
      ),
      parallelizationFactor: mapping.parallelizationFactor ?? DEFAULTS.parallelizationFactor,
      retryAttempts: mapping.retryAttempts ?? DEFAULTS.retryAttempts,
      maxRecordAge: Duration.seconds(mapping.maxRecordAgeSeconds ?? DEFAULTS.maxRecordAgeSeconds),
      bisectBatchOnError: mapping.bisectOnError ?? true,
      // The handler names the first failed record (docs/SEMANTICS.md G8).
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.onFailureQueue),
    };
    if (this.stream) return new KinesisEventSource(this.stream, common);
    return new DynamoEventSource(this.table, common);
  }
}

function startingPosition(position: StartingPosition): {
  startingPosition: lambda.StartingPosition;
  startingPositionTimestamp?: number;
} {
  if (position === "latest") return { startingPosition: lambda.StartingPosition.LATEST };
  if (position === "trim-horizon")
    return { startingPosition: lambda.StartingPosition.TRIM_HORIZON };
  return {
    startingPosition: lambda.StartingPosition.AT_TIMESTAMP,
    startingPositionTimestamp: Math.floor(Date.parse(position.timestamp) / 1000),
  };
}

/** A complete ARN ends in the secret's name plus "-" and six random characters. */
function importSecret(scope: Construct, arn: string): secretsmanager.ISecret {
  return /-[A-Za-z0-9]{6}$/.test(arn)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, "TargetSecret", arn)
    : secretsmanager.Secret.fromSecretPartialArn(scope, "TargetSecret", arn);
}
