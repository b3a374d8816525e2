/**
 * The run table: one DynamoDB table for the coordination state runs share (docs/orchestration.md,
 * "The table"): run records and their counters, settled / attempt / breaker / CSV marks, dead-letter
 * marks, and each bucket's line of runs and turn. Conditional writes, atomic ADD and strongly
 * consistent queries are what the S3 objects that held this before could not give.
 *
 * On-demand (runs come a few a day, in bursts), point-in-time recovery (the turn and the line are
 * state a bad deploy must not lose), TTL on `expiresAt` (run items go storage.runsRetentionDays
 * after they are written; line and turn items carry no expiresAt and never expire), retained on
 * stack deletion like the bucket whose runs it describes.
 */
import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

// TODO(run-table key schema): once lambdas/adapters/aws/run-table.ts (RUN_TABLE_KEYS: pk S, sk S,
// TTL expiresAt) is merged here, take these from it, so the table and the code that reads it cannot drift apart.
export const RUN_TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
export const RUN_TABLE_TTL_ATTRIBUTE = 'expiresAt';

/** The partition-key prefixes of the table's items (IAM `dynamodb:LeadingKeys` conditions use them). */
export const ITEMS = {
  /** A run's record and its marks: `run#<runId>`. */
  run: 'run#*',
  /** Dead-letter marks: `dlq#<queue>`. */
  deadLetter: 'dlq#*',
  /** A bucket's line of runs and its turn: `line#<bucket>`. */
  line: 'line#*',
} as const;

/**
 * The item-level actions a role may be given. TransactWriteItems is not among them: IAM has no such
 * action; each Put, Update, Delete or ConditionCheck of a transaction is authorized as PutItem,
 * UpdateItem, DeleteItem or ConditionCheckItem.
 */
export type TableAction =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'ConditionCheckItem'
  | 'Query'
  | 'BatchGetItem'
  | 'BatchWriteItem';

export interface RunTableProps {
  /** The drop bucket's customer-managed key (storage.encryption "kms"): the table uses it too. */
  key?: kms.IKey;
}

export class RunTable extends Construct {
  readonly table: dynamodb.Table;
  private readonly key?: kms.IKey;

  constructor(scope: Construct, id: string, props: RunTableProps = {}) {
    super(scope, id);
    this.key = props.key;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: RUN_TABLE_KEY.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: RUN_TABLE_KEY.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: RUN_TABLE_TTL_ATTRIBUTE,
      ...(props.key
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.key }
        : { encryption: dynamodb.TableEncryption.DEFAULT }),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(Stack.of(this), 'RunTableName', {
      value: this.table.tableName,
      description: 'The run table (DynamoDB): run records, the line of runs and its turn (docs/orchestration.md)',
    });
  }

  /**
   * Exactly these actions on the table, and, with `only`, only on items whose partition key matches
   * one of these patterns (ITEMS): a consumer that touches run records cannot rewrite the line.
   */
  grant(role: iam.IRole, actions: TableAction[], only?: string[]): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...new Set(actions)].sort().map((a) => `dynamodb:${a}`),
        resources: [this.table.tableArn],
        ...(only ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': only } } } : {}),
      }),
    );
    this.grantKey(role);
  }

  /**
   * With a customer-managed key, DynamoDB uses it on the caller's behalf: the caller may use it only
   * through DynamoDB (kms:ViaService), so this grant adds nothing to the key's use on S3 objects.
   */
  private grantKey(role: iam.IRole): void {
    if (!this.key || keyGranted.has(role)) return;
    keyGranted.add(role);
    const { region } = Stack.of(this);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${region}.amazonaws.com` } },
      }),
    );
  }
}

const keyGranted = new WeakSet<iam.IRole>();
