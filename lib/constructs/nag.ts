/**
 * Helpers to acknowledge cdk-nag findings precisely. cdk-nag 3 needs one acknowledgement per
 * finding, and IAM5 findings name the resource by CloudFormation logical id.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** The logical id cdk-nag prints inside `Resource::<…>` findings. */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return Stack.of(element).getLogicalId(element);
}

/** Acknowledges the IAM5 finding an object-prefix grant (`<bucket>/<prefix>*`) raises. */
export function acknowledgePrefixGrant(on: IConstruct, bucket: s3.IBucket, prefix: string, reason: string): void {
  acknowledgeObjectGrant(on, bucket, `${prefix}*`, reason);
}

/** Acknowledges the IAM5 finding a grant on a wildcard object key pattern (e.g. every run's report.json) raises. */
export function acknowledgeObjectGrant(on: IConstruct, bucket: s3.IBucket, keyPattern: string, reason: string): void {
  Validations.of(on).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(bucket)}.Arn>/${keyPattern}]`,
    reason,
  });
}
