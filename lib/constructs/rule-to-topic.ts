/**
 * An EventBridge rule target that publishes to the failure topic, allowed for that one rule only.
 * CDK's targets.SnsTopic grants events.amazonaws.com sns:Publish with no condition, so any rule in
 * any account could post "file not delivered" alerts to our topic; here the topic policy names the
 * rule's ARN (aws:SourceArn) and this account (aws:SourceAccount).
 */
import { Names, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { FailureTopic } from './alerts';

const EVENTS = 'events.amazonaws.com';

export class TopicOfThisRule implements events.IRuleTarget {
  constructor(
    private readonly alerts: FailureTopic,
    private readonly message: events.RuleTargetInput,
  ) {}

  bind(rule: events.IRuleRef): events.RuleTargetConfig {
    const { topic, key } = this.alerts;
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `Rule${Names.nodeUniqueId(rule.node).replace(/[^A-Za-z0-9]/g, '')}Publishes`,
        principals: [new iam.ServicePrincipal(EVENTS)],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': rule.ruleRef.ruleArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(rule).account },
        },
      }),
    );
    // The topic is KMS-encrypted: SNS uses the key on EventBridge's behalf (the key encrypts only this topic).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(EVENTS)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'], // in a key policy, "*" means this key
      }),
    );
    return { arn: topic.topicArn, input: this.message, targetResource: topic };
  }
}
