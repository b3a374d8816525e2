import { BUNDLE_LIMIT_BYTES } from '../../bench/bundles';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { CREDENTIALS_REFUSED_LOG, worstCaseRequestMs } from '../../lambdas/adapters/aws/api-consumer-limits';
import { parseConfig } from '../../lambdas/core/config';
import { CSV_BATCHER_POLLERS, SEND_COMPLETED, SEND_FAILED } from '../../lib/constructs/csv-delivery';
import type { CfnElement } from 'aws-cdk-lib';
import { SyncFunction } from '../../lib/constructs/sync-function';
import { inlinedConfig, infraTestConfig, synthStack } from './synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

let template: Template;
let resources: Resources;
let outdir: string;
/** The handler file (lambdas/<handler>.ts) of each function, by logical id. */
let handlerOf: Map<string, string>;

/** Our eight Lambdas (CDK adds its own bucket-notification handler, which is not ours to configure). */
function syncFunctions(): Array<[string, Record<string, any>]> {
  return Object.entries(resources)
    .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && !id.startsWith('BucketNotificationsHandler'))
    .map(([id, r]) => [id, r.Properties]);
}

function functionByEntry(description: RegExp): [string, Record<string, any>] {
  const found = syncFunctions().find(([, p]) => description.test(p.Description));
  if (!found) throw new Error(`no function described ${description}`);
  return found;
}

/** The config the function described so reads at run time: the one inlined into its bundle. */
function configOf(description: RegExp) {
  const [id] = functionByEntry(description);
  return inlinedConfig(outdir, resources[id]);
}

/** The statements of the IAM policy attached to a function's role. */
function statementsOf(fn: Record<string, any>): Array<Record<string, any>> {
  const roleId = fn.Role['Fn::GetAtt'][0];
  const policy = Object.values(resources).find(
    (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId),
  )!;
  return policy.Properties.PolicyDocument.Statement;
}
const bucketArn = () => ({ 'Fn::GetAtt': [expect.stringMatching(/^DropBucket/), 'Arn'] });
const objectArn = (key: string) => ({ 'Fn::Join': ['', [bucketArn(), `/${key}`]] });

function queueByRedrive(dlqPrefix: string): Record<string, any> {
  const q = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::SQS::Queue' && r.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0]?.startsWith(dlqPrefix),
  );
  if (!q) throw new Error(`no queue redriving to ${dlqPrefix}`);
  return q[1].Properties;
}

beforeAll(() => {
  // Prepare: the real stack, Lambdas bundled with local esbuild, synthesized once for every test here.
  const synth = synthStack(infraTestConfig(), { bundle: true });
  ({ template } = synth);
  outdir = synth.app.outdir;
  resources = template.toJSON().Resources as Resources;
  handlerOf = new Map(
    synth.stack.node.findAll().filter((c): c is SyncFunction => c instanceof SyncFunction).map((f) => [synth.stack.getLogicalId(f.fn.node.defaultChild as CfnElement), f.handler]),
  );
}, 120_000);

describe('drop bucket', () => {
  it('is private, encrypted, versioned, access-logged, retained and TLS-only', () => {
    // Assess
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ DestinationBucketName: { Ref: Match.stringLikeRegexp('^DropAccessLogs') } }),
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
        },
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^DropBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps run reports (the audit trail) 400 days by default (storage.runsRetentionDays; test/infra/hardening.test.ts)', () => {
    // Act
    const bucket = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::S3::Bucket' && id.startsWith('DropBucket'))!;
    const rules: Array<{ Prefix?: string; ExpirationInDays?: number }> = bucket[1].Properties.LifecycleConfiguration.Rules;
    // Assess
    expect(rules.filter((r) => r.Prefix === 'runs/').map((r) => r.ExpirationInDays)).toEqual([400]);
  });

  it('sends ObjectCreated events under incoming/ and plan/ to the splitter, and nothing else (runs/, state/, approvals/ start nothing)', () => {
    // Assess (the template synthesized in beforeAll)
    const [splitterId] = functionByEntry(/^Starts the run state machine/);
    const toSplitter = (prefix: string) => ({
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
      LambdaFunctionArn: { 'Fn::GetAtt': [splitterId, 'Arn'] },
    });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [toSplitter('incoming/'), toSplitter('plan/')],
        QueueConfigurations: Match.absent(),
        TopicConfigurations: Match.absent(),
      },
    });
    template.resourceCountIs('Custom::S3BucketNotifications', 1);
  });

  it('expires dropped HR files (incoming/, plan/) after 30 days and a dead run\'s read checkpoint after 2; no rules for the prefixes the run table replaced', () => {
    // Act
    const bucket = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::S3::Bucket' && id.startsWith('DropBucket'))!;
    const rules: Array<Record<string, any>> = bucket[1].Properties.LifecycleConfiguration.Rules;
    const byPrefix = (prefix: string) => rules.filter((r) => r.Prefix === prefix).map(({ Id: _, ...rule }) => rule);
    // Assess
    expect(byPrefix('incoming/')).toEqual([{ Prefix: 'incoming/', ExpirationInDays: 30, Status: 'Enabled' }]);
    expect(byPrefix('plan/')).toEqual([{ Prefix: 'plan/', ExpirationInDays: 30, Status: 'Enabled' }]);
    // A continued read's checkpoint (users' data) outlives a run that died by two days at most.
    expect(byPrefix('state/reads/')).toEqual([{ Prefix: 'state/reads/', ExpirationInDays: 2, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, Status: 'Enabled' }]);
    // The run's kept state is read by every run; markers, continuations and approvals are no longer objects.
    for (const gone of ['state/', 'approvals/', 'continue/', 'runs/pending/', 'runs/held/', 'runs/waiting/']) {
      expect(rules.map((r) => r.Prefix)).not.toContain(gone);
    }
  });
});

describe('queues', () => {
  it('api queue is FIFO with our own deduplication ids and redrives to a FIFO DLQ only at the backstop (the consumer counts api.maxReceiveCount itself)', () => {
    // Assess (the template synthesized in beforeAll; its config asks for api.maxReceiveCount 7)
    const api = queueByRedrive('QueuesApiDlq');
    expect(api).toMatchObject({ FifoQueue: true, ContentBasedDeduplication: false, SqsManagedSseEnabled: true });
    expect(api.RedrivePolicy.maxReceiveCount).toBe(100);
    // 100 receives at the longest wait (visibility 6× the consumer timeout, plus a run) end within the 14-day retention.
    expect(100 * (api.VisibilityTimeout + api.VisibilityTimeout / 6)).toBeLessThan(api.MessageRetentionPeriod);
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      RedrivePolicy: Match.absent(),
      SqsManagedSseEnabled: true,
    });
  });

  it('csv queue is standard, encrypted, with a DLQ', () => {
    // Assess (the template synthesized in beforeAll)
    const csv = queueByRedrive('QueuesCsvDlq');
    expect(csv.FifoQueue).toBeUndefined();
    expect(csv.SqsManagedSseEnabled).toBe(true);
  });

  it('every queue refuses plain HTTP', () => {
    // Assess (the template synthesized in beforeAll)
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(5); // api, csv, their DLQs, the splitter's failed events
    for (const p of policies) {
      expect(JSON.stringify(p.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  it('gives each consumer a visibility timeout of at least 6× its timeout', () => {
    // Assess (the template synthesized in beforeAll)
    const [, consumer] = functionByEntry(/Users API/);
    const [, batcher] = functionByEntry(/^Builds Coupa user-import CSV/);
    expect(queueByRedrive('QueuesApiDlq').VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer.Timeout);
    expect(queueByRedrive('QueuesCsvDlq').VisibilityTimeout).toBeGreaterThanOrEqual(6 * batcher.Timeout);
    for (const q of Object.values(resources).filter((r) => r.Type === 'AWS::SQS::Queue')) {
      expect(q.Properties.VisibilityTimeout ?? 30).toBeLessThanOrEqual(12 * 3600); // SQS maximum
    }
  });

  it('csv queue dead-letters no sooner than the 5th delivery, as AWS advises for a queue Lambda polls', () => {
    // Prepare / Act: a config asking for 2 deliveries (properties only: bundling skipped).
    const { template: low } = synthStack(infraTestConfig({ api: { maxReceiveCount: 2 } }), { bundle: false });
    const redrives = Object.values(low.toJSON().Resources as Resources)
      .filter((r) => r.Type === 'AWS::SQS::Queue' && r.Properties.RedrivePolicy)
      .map((r) => r.Properties.RedrivePolicy);
    const receivesBefore = (dlqPrefix: string) =>
      redrives.find((p) => p.deadLetterTargetArn['Fn::GetAtt'][0].startsWith(dlqPrefix)).maxReceiveCount;
    // Assess
    expect(receivesBefore('QueuesCsvDlq')).toBe(5);
    expect(receivesBefore('QueuesApiDlq')).toBe(100);
  });
});

describe('lambdas', () => {
  it('run Node.js 22 on ARM with a log group that has a retention', () => {
    // Assess (the template synthesized in beforeAll)
    const fns = syncFunctions();
    expect(fns).toHaveLength(8);
    for (const [, p] of fns) {
      expect(p.Runtime).toBe('nodejs22.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.LoggingConfig.LogGroup.Ref).toMatch(/Logs/);
    }
    // (And the state machine's own log group.)
    const groups = Object.values(resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(groups).toHaveLength(9);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(90);
  });

  it('are bundled as ESM that loads in plain Node and exports the handler, without CDK inside, each under the bundle budget', () => {
    // Prepare: the asset files `cdk synth` wrote (the config inlined), copied into the repo so their
    // external @aws-sdk/* imports resolve as on Lambda.
    const bundles = readdirSync(outdir).filter((d) => d.startsWith('asset.') && existsSync(join(outdir, d, 'index.mjs')));
    const assetOf = ([, p]: [string, Record<string, any>]) => `asset.${String(p.Code.S3Key).replace(/\.zip$/, '')}`;
    expect(bundles.sort()).toEqual(syncFunctions().map(assetOf).sort());
    const scratch = mkdtempSync(join(fileURLToPath(new URL('../../', import.meta.url)), '.bundle-check-'));
    try {
      const sizes: Record<string, number> = {};
      const copies = syncFunctions().map((fn) => {
        const bundle = assetOf(fn);
        const code = readFileSync(join(outdir, bundle, 'index.mjs'), 'utf8');
        expect(code).not.toMatch(/aws-cdk-lib|cdk-nag/);
        sizes[handlerOf.get(fn[0])!] = Buffer.byteLength(code);
        // The SDK stays external and is loaded on first use (import("@aws-sdk/client-…")), never bundled.
        expect(code).not.toMatch(/from\s*"@aws-sdk\/client-/);
        const copy = join(scratch, `${bundle}.mjs`);
        writeFileSync(copy, code);
        return pathToFileURL(copy).href;
      });
      // Issue 15: every bundle as synthesized (config inlined) within its budget (bench/bundles.ts: 300 KB).
      expect(Object.keys(sizes).sort()).toEqual(['api-consumer', 'csv-batcher', 'csv-results-poller', 'dlq-notifier', 'run-ended', 'run-plan', 'run-task', 'splitter']);
      for (const [handler, bytes] of Object.entries(sizes)) {
        expect({ handler, bytes, within: bytes < BUNDLE_LIMIT_BYTES }).toEqual({ handler, bytes, within: true });
      }
      // Act: what the Lambda runtime does first, in a plain Node process (no test transform).
      const script = `for (const u of ${JSON.stringify(copies)}) console.log(typeof (await import(u)).handler);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
      // Assess
      expect(out.trim().split('\n')).toEqual(copies.map(() => 'function'));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('run-plan may run 15 minutes with 3008 MB (a roster and Coupa\'s users in memory while planning), run-task the same (Enqueue holds the plan it queues), both with 2 GiB of /tmp (spooled outcomes, reports); the splitter only starts executions (512 MB, 1 minute)', () => {
    // Assess (the template synthesized in beforeAll)
    const [, runPlan] = functionByEntry(/^Plans a run/);
    expect(runPlan).toMatchObject({ Timeout: 900, MemorySize: 3008, EphemeralStorage: { Size: 2048 } });
    const [, runTask] = functionByEntry(/^Does each step of a run/);
    expect(runTask).toMatchObject({ Timeout: 900, MemorySize: 3008, EphemeralStorage: { Size: 2048 } });
    const [, splitter] = functionByEntry(/^Starts the run state machine/);
    expect(splitter).toMatchObject({ Timeout: 60, MemorySize: 512 });
  });

  it('gives only run-plan and run-task more than Lambda\'s default /tmp', () => {
    // Assess
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => (f as { Properties: { Description?: string; EphemeralStorage?: { Size: number } } }).Properties);
    const larger = functions.filter((f) => f.EphemeralStorage !== undefined).map((f) => f.Description);
    expect(larger).toHaveLength(2);
    expect(larger).toEqual(expect.arrayContaining([expect.stringMatching(/^Does each step of a run/), expect.stringMatching(/^Plans a run/)]));
  });

  it('run-plan has no config in its environment and names only the bucket, run table and Coupa secret', () => {
    // Assess (the template synthesized in beforeAll)
    const [, runPlan] = functionByEntry(/^Plans a run/);
    const env = runPlan.Environment.Variables;
    expect(Object.keys(env).filter((k) => !['POWERTOOLS_SERVICE_NAME', 'NODE_OPTIONS'].includes(k)).sort()).toEqual(['BUCKET_NAME', 'COUPA_SECRET_ARN', 'RUN_TABLE']);
  });

  it('run-plan may read exactly the dropped version under incoming/ and plan/, read and write runs/ and state/, delete read checkpoints, list only runs/ and state/, read and update run items and read who holds the turn, read the Coupa secret; it neither sends nor publishes', () => {
    // Assess (the template synthesized in beforeAll)
    const [runPlanId] = functionByEntry(/^Plans a run/);
    const statements = statementsOf(resources[runPlanId].Properties);
    const s3 = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('s3:')));
    // (CDK merges statements of the same actions.)
    expect(s3).toEqual([
      expect.objectContaining({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: [objectArn('incoming/*'), objectArn('plan/*')] }),
      expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject'], Resource: [objectArn('runs/*'), objectArn('state/*')] }),
      expect.objectContaining({ Action: 's3:DeleteObject', Resource: objectArn('state/reads/*') }),
      // Without s3:ListBucket S3 answers a read of a missing key (no snapshot or checkpoint yet) with 403 AccessDenied instead of 404 NoSuchKey.
      expect.objectContaining({ Action: 's3:ListBucket', Resource: bucketArn(), Condition: { StringLike: { 's3:prefix': ['runs/*'] } } }),
      expect.objectContaining({ Action: 's3:ListBucket', Resource: bucketArn(), Condition: { StringLike: { 's3:prefix': ['state/*'] } } }),
    ]);
    const dynamo = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([
      expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*'] } } }),
      expect.objectContaining({ Action: 'dynamodb:GetItem', Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['line#*'] } } }),
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: expect.stringMatching(/^SecretsCoupaClient/) } }),
    );
    const actions = statements.flatMap((st) => [st.Action].flat() as string[]);
    expect(actions.filter((a) => a.startsWith('sqs:') || a.startsWith('sns:'))).toEqual([]);
  });

  it('run-task has no config in its environment (config-size.test.ts reads it from the bundle) and names the bucket, run table, both queues, topic and Coupa secret', () => {
    // Assess (the template synthesized in beforeAll)
    const [, runTask] = functionByEntry(/^Does each step of a run/);
    const env = runTask.Environment.Variables;
    expect(env.RUN_TABLE).toEqual({ Ref: expect.stringMatching(/^RunsTable/) });
    expect(env.COUPA_SYNC_CONFIG).toBeUndefined();
    expect(env.COUPA_SECRET_ARN).toEqual({ Ref: expect.stringMatching(/^SecretsCoupaClient/) });
    expect(env.API_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^QueuesApi[0-9A-F]/) });
    expect(env.CSV_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^QueuesCsv[0-9A-F]/) });
    expect(env.TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/^AlertsTopic/) });
    expect(env.BUCKET_NAME).toEqual({ Ref: expect.stringMatching(/^DropBucket/) });
  });

  it('run-task may read and write runs/ and the monitoring state (state/monitoring/) and list only those, write the accepted roster, never read an HR file, use run and line items of the table, read the Coupa secret, send and publish', () => {
    // Assess (the template synthesized in beforeAll)
    const [runTaskId] = functionByEntry(/^Does each step of a run/);
    const statements = statementsOf(resources[runTaskId].Properties);
    const s3 = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('s3:')));
    // (CDK merges statements of the same actions.)
    expect(s3).toEqual([
      expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject'], Resource: [objectArn('runs/*'), objectArn('state/monitoring/*')] }),
      expect.objectContaining({ Action: 's3:PutObject', Resource: objectArn('state/accepted-roster.json') }),
      expect.objectContaining({ Action: 's3:ListBucket', Resource: bucketArn(), Condition: { StringLike: { 's3:prefix': ['runs/*'] } } }),
      expect.objectContaining({ Action: 's3:ListBucket', Resource: bucketArn(), Condition: { StringLike: { 's3:prefix': ['state/monitoring/*'] } } }),
    ]);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RunsTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*', 'line#*'] } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: { Ref: expect.stringMatching(/^SecretsCoupaClient/) } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^QueuesApi[0-9A-F]/), 'Arn'] }, { 'Fn::GetAtt': [expect.stringMatching(/^QueuesCsv[0-9A-F]/), 'Arn'] }],
      }),
    );
    expect(statements.map((st) => st.Action)).toContain('sns:Publish');
  });

  it('splitter may only start executions of the run state machine (and hand a failed event to its queue)', () => {
    // Assess (the template synthesized in beforeAll)
    const [, splitter] = functionByEntry(/^Starts the run state machine/);
    expect(splitter.Environment.Variables.STATE_MACHINE_ARN).toEqual({ Ref: expect.stringMatching(/^RunMachineStateMachine/) });
    const actions = statementsOf(splitter).map((st) => [st.Action].flat().join(',')).sort();
    expect(actions).toEqual(['logs:CreateLogStream,logs:PutLogEvents', 'sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:SendMessage', 'states:StartExecution']);
    expect(statementsOf(splitter)).toContainEqual(
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: expect.stringMatching(/^RunMachineStateMachine/) } }),
    );
  });

  it('splitter sends an S3 event it still fails on after its retries to a queue that alarms, never drops it', () => {
    // Assess (the template synthesized in beforeAll)
    const [splitterId] = functionByEntry(/^Starts the run state machine/);
    const invokeConfig = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && r.Properties.FunctionName.Ref === splitterId,
    )!;
    expect(invokeConfig.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });
    const failedQueueId: string = invokeConfig.Properties.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    expect(failedQueueId).toMatch(/^SplitFailedEvents/);
    expect(resources[failedQueueId]).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 } });
    // The splitter may send to it (Lambda delivers the on-failure record with the function's role).
    const roleId = resources[splitterId].Properties.Role['Fn::GetAtt'][0];
    const policy = Object.values(resources).find(
      (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId),
    )!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Action: expect.arrayContaining(['sqs:SendMessage']), Resource: { 'Fn::GetAtt': [failedQueueId, 'Arn'] } }),
    );
    // Any message in it notifies the failure topic.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [failedQueueId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }],
      AlarmDescription: Match.stringLikeRegexp('NOT split'),
    });
  });

  it('api consumer has room for several worst-case Coupa requests, its queue 6× that', () => {
    // Assess (the template synthesized in beforeAll)
    const [, consumer] = functionByEntry(/Users API/);
    const worstCase = worstCaseRequestMs(configOf(/Users API/).coupa) / 1000;
    expect(consumer.Timeout).toBeGreaterThanOrEqual(300);
    expect(consumer.Timeout).toBeGreaterThanOrEqual(3 * worstCase);
    expect(consumer.Timeout).toBeLessThanOrEqual(900);
    expect(queueByRedrive('QueuesApiDlq').VisibilityTimeout).toBe(6 * consumer.Timeout);
  });

  it('api consumer timeout follows slow Coupa settings up to 15 minutes, with a warning when they do not fit', () => {
    // Prepare / Act (properties only: bundling skipped)
    const slow = infraTestConfig({ coupa: { url: 'https://acme-test.coupahost.com', requestTimeoutMs: 60_000, maxRetryMs: 120_000 } });
    const tooSlow = infraTestConfig({ coupa: { url: 'https://acme-test.coupahost.com', requestTimeoutMs: 120_000, maxRetryMs: 300_000 } });
    const timeoutOf = (t: Template) =>
      Object.values(t.toJSON().Resources as Resources).find(
        (r) => r.Type === 'AWS::Lambda::Function' && /Users API/.test(r.Properties.Description),
      )!.Properties.Timeout;
    const fits = synthStack(slow, { bundle: false });
    const capped = synthStack(tooSlow, { bundle: false });
    // Assess
    expect(timeoutOf(fits.template)).toBe(Math.ceil((3 * worstCaseRequestMs(parseConfig(slow).coupa)) / 1000));
    expect(Annotations.fromStack(fits.stack).findWarning('*', Match.stringLikeRegexp('slow|fewer than'))).toEqual([]);
    expect(timeoutOf(capped.template)).toBe(900);
    expect(Annotations.fromStack(capped.stack).findWarning('*', Match.stringLikeRegexp('fewer than 3'))).toHaveLength(1);
    const hopeless = synthStack(
      infraTestConfig({ coupa: { url: 'https://acme-test.coupahost.com', requestTimeoutMs: 600_000, maxRetryMs: 300_000 } }),
      { bundle: false },
    );
    expect(Annotations.fromStack(hopeless.stack).findError('*', Match.stringLikeRegexp('could never start a login'))).toHaveLength(1);
  });

  it('api consumer counts "credentials refused" log lines into a metric that alarms', () => {
    // Assess (the template synthesized in beforeAll)
    const [, consumer] = functionByEntry(/Users API/);
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: consumer.LoggingConfig.LogGroup.Ref },
      FilterPattern: `"${CREDENTIALS_REFUSED_LOG}"`,
      MetricTransformations: [{ MetricNamespace: 'CoupaUserSync', MetricName: 'CoupaCredentialsRefused', MetricValue: '1' }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CoupaUserSync',
      MetricName: 'CoupaCredentialsRefused',
      Statistic: 'Sum',
      Threshold: 0,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlertsTopic') }],
    });
  });

  it('api consumer reads its config from its bundle and names the secret, topic and bucket', () => {
    // Assess (the template synthesized in beforeAll)
    const [, consumer] = functionByEntry(/Users API/);
    const env = consumer.Environment.Variables;
    const config = configOf(/Users API/);
    expect(config.api.maxConcurrency).toBe(3);
    expect(config.coupa.url).toBe('https://acme-test.coupahost.com');
    expect(env.COUPA_SECRET_ARN.Ref).toMatch(/^SecretsCoupaClient/);
    expect(env.TOPIC_ARN.Ref).toMatch(/^AlertsTopic/);
    expect(env.BUCKET_NAME.Ref).toMatch(/^DropBucket/);
  });

  it('api consumer may send to its DLQ (it dead-letters a change itself)', () => {
    // Assess (the template synthesized in beforeAll)
    const [, consumer] = functionByEntry(/Users API/);
    expect(consumer.Environment.Variables.API_DLQ_URL.Ref).toMatch(/^QueuesApiDlq/);
    const statements = statementsOf(consumer);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^QueuesApiDlq/), 'Arn'] } }),
    );
  });

  it('api consumer polls the FIFO queue with partial-batch failures and the configured concurrency', () => {
    // Assess (the template synthesized in beforeAll)
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueuesApi[0-9A-F]'), 'Arn'] },
      BatchSize: 8,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 3 },
    });
  });

  it('csv batcher gathers large batches within the configured window', () => {
    // Assess (the template synthesized in beforeAll)
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueuesCsv[0-9A-F]'), 'Arn'] },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('csv batcher may run as many batches as its event source polls (2, the least SQS allows), so no batch is polled only to be throttled', () => {
    // Assess (the template synthesized in beforeAll)
    const [batcherId, batcher] = functionByEntry(/^Builds Coupa user-import CSV/);
    expect(batcher.ReservedConcurrentExecutions).toBe(2);
    const mapping = Object.values(resources).find(
      (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === batcherId,
    )!;
    expect(mapping.Properties.ScalingConfig).toEqual({ MaximumConcurrency: CSV_BATCHER_POLLERS });
    expect(CSV_BATCHER_POLLERS).toBe(2);
    // No other function is limited: the rest scale as configured.
    expect(syncFunctions().filter(([, p]) => p.ReservedConcurrentExecutions !== undefined)).toHaveLength(1);
  });

  it('dlq-notifier looks at both dead-letter queues every 5 minutes and cannot consume them (no event source, no delete)', () => {
    // Assess (the template synthesized in beforeAll)
    const [notifierId, notifier] = functionByEntry(/dead-letter queue/);
    const sources = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.FunctionName.Ref === notifierId);
    expect(sources).toEqual([]);
    const rules = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && (r.Properties.Targets ?? []).some((t: any) => t.Arn?.['Fn::GetAtt']?.[0] === notifierId),
    );
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    expect(JSON.stringify(notifier.Environment.Variables.DLQ_URLS)).toMatch(/QueuesApiDlq.*QueuesCsvDlq/);
    const sqsActions = statementsOf(notifier).filter((st) => [st.Action].flat().some((a: string) => a.startsWith('sqs:')));
    expect(sqsActions).toEqual([
      expect.objectContaining({
        Action: 'sqs:ReceiveMessage',
        Resource: [{ 'Fn::GetAtt': [expect.stringMatching(/^QueuesApiDlq/), 'Arn'] }, { 'Fn::GetAtt': [expect.stringMatching(/^QueuesCsvDlq/), 'Arn'] }],
      }),
    ]);
  });

  it('grants no IAM action on "*" to our Lambdas', () => {
    // Assess (the template synthesized in beforeAll)
    // (The state machine's role is not a Lambda's: X-Ray and log delivery take no resource, see below.)
    const policies = Object.entries(resources).filter(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && !id.startsWith('BucketNotificationsHandler') && !id.startsWith('RunMachineStateMachineRole'),
    );
    expect(policies.length).toBeGreaterThanOrEqual(7);
    for (const [, p] of policies) {
      for (const s of p.Properties.PolicyDocument.Statement) {
        expect([s.Resource].flat()).not.toContain('*');
        expect([s.Action].flat().some((a: string) => a.endsWith('*'))).toBe(false);
      }
    }
  });
});

describe('alerts', () => {
  it('failure topic is KMS-encrypted, TLS-only and mails the configured address', () => {
    // Assess (the template synthesized in beforeAll)
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });

  it('lets EventBridge and this account’s CloudWatch alarms publish to the encrypted topic', () => {
    // Assess (the template synthesized in beforeAll)
    const key = Object.values(resources).find((r) => r.Type === 'AWS::KMS::Key')!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const services = JSON.stringify(key.Properties.KeyPolicy);
    expect(services).toContain('events.amazonaws.com');
    expect(services).toContain('cloudwatch.amazonaws.com');
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AlarmsOfThisAccountPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
  });

  it('has one secret for the Coupa client and one for the sFTP user, named from the config', () => {
    // Assess (the template synthesized in beforeAll)
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'test/coupa-client',
      GenerateSecretString: { SecretStringTemplate: '{"clientId":""}', GenerateStringKey: 'clientSecret' },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'test/coupa-sftp' });
  });

  /** The metric names an alarm reads, plain or through metric math. */
  const alarmMetricNames = (a: { Properties: Record<string, any> }): string[] =>
    a.Properties.MetricName
      ? [a.Properties.MetricName]
      : (a.Properties.Metrics as Array<Record<string, any>>).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric.MetricName);
  const alarmsReading = (name: string) => Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && alarmMetricNames(r).includes(name));
  const descriptionOf = (a: { Properties: Record<string, any> }) => JSON.stringify(a.Properties.AlarmDescription);

  it('alarms on dead letters, api queue age, every Lambda\'s errors, failure share, held runs, failed transfers and loads, failed splitter events, refused credentials and dead run executions, notifying the topic', () => {
    // Assess (the template synthesized in beforeAll)
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(17);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^AlertsTopic/) }]);
      expect(a.Properties).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching', EvaluationPeriods: 1 });
      // Every alarm says what to do.
      expect(descriptionOf(a)).toMatch(/upload|approve|[Rr]otate|redrive|fix the cause|drains/);
    }
    expect(alarms.map(alarmMetricNames).map((n) => [...new Set(n)].sort().join('+')).sort()).toEqual([
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      'CoupaCredentialsRefused',
      'CsvFilesFailed',
      'DeadLetters',
      'Errors',
      'Errors',
      'Errors',
      'Errors',
      'Errors',
      'Errors',
      'Errors',
      'Errors',
      'ExecutionsAborted+ExecutionsFailed+ExecutionsTimedOut',
      'RunsHeld',
      'TriggeredRules',
      'UsersCreated+UsersDeactivated+UsersFailed+UsersReactivated+UsersUnchanged+UsersUpdated',
    ]);
  });

  it('alarms on dead letters from the metric the dlq-notifier emits (both channels), not on DLQ depth', () => {
    const [alarm] = alarmsReading('DeadLetters');
    const stats = (alarm.Properties.Metrics as Array<Record<string, any>>).filter((m) => m.MetricStat);
    expect(stats.map((m) => m.MetricStat.Metric.Dimensions)).toEqual([
      [{ Name: 'channel', Value: 'api' }, { Name: 'service', Value: 'coupa-user-sync' }],
      [{ Name: 'channel', Value: 'csv' }, { Name: 'service', Value: 'coupa-user-sync' }],
    ].map((d) => expect.arrayContaining(d)));
    expect(stats.every((m) => m.MetricStat.Metric.Namespace === 'CoupaUserSync' && m.MetricStat.Stat === 'Sum')).toBe(true);
    expect(alarm.Properties.Threshold).toBe(0);
    expect(descriptionOf(alarm)).toContain('upload the HR file again');
    // The exact redrive command, with the api DLQ's and the api queue's ARNs.
    expect(descriptionOf(alarm)).toMatch(/aws sqs start-message-move-task --source-arn ".*QueuesApiDlq.*--destination-arn ".*QueuesApi[0-9A-F]/);
    const dlqDepthAlarms = alarmsReading('ApproximateNumberOfMessagesVisible').filter((a) =>
      JSON.stringify(a.Properties.Dimensions).includes('QueuesApiDlq') || JSON.stringify(a.Properties.Dimensions).includes('QueuesCsvDlq'),
    );
    expect(dlqDepthAlarms).toEqual([]);
  });

  it('alarms when the api queue\'s oldest message is older than 30 minutes', () => {
    const [alarm] = alarmsReading('ApproximateAgeOfOldestMessage');
    expect(alarm.Properties).toMatchObject({ Threshold: 1800, Statistic: 'Maximum' });
    expect(JSON.stringify(alarm.Properties.Dimensions)).toMatch(/QueuesApi(?!Dlq)/);
  });

  it('alarms on errors of every one of the eight Lambdas, results poller, dlq-notifier, run-plan, run-task and run-ended included', () => {
    const errorAlarms = alarmsReading('Errors');
    const functionIds = errorAlarms.map((a) => a.Properties.Dimensions[0].Value.Ref).sort();
    expect(functionIds).toEqual(syncFunctions().map(([id]) => id).sort());
    expect(errorAlarms.map(descriptionOf).join('\n')).toContain('never deletes a dead message');
  });

  it('alarms on a Coupa failure share above 20% of at least 10 api rows in 15 minutes', () => {
    const [alarm] = alarmsReading('UsersFailed');
    const expression = (alarm.Properties.Metrics as Array<Record<string, any>>).find((m) => m.Expression)!;
    expect(expression.Expression).toMatch(/^IF\(.* >= 10, 100 \* FILL\(failed, 0\) \/ .*, 0\)$/);
    expect(alarm.Properties.Threshold).toBe(20);
    for (const m of (alarm.Properties.Metrics as Array<Record<string, any>>).filter((x) => x.MetricStat)) {
      expect(m.MetricStat.Period).toBe(900);
      expect(m.MetricStat.Metric.Dimensions).toContainEqual({ Name: 'channel', Value: 'api' });
    }
  });

  it('alarms on run executions that failed, timed out or were aborted, of this state machine, saying how to redrive', () => {
    const [alarm] = alarmsReading('ExecutionsFailed');
    const stats = (alarm.Properties.Metrics as Array<Record<string, any>>).filter((m) => m.MetricStat);
    expect(stats.map((m) => m.MetricStat.Metric.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const m of stats) {
      expect(m.MetricStat.Metric).toMatchObject({ Namespace: 'AWS/States', Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: expect.stringMatching(/^RunMachineStateMachine/) } }] });
      expect(m.MetricStat.Stat).toBe('Sum');
    }
    expect(descriptionOf(alarm)).toContain('redrive-execution');
  });

  it('alarms on a held run with the approve command, and on failed transfers and loads with what to re-upload', () => {
    const [held] = alarmsReading('RunsHeld');
    // The exact commands, with the run table's name (the held run's task token is there).
    expect(descriptionOf(held)).toMatch(/coupa-sync approve <runId> --table ",\{"Ref":"RunsTable/);
    expect(descriptionOf(held)).toMatch(/coupa-sync reject <runId> --table ",\{"Ref":"RunsTable[^}]*\}," --why TEXT/);
    const [transfer] = alarmsReading('TriggeredRules');
    expect(transfer.Properties.Dimensions).toEqual([{ Name: 'RuleName', Value: { Ref: expect.stringMatching(/^CsvChannelSendFailed/) } }]);
    const [csvFailed] = alarmsReading('CsvFilesFailed');
    expect(csvFailed.Properties).toMatchObject({ Namespace: 'CoupaUserSync', Statistic: 'Sum', Threshold: 0 });
    const [credentials] = alarmsReading('CoupaCredentialsRefused');
    expect(descriptionOf(credentials)).toContain('Rotate the secret');
  });

  it('has a dashboard with the run funnel, user changes, Coupa latency and throttles, queues, Lambdas and CSV transfers', () => {
    // Assess (the template synthesized in beforeAll)
    const dashboard = Object.values(resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard')!;
    expect(dashboard.Properties.DashboardName).toBe('CoupaUserSyncTest-sync');
    const body = dashboard.Properties.DashboardBody;
    const text = JSON.stringify(body);
    for (const title of [
      'Run funnel: rows read → queued → applied / failed',
      'User changes by type',
      'Coupa latency (ms): p50 / p95 / p99',
      'Coupa requests, throttles (429) and retries',
      'Messages waiting (queues and DLQs)',
      'Age of oldest message (s)',
      'Lambda errors',
      'Lambda throttles',
      'Lambda duration p95 (ms)',
      'CSV: sFTP transfers and Coupa loads',
    ]) {
      expect(text).toContain(title);
    }
    for (const metric of [
      'RowsRead', 'RowsRejected', 'ChangesQueued', 'UsersCreated', 'UsersUpdated', 'UsersDeactivated', 'UsersReactivated',
      'UsersUnchanged', 'UsersApplied', 'UsersFailed', 'RunsHeld', 'DeadLetters', 'PlanSize', 'FilesReceived', 'RunsReported',
      'CoupaLatency', 'CoupaThrottled', 'CoupaRetries', 'CoupaRequests', 'CsvFilesSent', 'CsvFilesLoaded', 'CsvFilesFailed',
      'ApproximateAgeOfOldestMessage', 'ApproximateNumberOfMessagesVisible', 'Errors', 'Throttles', 'Duration',
      'TriggeredRules', 'NumberOfMessagesPublished',
    ]) {
      expect(text).toContain(`\\"${metric}\\"`);
    }
    for (const stat of ['p50', 'p95', 'p99']) expect(text).toContain(`\\"stat\\":\\"${stat}\\"`);
    // Every queue and both DLQs, and every one of our Lambdas, have a line.
    for (const id of ['QueuesApi', 'QueuesCsv', 'QueuesApiDlq', 'QueuesCsvDlq']) expect(text).toMatch(new RegExp(id));
    for (const [id] of syncFunctions()) expect(text).toContain(id);
    // Only low-cardinality dimensions on our own metrics.
    expect(text).not.toMatch(/runId|login/);
    expect(body).toMatchSnapshot();
  });
});

describe('csv delivery', () => {
  it('creates the Transfer Family connector from the configured URL, host keys and secret', () => {
    // Assess (the template synthesized in beforeAll)
    template.hasResourceProperties('AWS::Transfer::Connector', {
      Url: 'sftp://sftp.acme-test.example.com',
      SftpConfig: {
        TrustedHostKeys: ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7testkey'],
        UserSecretId: { Ref: Match.stringLikeRegexp('^SecretsSftpUser') },
        MaxConcurrentConnections: 1,
      },
      AccessRole: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CsvChannelConnectorRole'), 'Arn'] },
    });
  });

  it('lets the batcher start transfers on that connector only', () => {
    // Assess (the template synthesized in beforeAll)
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'transfer:StartFileTransfer', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CsvChannelConnector'), 'Arn'] } },
        ]),
      },
    });
  });

  it('turns failed sends of this connector into a notification naming the file and the error', () => {
    // Assess (the template synthesized in beforeAll)
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.transfer'],
        'detail-type': [SEND_FAILED],
        detail: { 'connector-id': [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^CsvChannelConnector'), 'ConnectorId'] }] },
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
          InputTransformer: Match.objectLike({
            InputPathsMap: Match.objectLike({
              'detail-file-path': '$.detail.file-path',
              'detail-failure-message': '$.detail.failure-message',
            }),
          }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['aws.transfer'], 'detail-type': [SEND_COMPLETED] }),
    });
  });

  it('polls for loader results every 5 minutes', () => {
    // Assess (the template synthesized in beforeAll)
    const [pollerId] = functionByEntry(/loader results/);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [pollerId, 'Arn'] } })],
    });
  });
});

describe('config variations', () => {
  it('has no e-mail subscription when no address is configured', () => {
    // Prepare / Act: same stack, no e-mail (properties only: bundling skipped). Host keys: test/infra/hardening.test.ts.
    const { template: bare, stack: bareStack } = synthStack(infraTestConfig({ notifications: {} }), { bundle: false });
    // Assess
    bare.resourceCountIs('AWS::SNS::Subscription', 0);
    expect(Annotations.fromStack(bareStack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('synthesis warnings', () => {
  it('warns when coupa.url is missing, since the Lambdas cannot reach Coupa without it', () => {
    // Prepare / Act
    const { stack } = synthStack({}, { bundle: false });
    // Assess
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('coupa.url is not set'));
    expect(warnings).toHaveLength(1);
  });
});

describe('api-consumer and the run table', () => {
  it('may write only row outcomes in the bucket, and get, put, update and delete only run items of the table', () => {
    // Assess (the template synthesized in beforeAll)
    const [, consumer] = functionByEntry(/^Applies queued HR rows to Coupa/);
    const statements = statementsOf(consumer);
    const s3 = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3).toEqual([expect.objectContaining({ Action: 's3:PutObject', Resource: objectArn('runs/*/outcomes/*') })]);
    const table = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
    expect(table).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RunsTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*'] } },
      }),
    ]);
    expect(consumer.Environment.Variables).toMatchObject({
      RUN_TABLE: { Ref: expect.stringMatching(/^RunsTable/) },
      STATE_MACHINE_ARN: { Ref: expect.stringMatching(/^RunMachineStateMachine/) },
    });
  });
});
