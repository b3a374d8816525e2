/**
 * CDK app: `npx cdk synth -c config=path/to/config.json` (default examples/config.json).
 * One stack, checked by cdk-nag's AWS Solutions pack; every remaining finding is acknowledged
 * next to the resource it concerns, with its reason.
 *
 * Also runs without the CLI (`CDK_OUTDIR=cdk.out npx tsx bin/app.ts`): cdk.json's feature flags
 * are read here too, so both paths synthesize the same template (the CLI's context wins).
 */
import { existsSync, readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadSyncConfig } from '../lambdas/adapters/local/config-file';
import { CoupaUserSyncStack } from '../lib/coupa-user-sync-stack';

const DEFAULT_CONFIG = 'examples/config.json';
const CDK_JSON = new URL('../cdk.json', import.meta.url);

const featureFlags = existsSync(CDK_JSON) ? (JSON.parse(readFileSync(CDK_JSON, 'utf8')).context ?? {}) : {};
const app = new App({ context: featureFlags });
const configPath: string | undefined =
  app.node.tryGetContext('config') ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
const config = loadSyncConfig(configPath);

new CoupaUserSyncStack(app, 'CoupaUserSyncStack', {
  stackName: config.stackName,
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'coupa-user-sync: keeps Coupa users in step with an HR file',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
