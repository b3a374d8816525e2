/**
 * One Lambda of the sync, built the same way every time: Node 22 on ARM, bundled locally with
 * esbuild (no Docker), its own log group with a retention, and its own role that may write only
 * to that log group. Callers add exactly the permissions their handler needs.
 */
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BUNDLED_CONFIG_GLOBAL, bundledConfigDefine, type SyncConfig } from '../../lambdas/core/config';

/**
 * The config's JSON (as a JS string literal) reaches esbuild as one command-line argument, which
 * Linux caps at 128 KiB; a config this size is far beyond any HR mapping seen so far.
 */
export const MAX_INLINED_CONFIG_BYTES = 120 * 1024;

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
  /** Lambda's /tmp (unset: Lambda's default, 512 MiB). */
  ephemeralStorageSize?: Size;
  environment?: Record<string, string>;
  /** Instances that may run at once (unset: the account's unreserved pool). */
  reservedConcurrentExecutions?: number;
}

export class SyncFunction extends Construct {
  /** The handler file name under lambdas/ (e.g. `run-task`). */
  readonly handler: string;
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The config's JSON text inlined into the bundle (configFromEnv reads it there). */
  readonly configJson: string;

  constructor(scope: Construct, id: string, props: SyncFunctionProps) {
    super(scope, id);
    this.handler = props.handler;
    this.configJson = JSON.stringify(props.config);
    const define = bundledConfigDefine(props.config);
    const configLiteral = define[BUNDLED_CONFIG_GLOBAL];
    if (Buffer.byteLength(configLiteral) > MAX_INLINED_CONFIG_BYTES) {
      Annotations.of(this).addError(
        `The configuration is ${Math.ceil(Buffer.byteLength(configLiteral) / 1024)} KB as inlined into the ${props.handler} ` +
          `bundle, more than ${MAX_INLINED_CONFIG_BYTES / 1024} KB: shrink the hr mapping (e.g. fewer map entries).`,
      );
    }
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
      ...(props.ephemeralStorageSize ? { ephemeralStorageSize: props.ephemeralStorageSize } : {}),
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      // The config is inlined into the bundle (bundling.define), not put here: Lambda allows 4 KB of environment.
      environment: {
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
        define,
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
