/**
 * Narrow IAM grants written out by hand. The L2 `grant*` helpers add wildcard actions
 * (s3:GetObject*, s3:List*, kms:GenerateDataKey*) that a least-privilege review would flag.
 *
 * When the bucket is SSE-KMS (storage.encryption "kms"), every object grant here also grants the
 * one key action S3 needs on the caller's behalf: kms:Decrypt to read, kms:GenerateDataKey to write
 * (no multipart uploads, which would need Decrypt too). Hand-written S3 statements elsewhere call
 * grantKeyDecrypt / grantKeyEncrypt themselves.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export function grantObjectRead(role: iam.IRole, bucket: s3.IBucket, prefix: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
  grantKeyDecrypt(role, bucket);
}

export function grantObjectWrite(role: iam.IRole, bucket: s3.IBucket, prefix: string): void {
  grantObjectWriteTo(role, bucket, [`${prefix}*`]);
}

/** PutObject on exact key patterns (e.g. every run's report.json), not a whole prefix. */
export function grantObjectWriteTo(role: iam.IRole, bucket: s3.IBucket, keyPatterns: string[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: keyPatterns.map((p) => bucket.arnForObjects(p)) }),
  );
  grantKeyEncrypt(role, bucket);
}

/** Key actions a role already has, so each goes in once however many prefixes it is granted. */
const keyGrants = new WeakMap<iam.IRole, Set<string>>();

function grantKey(role: iam.IRole, bucket: s3.IBucket, action: 'kms:Decrypt' | 'kms:GenerateDataKey'): void {
  const key = bucket.encryptionKey;
  if (!key) return; // SSE-S3: S3 holds the keys, nothing to grant
  const granted = keyGrants.get(role) ?? new Set<string>();
  keyGrants.set(role, granted);
  if (granted.has(action)) return;
  granted.add(action);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [action], resources: [key.keyArn] }));
}

/** Reading objects of an SSE-KMS bucket: S3 decrypts their data key with the caller's kms:Decrypt. */
export function grantKeyDecrypt(role: iam.IRole, bucket: s3.IBucket): void {
  grantKey(role, bucket, 'kms:Decrypt');
}

/** Writing objects to an SSE-KMS bucket: S3 asks for a data key with the caller's kms:GenerateDataKey. */
export function grantKeyEncrypt(role: iam.IRole, bucket: s3.IBucket): void {
  grantKey(role, bucket, 'kms:GenerateDataKey');
}

/** List one prefix (the manifest store asks which manifests are pending). */
export function grantList(role: iam.IRole, bucket: s3.IBucket, prefix: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
    }),
  );
}

/** Deleting needs no key: S3 adds a delete marker without touching the data. */
export function grantObjectDelete(role: iam.IRole, bucket: s3.IBucket, prefix: string): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:DeleteObject'], resources: [bucket.arnForObjects(`${prefix}*`)] }),
  );
}

export function grantPublish(role: iam.IRole, topic: sns.ITopic, key: kms.IKey): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
  );
}

export function grantSend(role: iam.IRole, ...queues: sqs.IQueue[]): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: queues.map((q) => q.queueArn) }),
  );
}

/** GetSecretValue only, on the secret's full ARN (the L2 grantRead adds DescribeSecret and a suffix wildcard). */
export function grantSecretRead(role: iam.IRole, secret: secretsmanager.ISecret): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
  );
}

/** StartExecution on the run state machine only (the splitter's runs; a consumer's report-again execution). */
export function grantStartExecution(role: iam.IRole, stateMachine: sfn.IStateMachine): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachine.stateMachineArn] }),
  );
}
