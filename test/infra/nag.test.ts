import { describe, expect, it } from 'vitest';
import { Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { infraTestConfig, synthStack } from './synth';

/** What cdk-nag 3 reports: one entry per rule (or finding), with the constructs that break it. */
function findings(app: Parameters<AwsSolutionsChecks['validateScope']>[0]) {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    at: v.violatingResources.map((r) => r.constructPath),
  }));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning in the stack, e-mail and csv options on', () => {
    // Prepare: properties are what nag reads, so the Lambdas need no bundling here.
    const { app } = synthStack(infraTestConfig(), { bundle: false });
    // Act
    const found = findings(app);
    // Assess
    expect(found.filter((f) => f.severity === 'error')).toEqual([]);
    expect(found).toEqual([]);
  });

  it('finds none with the all-defaults config either', () => {
    // Act
    const { app } = synthStack({}, { bundle: false });
    // Assess
    expect(findings(app)).toEqual([]);
  });

  it('finds none with a customer-managed bucket key and without the CSV channel', () => {
    // Act
    const { app } = synthStack(infraTestConfig({ storage: { encryption: 'kms' }, csv: {} }), { bundle: false });
    // Assess
    expect(findings(app)).toEqual([]);
  });

  it('still reports a finding nobody acknowledged (the check is live)', () => {
    // Prepare: the real stack plus one queue without a DLQ or TLS policy.
    const { app, stack } = synthStack(infraTestConfig(), { bundle: false });
    const stray = new sqs.Queue(Stack.of(stack), 'Stray');
    // Act
    const found = findings(app);
    // Assess
    expect(found.map((f) => f.rule)).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
    expect(found.flatMap((f) => f.at).every((p) => p?.startsWith(stray.node.path))).toBe(true);
  });

  it('an acknowledgement needs its exact finding id and silences only that', () => {
    // Prepare
    const { app, stack } = synthStack(infraTestConfig(), { bundle: false });
    const stray = new sqs.Queue(stack, 'Stray');
    Validations.of(stray).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'test' });
    // Act
    const rules = findings(app).map((f) => f.rule);
    // Assess
    expect(rules).not.toContain('AwsSolutions-SQS3');
    expect(rules).toContain('AwsSolutions-SQS4');
  });
});
