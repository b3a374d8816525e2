/** Builds the real stack for the infra tests, with the feature flags cdk.json gives the CLI. */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parseConfig, type SyncConfig } from '../../lambdas/core/config';
import { CoupaUserSyncStack } from '../../lib/coupa-user-sync-stack';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

export interface SynthResult {
  app: App;
  stack: CoupaUserSyncStack;
  template: Template;
  config: SyncConfig;
}

/**
 * `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks` context): for tests that only read
 * resource properties, so the suite bundles the Lambdas once, not once per config.
 */
export function synthStack(input: unknown, options: { bundle: boolean }): SynthResult {
  const config = parseConfig(input);
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-test-')),
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stack = new CoupaUserSyncStack(app, 'CoupaUserSyncStack', { stackName: config.stackName, config });
  return { app, stack, template: Template.fromStack(stack), config };
}

/** A deployment config that differs from every default, so assertions prove the value came from it. */
export function infraTestConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    stackName: 'CoupaUserSyncTest',
    coupa: { url: 'https://acme-test.coupahost.com', secretName: 'test/coupa-client' },
    api: { maxConcurrency: 3, batchSize: 8, maxReceiveCount: 7 },
    csv: {
      batchSize: 500,
      batchingWindowSeconds: 30,
      sftp: {
        url: 'sftp://sftp.acme-test.example.com',
        trustedHostKeys: ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7testkey'],
        secretName: 'test/coupa-sftp',
      },
    },
    notifications: { email: 'ops@example.com' },
    ...overrides,
  };
}
