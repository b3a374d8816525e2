/**
 * CDK app: `npx cdk synth -c config=path/to/config.json` (default examples/config.json).
 * One stack, checked by cdk-nag's AWS Solutions pack; every remaining finding is acknowledged
 * next to the resource it concerns, with its reason.
 */
import { existsSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfigFile, parseConfig } from '../lambdas/core/config';
import { CoupaUserSyncStack } from '../lib/coupa-user-sync-stack';

const DEFAULT_CONFIG = 'examples/config.json';

const app = new App();
const configPath: string | undefined = app.node.tryGetContext('config') ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
const config = configPath ? loadConfigFile(configPath) : parseConfig({});

new CoupaUserSyncStack(app, 'CoupaUserSyncStack', {
  stackName: config.stackName,
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'coupa-user-sync: keeps Coupa users in step with an HR file',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
