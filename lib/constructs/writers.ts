/**
 * Who may write what starts or steers a change in Coupa. An HR file under incoming/ (or plan/) can
 * change any user's e-mail or SSO id — an account-takeover path — so the bucket policy lets only the
 * uploader role (HR's export job) write there. A held run is approved with its task token
 * (`coupa-sync approve|reject`: SendTaskSuccess / SendTaskFailure on the run state machine) by the
 * approver role, kept apart from the uploader so one role cannot both drop a roster and approve its
 * mass deactivation. runs/ and state/ are written by the run's own Lambdas only (the consumers
 * only their outcome files): a plan or snapshot that someone else could rewrite would steer a run.
 * The queues take messages from the run-task Lambda only, and from the redriver role: SQS runs an
 * operator's DLQ redrive (start-message-move-task) with the caller's own permissions, so whoever
 * may redrive may send to the queues; a third role, apart from the uploader's and the approver's.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KEY_PATTERN, PREFIX } from './drop-bucket';
import { grantKeyDecrypt, grantKeyEncrypt } from './grants';
import { acknowledgePrefixGrant } from './nag';
import { ITEMS, type RunTable } from './run-table';

export interface WritersProps {
  bucket: s3.Bucket;
  /** The queues only `sender` (the run-task Lambda: Enqueue) and the redriver, from their DLQs, may send to. */
  queues: sqs.Queue[];
  sender: iam.IRole;
  /** Each queue's dead-letter queue, which the redriver may move back into it. */
  redrives?: Array<{ dlq: sqs.IQueue; queue: sqs.IQueue }>;
  runTable: RunTable;
  stateMachine: sfn.IStateMachine;
  /** Who may write runs/ and state/ (`all`), and who only runs/<runId>/outcomes/ (`outcomesOnly`). */
  runWriters: { all: iam.IRole[]; outcomesOnly: iam.IRole[] };
}

export class Writers extends Construct {
  readonly uploader: iam.Role;
  readonly approver: iam.Role;
  readonly redriver: iam.Role;

  constructor(scope: Construct, id: string, props: WritersProps) {
    super(scope, id);
    const { bucket } = props;
    const account = new iam.AccountRootPrincipal();
    this.uploader = new iam.Role(this, 'HrUploader', {
      assumedBy: account,
      description: 'HR export job: may put HR files under incoming/ and plan/ of the drop bucket, nothing else',
    });
    this.uploader.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${PREFIX.incoming}*`), bucket.arnForObjects(`${PREFIX.plan}*`)] }),
    );
    this.approver = new iam.Role(this, 'RunApprover', {
      assumedBy: account,
      description: 'Operators: may approve or reject held runs (coupa-sync approve|reject <runId>) and read run reports',
    });
    // The held run's record names its task token; the token goes back to this state machine only.
    props.runTable.grant(this.approver, ['GetItem'], [ITEMS.run]);
    this.approver.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resources: [props.stateMachine.stateMachineArn] }),
    );
    this.approver.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${PREFIX.runs}*`)] }));
    // With an SSE-KMS bucket: the uploader encrypts what it puts, the approver reads the reports.
    grantKeyEncrypt(this.uploader, bucket);
    grantKeyDecrypt(this.approver, bucket);
    this.redriver = new iam.Role(this, 'DlqRedriver', {
      assumedBy: account,
      description: 'Operators: may move dead-letter queue messages back into their queue once the cause is fixed (README: Redriving dead letters)',
    });
    for (const { dlq, queue } of props.redrives ?? []) {
      this.redriver.addToPolicy(
        new iam.PolicyStatement({
          actions: ['sqs:StartMessageMoveTask', 'sqs:ListMessageMoveTasks', 'sqs:CancelMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
          resources: [dlq.queueArn],
        }),
      );
      this.redriver.addToPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [queue.queueArn] }));
    }
    acknowledgePrefixGrant(this.uploader, bucket, PREFIX.incoming, 'HR puts its export files under incoming/ only (file names vary by day).');
    acknowledgePrefixGrant(this.uploader, bucket, PREFIX.plan, 'HR puts files to plan only under plan/ only.');
    acknowledgePrefixGrant(this.approver, bucket, PREFIX.runs, 'Operators read the reports and plans of any run under runs/.');

    // Deny, not just not-allow: an administrator's broad s3:* must not become a way around it.
    const deny = (sid: string, statement: Partial<iam.PolicyStatementProps>) =>
      bucket.addToResourcePolicy(new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, principals: [new iam.AnyPrincipal()], ...statement }));
    const arns = (roles: iam.IRole[]) => roles.map((r) => r.roleArn);
    deny('OnlyTheUploaderWritesHrFiles', {
      actions: ['s3:PutObject'],
      resources: [PREFIX.incoming, PREFIX.plan].map((p) => bucket.arnForObjects(`${p}*`)),
      conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.uploader.roleArn } },
    });
    // Plans, approved lists, reports, the kept snapshot and read checkpoints: written by the run's own
    // Lambdas only (a rewritten plan or snapshot would steer a run).
    const { all, outcomesOnly } = props.runWriters;
    deny('OnlyTheRunWritesState', {
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [bucket.arnForObjects(`${PREFIX.state}*`)],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': arns(all) } },
    });
    deny('OnlyTheRunAndConsumersWriteRuns', {
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [bucket.arnForObjects(`${PREFIX.runs}*`)],
      conditions: { ArnNotLike: { 'aws:PrincipalArn': arns([...all, ...outcomesOnly]) } },
    });
    // …and the consumers write their row outcomes there, nothing else (outbox/: the CSV channel's files).
    deny('ConsumersWriteOnlyOutcomes', {
      actions: ['s3:PutObject', 's3:DeleteObject'],
      notResources: [bucket.arnForObjects(KEY_PATTERN.outcomes), bucket.arnForObjects(`${PREFIX.outbox}*`)],
      conditions: { ArnLike: { 'aws:PrincipalArn': arns(outcomesOnly) } },
    });

    for (const queue of props.queues) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheRunSends',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': [props.sender.roleArn, this.redriver.roleArn] } },
        }),
      );
    }

    const stack = Stack.of(this);
    new CfnOutput(stack, 'HrUploaderRoleArn', {
      value: this.uploader.roleArn,
      description: "HR's export job assumes this role to put files under incoming/ (or plan/); no one else may",
    });
    new CfnOutput(stack, 'DlqRedriverRoleArn', {
      value: this.redriver.roleArn,
      description: 'Operators assume this role to redrive a dead-letter queue (aws sqs start-message-move-task …)',
    });
    new CfnOutput(stack, 'RunApproverRoleArn', {
      value: this.approver.roleArn,
      description: 'Operators assume this role to approve or reject held runs (coupa-sync approve|reject <runId> --table <RunTableName>)',
    });
  }
}
