/**
 * One Lambda of the sync, built the same way every time: Node 22 on ARM, bundled locally with
 * esbuild (no Docker), its own log group with a retention, and its own role that may write only
 * to that log group. Callers add exactly the permissions their handler needs.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONFIG_ENV, type SyncConfig } from '../../lambdas/core/config';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Handler entry files live at the top of lambdas/. */
export function handlerEntry(name: string): string {
  return fileURLToPath(new URL(`../../lambdas/${name}.ts`, import.meta.url));
}

export interface SyncFunctionProps {
  /** Handler file name under lambdas/, without extension (e.g. `splitter`). */
  handler: string;
  config: SyncConfig;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  /** Instances that may run at once (unset: the account's unreserved pool). */
  reservedConcurrentExecutions?: number;
}

export class SyncFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SyncFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to every log group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.handler} Lambda`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      environment: {
        [CONFIG_ENV]: JSON.stringify(props.config),
        POWERTOOLS_SERVICE_NAME: 'coupa-user-sync',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        // ESM: @middy/core 6 ships ESM only. The banner gives CJS dependencies a working `require`.
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        // The Node 22 runtime ships SDK v3: keeping it out makes bundles small, cold starts and synth
        // fast; we call only long-stable operations. CDK and cdk-nag must never reach a Lambda.
        externalModules: ['@aws-sdk/*', 'aws-cdk-lib', 'constructs', 'cdk-nag'],
        forceDockerBundling: false,
      },
    });

    Validations.of(this.fn).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 is the runtime the project targets and tests against (LTS until 2027).',
      },
    );
  }
}
