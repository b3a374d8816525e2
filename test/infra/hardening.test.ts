/**
 * Issue 9, "who may write" and "low": the CSV channel only when configured (and never without a
 * pinned host key), the connector role's trust, the EventBridge → SNS grant, the bucket's optional
 * customer-managed KMS key with exactly the key grants each role needs, and the bucket's retention.
 * Real synthesis (test/infra/synth.ts), Lambdas not bundled: only resource properties are read.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { infraTestConfig, synthStack } from './synth';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Resources = Record<string, Resource>;

const resourcesOf = (t: { toJSON(): any }) => t.toJSON().Resources as Resources;
const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const noCsv = () => infraTestConfig({ csv: { batchSize: 500 } });
const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHardeningTestKey';

describe('CSV channel only when configured', () => {
  it('without csv.sftp.url (and delivery "api") deploys no connector, batcher, poller, Transfer rules, sFTP secret or outputs, and still synthesizes cleanly', () => {
    // Act
    const { template, stack } = synthStack(noCsv(), { bundle: false });
    const resources = resourcesOf(template);
    // Assess
    template.resourceCountIs('AWS::Transfer::Connector', 0);
    const descriptions = ofType(resources, 'AWS::Lambda::Function').map(([, r]) => r.Properties.Description ?? '');
    expect(descriptions.filter((d) => /user-import|loader results/.test(d))).toEqual([]);
    expect(descriptions.filter((d) => /^(Starts the run state machine|Applies queued|Records every message in a dead-letter queue|Does each step of a run|Releases the turn)/.test(d))).toHaveLength(5);
    expect(ofType(resources, 'AWS::Events::Rule').map(([id]) => id).filter((id) => id.startsWith('CsvChannel'))).toEqual([]);
    expect(JSON.stringify(ofType(resources, 'AWS::Events::Rule'))).not.toContain('aws.transfer');
    // The csv queue stays (another construct's), but nothing consumes it: the planner refuses incoming/csv/ instead.
    const consumers = ofType(resources, 'AWS::Lambda::EventSourceMapping').map(([, r]) => r.Properties.EventSourceArn['Fn::GetAtt'][0]);
    expect(consumers.filter((id: string) => id.startsWith('QueuesCsv') && !id.startsWith('QueuesCsvDlq'))).toEqual([]);
    expect(consumers.filter((id: string) => id.startsWith('QueuesApi') && !id.startsWith('QueuesApiDlq'))).toHaveLength(1);
    expect(ofType(resources, 'AWS::SecretsManager::Secret').map(([, r]) => r.Properties.Name)).toEqual(['test/coupa-client']);
    const outputs = Object.keys(template.toJSON().Outputs);
    expect(outputs).not.toContain('ConnectorId');
    expect(outputs).not.toContain('SftpSecretName');
    expect(outputs).toEqual(expect.arrayContaining(['DropBucketName', 'CoupaSecretName']));
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    // The dashboard copes: no CSV widget or alarms, every remaining Lambda alarms on errors.
    const dashboard = JSON.stringify(ofType(resources, 'AWS::CloudWatch::Dashboard')[0][1].Properties.DashboardBody);
    expect(dashboard).not.toContain('CSV: sFTP transfers');
    expect(dashboard).toContain('Notifications published');
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);
    expect(alarms.filter((a) => a.MetricName === 'TriggeredRules' || a.MetricName === 'CsvFilesFailed')).toEqual([]);
    expect(alarms.filter((a) => a.MetricName === 'Errors')).toHaveLength(6);
  });

  it('with csv.sftp.url and a pinned host key deploys the connector, both CSV Lambdas, the Transfer rules and both outputs', () => {
    // Act
    const { template, stack } = synthStack(infraTestConfig({ csv: { sftp: { url: 'sftp://coupa@sftp.acme.example.com', trustedHostKeys: [HOST_KEY] } } }), { bundle: false });
    // Assess
    template.resourceCountIs('AWS::Transfer::Connector', 1);
    template.hasResourceProperties('AWS::Transfer::Connector', { Url: 'sftp://coupa@sftp.acme.example.com', SftpConfig: Match.objectLike({ TrustedHostKeys: [HOST_KEY] }) });
    const descriptions = ofType(resourcesOf(template), 'AWS::Lambda::Function').map(([, r]) => r.Properties.Description ?? '');
    expect(descriptions.filter((d) => /user-import|loader results/.test(d))).toHaveLength(2);
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['ConnectorId', 'SftpSecretName']));
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  it('synthesizes examples/config.json (the default of `cdk synth`) without errors and without a CSV channel', () => {
    // Prepare
    const example = JSON.parse(readFileSync(new URL('../../examples/config.json', import.meta.url), 'utf8'));
    // Act
    const { template, stack } = synthStack(example, { bundle: false });
    // Assess
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    template.resourceCountIs('AWS::Transfer::Connector', 0);
  });

  it('refuses to synthesize a CSV channel without a pinned host key, naming the setting', () => {
    // Act
    const { stack } = synthStack(infraTestConfig({ csv: { sftp: { url: 'sftp://sftp.acme.example.com' } } }), { bundle: false });
    // Assess
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue()).map((e) => String(e.entry.data));
    expect(errors).toEqual([expect.stringMatching(/^csv\.sftp\.trustedHostKeys is empty: the CSV channel is refused without a pinned host key/)]);
  });

  it('refuses delivery "csv" without csv.sftp.url (and without host keys), saying what is missing', () => {
    // Act
    const { stack } = synthStack(infraTestConfig({ delivery: 'csv', csv: {} }), { bundle: false });
    // Assess
    const errors = Annotations.fromStack(stack).findError('*', Match.anyValue()).map((e) => String(e.entry.data));
    expect(errors).toEqual([
      expect.stringMatching(/^delivery is "csv" but csv\.sftp\.url is not set/),
      expect.stringMatching(/^csv\.sftp\.trustedHostKeys is empty/),
    ]);
  });
});

describe('connector role and Transfer failure alerts', () => {
  const { template } = synthStack(infraTestConfig(), { bundle: false });
  const resources = resourcesOf(template);

  it('lets Transfer Family assume the connector role only for connectors of this account and region (aws:SourceArn and aws:SourceAccount)', () => {
    // Act
    const [, role] = ofType(resources, 'AWS::IAM::Role').find(([id]) => id.startsWith('CsvChannelConnectorRole'))!;
    // Assess
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'transfer.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':transfer:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':connector/*']],
            },
          },
        },
      },
    ]);
  });

  it('lets EventBridge publish to the failure topic only for the send-failed rule of this account', () => {
    // Act
    const statements = ofType(resources, 'AWS::SNS::TopicPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>);
    const fromEvents = statements.filter((s) => JSON.stringify(s.Principal ?? '').includes('events.amazonaws.com'));
    const [ruleId] = ofType(resources, 'AWS::Events::Rule').find(([, r]) => r.Properties.EventPattern?.['detail-type']?.[0] === 'SFTP Connector File Send Failed')!;
    // Assess: exactly one grant, conditioned on that rule's ARN.
    expect(fromEvents).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^AlertsTopic/) },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    // The rule still targets the topic with the message naming the file.
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['SFTP Connector File Send Failed'] }),
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^AlertsTopic') }, InputTransformer: Match.anyValue() })],
    });
  });
});

/** Every statement of every IAM policy attached to a role, by role logical id. */
function policiesByRole(resources: Resources): Map<string, Array<Record<string, any>>> {
  const byRole = new Map<string, Array<Record<string, any>>>();
  for (const [, p] of ofType(resources, 'AWS::IAM::Policy')) {
    for (const role of p.Properties.Roles as Array<{ Ref: string }>) {
      byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...p.Properties.PolicyDocument.Statement]);
    }
  }
  return byRole;
}

/** A key grant usable only through DynamoDB (the run table shares the bucket's key): not a use on S3 objects. */
const throughDynamoDb = (s: Record<string, any>) => JSON.stringify(s.Condition?.StringEquals?.['kms:ViaService'] ?? '').includes('dynamodb.');

/** Which S3 object actions a role has on the drop bucket, and which KMS actions on the given key (outside DynamoDB). */
function bucketAndKeyUse(statements: Array<Record<string, any>>, keyArn: unknown): { s3: string[]; kms: string[] } {
  const onBucket = (s: Record<string, any>) => JSON.stringify(s.Resource).includes('"DropBucket');
  const actions = (s: Record<string, any>) => [s.Action].flat() as string[];
  return {
    s3: [...new Set(statements.filter(onBucket).flatMap(actions).filter((a) => a === 's3:GetObject' || a === 's3:PutObject'))].sort(),
    kms: statements
      // (CDK merges statements of the same actions: the topic key's Decrypt may share one with the bucket key's.)
      .filter((s) => !throughDynamoDb(s) && [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(keyArn)))
      .flatMap(actions)
      .sort(),
  };
}

describe('drop bucket encryption (storage.encryption)', () => {
  it('is SSE-S3 by default, with no bucket key and no KMS grant to any role', () => {
    // Act
    const { template } = synthStack(infraTestConfig(), { bundle: false });
    const resources = resourcesOf(template);
    // Assess
    const [, bucket] = ofType(resources, 'AWS::S3::Bucket').find(([id]) => id.startsWith('DropBucket'))!;
    expect(bucket.Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(ofType(resources, 'AWS::KMS::Key')).toHaveLength(1); // the failure topic's only
    const kmsStatements = [...policiesByRole(resources).values()].flat().filter((s) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
    // Only publishers to the encrypted topic use a key.
    for (const s of kmsStatements) expect(s.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^AlertsKey/), 'Arn'] });
  });

  it('"kms" creates a rotating key kept on deletion, and every role that reads or writes the bucket gets exactly Decrypt / GenerateDataKey on it', () => {
    // Act
    const { template } = synthStack(infraTestConfig({ storage: { encryption: 'kms' } }), { bundle: false });
    const resources = resourcesOf(template);
    // Assess: the bucket and its key
    const [keyId, key] = ofType(resources, 'AWS::KMS::Key').find(([id]) => id.startsWith('DropKey'))!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const [, bucket] = ofType(resources, 'AWS::S3::Bucket').find(([id]) => id.startsWith('DropBucket'))!;
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    ]);
    // Assess: each role's key actions follow from its S3 actions, nothing more.
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    const roles = policiesByRole(resources);
    const checked: string[] = [];
    for (const [roleId, statements] of roles) {
      const use = bucketAndKeyUse(statements, keyArn);
      const expected = [...(use.s3.includes('s3:GetObject') ? ['kms:Decrypt'] : []), ...(use.s3.includes('s3:PutObject') ? ['kms:GenerateDataKey'] : [])];
      expect({ roleId, kms: use.kms }).toEqual({ roleId, kms: expected });
      if (use.s3.length > 0) checked.push(roleId);
    }
    // The Lambdas that read or write files, the uploader, the approver and the Transfer connector use the bucket
    // (the splitter only starts executions, run-ended only the table).
    expect(checked.map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'ApiChannelApiConsumerRole',
      'CsvChannelBatcherRole',
      'CsvChannelConnectorRole',
      'CsvChannelResultsPollerRole',
      'DeadLettersDlqNotifierRole',
      'RunPlanRole',
      'RunTaskRole',
      'WritersHrUploader',
      'WritersRunApprover',
    ]);
    // Spot checks: the connector only reads outbox/, the uploader only writes.
    const id = (prefix: string) => [...roles.keys()].find((r) => r.startsWith(prefix))!;
    expect(bucketAndKeyUse(roles.get(id('CsvChannelConnectorRole'))!, keyArn)).toEqual({ s3: ['s3:GetObject'], kms: ['kms:Decrypt'] });
    expect(bucketAndKeyUse(roles.get(id('WritersHrUploader'))!, keyArn)).toEqual({ s3: ['s3:PutObject'], kms: ['kms:GenerateDataKey'] });
    expect(bucketAndKeyUse(roles.get(id('RunTaskRole'))!, keyArn)).toEqual({ s3: ['s3:GetObject', 's3:PutObject'], kms: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    expect(bucketAndKeyUse(roles.get(id('RunPlanRole'))!, keyArn)).toEqual({ s3: ['s3:GetObject', 's3:PutObject'], kms: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    // The run table is encrypted with the same key: every role that uses the table may use the key through DynamoDB only.
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn } });
    for (const [roleId, statements] of roles) {
      const usesTable = statements.some((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
      const viaDynamoDb = statements.filter(throughDynamoDb);
      expect({ roleId, viaDynamoDb: viaDynamoDb.length }).toEqual({ roleId, viaDynamoDb: usesTable ? 1 : 0 });
      for (const s of viaDynamoDb) expect(s.Resource).toEqual(keyArn);
    }
  });

  it('"kms" with storage.kmsKeyArn uses that key (no new one) and grants it the same way', () => {
    // Prepare
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/0b6c1a52-1111-4c2e-9a00-5c1e2f3a4b5c';
    // Act
    const { template } = synthStack(infraTestConfig({ storage: { encryption: 'kms', kmsKeyArn: arn } }), { bundle: false });
    const resources = resourcesOf(template);
    // Assess
    expect(ofType(resources, 'AWS::KMS::Key').map(([id]) => id).filter((id) => id.startsWith('DropKey'))).toEqual([]);
    const [, bucket] = ofType(resources, 'AWS::S3::Bucket').find(([id]) => id.startsWith('DropBucket'))!;
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arn });
    const roles = policiesByRole(resources);
    const runTask = [...roles.entries()].find(([r]) => r.startsWith('RunTaskRole'))![1];
    expect(bucketAndKeyUse(runTask, arn)).toEqual({ s3: ['s3:GetObject', 's3:PutObject'], kms: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    const approver = [...roles.entries()].find(([r]) => r.startsWith('WritersRunApprover'))![1];
    expect(bucketAndKeyUse(approver, arn)).toEqual({ s3: ['s3:GetObject'], kms: ['kms:Decrypt'] });
  });
});

describe('drop bucket retention (storage.*RetentionDays)', () => {
  const rulesOf = (input: Record<string, unknown>) => {
    const [, bucket] = ofType(resourcesOf(synthStack(input, { bundle: false }).template), 'AWS::S3::Bucket').find(([id]) => id.startsWith('DropBucket'))!;
    return bucket.Properties.LifecycleConfiguration.Rules as Array<Record<string, any>>;
  };
  const expiryByPrefix = (rules: Array<Record<string, any>>) =>
    Object.fromEntries(rules.filter((r) => r.ExpirationInDays !== undefined).map((r) => [r.Prefix ?? '(all)', r.ExpirationInDays]));

  it('keeps runs/ 400 days, incoming/, plan/ and outbox/ 30 days by default, and old versions 30 days', () => {
    // Act
    const rules = rulesOf(infraTestConfig());
    // Assess
    expect(expiryByPrefix(rules)).toEqual({ 'incoming/': 30, 'plan/': 30, 'outbox/': 30, 'runs/': 400, 'state/reads/': 2 });
    expect(rules).toEqual(expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]));
    // No clean-up rules for markers: they are items of the run table now.
    expect(rules.filter((r) => r.ExpiredObjectDeleteMarker)).toEqual([]);
  });

  it('takes each lifetime from the config, and never expires runs/ with 0', () => {
    // Act
    const rules = rulesOf(infraTestConfig({ storage: { runsRetentionDays: 0, incomingRetentionDays: 7, outboxRetentionDays: 14 } }));
    const custom = rulesOf(infraTestConfig({ storage: { runsRetentionDays: 800 } }));
    // Assess
    expect(expiryByPrefix(rules)).toEqual({ 'incoming/': 7, 'plan/': 7, 'outbox/': 14, 'state/reads/': 2 });
    expect(expiryByPrefix(custom)['runs/']).toBe(800);
  });
});
