/**
 * Issue 9, "who may write" and "low": the CSV channel only when configured (and never without a
 * pinned host key), the connector role's trust, the EventBridge → SNS grant, the bucket's optional
 * customer-managed KMS key with exactly the key grants each role needs, and the bucket's retention.
 * Real synthesis (test/infra/synth.ts), Lambdas not bundled: only resource properties are read.
 */
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
    expect(descriptions.filter((d) => /^(Plans an HR file|Applies queued|Notifies and records|Writes the report)/.test(d))).toHaveLength(4);
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
    expect(alarms.filter((a) => a.MetricName === 'Errors')).toHaveLength(4);
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
