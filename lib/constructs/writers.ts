/**
 * Who may write what starts a change in Coupa. An HR file under incoming/ (or plan/) can change any
 * user's e-mail or SSO id — an account-takeover path — and an approval releases a held plan. So the
 * bucket policy lets only two roles the stack creates write there: the uploader (HR's export job)
 * and the approver (the operators who approve held runs), kept apart so one role cannot both drop a
 * roster and approve its mass deactivation. The queues take messages from the planner Lambda only,
 * and from the redriver role: SQS runs an operator's DLQ redrive (start-message-move-task) with the
 * caller's own permissions, so whoever may redrive may send to the queues; a third role, apart from
 * the uploader's and the approver's.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { PREFIX } from './drop-bucket';
import { grantKeyDecrypt, grantKeyEncrypt } from './grants';
import { acknowledgePrefixGrant } from './nag';

export interface WritersProps {
  bucket: s3.Bucket;
  /** The queues only `planner` (and the redriver, from their DLQs) may send to. */
  queues: sqs.Queue[];
  planner: iam.IRole;
  /** Each queue's dead-letter queue, which the redriver may move back into it. */
  redrives?: Array<{ dlq: sqs.IQueue; queue: sqs.IQueue }>;
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
      description: 'Operators: may approve held runs (put approvals/<runId>) and read run reports',
    });
    this.approver.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${PREFIX.approvals}*`)] }));
    this.approver.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${PREFIX.runs}*`)] }));
    // With an SSE-KMS bucket: the uploader encrypts what it puts, the approver also reads the reports.
    grantKeyEncrypt(this.uploader, bucket);
    grantKeyEncrypt(this.approver, bucket);
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
    acknowledgePrefixGrant(this.approver, bucket, PREFIX.approvals, 'An approval is the object approvals/<runId>: any run id.');
    acknowledgePrefixGrant(this.approver, bucket, PREFIX.runs, 'Operators read the reports and plans of any run under runs/.');

    // Deny, not just not-allow: an administrator's broad s3:* must not become a way around it.
    const onlyWriter = (sid: string, prefixes: string[], writer: iam.IRole) =>
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['s3:PutObject'],
          resources: prefixes.map((p) => bucket.arnForObjects(`${p}*`)),
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': writer.roleArn } },
        }),
      );
    onlyWriter('OnlyTheUploaderWritesHrFiles', [PREFIX.incoming, PREFIX.plan], this.uploader);
    onlyWriter('OnlyTheApproverApproves', [PREFIX.approvals], this.approver);
    // A continuation re-plans a run from the file its body names: only the planner may ask for one.
    onlyWriter('OnlyThePlannerContinues', [PREFIX.continuations], props.planner);

    for (const queue of props.queues) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyThePlannerSends',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': [props.planner.roleArn, this.redriver.roleArn] } },
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
      description: 'Operators assume this role to approve held runs (coupa-sync approve <runId> --bucket …)',
    });
  }
}
