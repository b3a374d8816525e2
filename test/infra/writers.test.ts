import { beforeAll, describe, expect, it } from 'vitest';
import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import { infraTestConfig, synthStack } from './synth';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

let template: Template;
let resources: Resources;

/** The logical id of the role a Lambda whose description matches runs as. */
function roleOf(description: RegExp): string {
  const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && description.test(r.Properties.Description ?? ''));
  if (!fn) throw new Error(`no function described ${description}`);
  return fn.Properties.Role['Fn::GetAtt'][0];
}

function roleByDescription(description: RegExp): string {
  const found = Object.entries(resources).find(([, r]) => r.Type === 'AWS::IAM::Role' && description.test(r.Properties.Description ?? ''));
  if (!found) throw new Error(`no role described ${description}`);
  return found[0];
}

beforeAll(() => {
  // Prepare
  ({ template } = synthStack(infraTestConfig(), { bundle: false }));
  resources = template.toJSON().Resources as Resources;
});

describe('who may write (issue 9: an HR file can change any user)', () => {
  it('denies PutObject under incoming/ and plan/ to everyone but the uploader role, and approvals/ to everyone but the approver', () => {
    // Act
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties).includes('OnlyTheUploaderWritesHrFiles'))!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const uploader = statements.find((s) => s.Sid === 'OnlyTheUploaderWritesHrFiles')!;
    const approver = statements.find((s) => s.Sid === 'OnlyTheApproverApproves')!;
    // Assess
    expect(uploader).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
    expect(JSON.stringify(uploader.Resource)).toContain('/incoming/*');
    expect(JSON.stringify(uploader.Resource)).toContain('/plan/*');
    expect(uploader.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual({ 'Fn::GetAtt': [roleByDescription(/^HR export job/), 'Arn'] });
    expect(JSON.stringify(approver.Resource)).toContain('/approvals/*');
    expect(approver.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual({ 'Fn::GetAtt': [roleByDescription(/^Operators: may approve/), 'Arn'] });
  });

  it('denies PutObject under continue/ to everyone but the planner: a continuation re-plans the file it names', () => {
    // Act
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties).includes('OnlyThePlannerContinues'))!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const planner = statements.find((s) => s.Sid === 'OnlyThePlannerContinues')!;
    // Assess
    expect(planner).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
    expect(JSON.stringify(planner.Resource)).toContain('/continue/*');
    expect(JSON.stringify(planner.Resource)).not.toContain('/approvals/*');
    expect(planner.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual({ 'Fn::GetAtt': [roleOf(/^Plans an HR file/), 'Arn'] });
  });

  it('lets only the planner send to the api and csv queues, and the redriver role (SQS runs a DLQ redrive with the caller\'s permissions)', () => {
    // Act
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties).includes('OnlyThePlannerSends'));
    // Assess
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      const deny = (p.Properties.PolicyDocument.Statement as Array<Record<string, any>>).find((s) => s.Sid === 'OnlyThePlannerSends')!;
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:SendMessage' });
      expect(deny.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([
        { 'Fn::GetAtt': [roleOf(/^Plans an HR file/), 'Arn'] },
        { 'Fn::GetAtt': [roleByDescription(/^Operators: may move dead-letter/), 'Arn'] },
      ]);
    }
  });

  it('gives the redriver role move tasks from the DLQs into their queues, and nothing in the bucket', () => {
    // Assess
    const redriver = roleByDescription(/^Operators: may move dead-letter/);
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === redriver))!;
    const granted = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const ids = (resource: Array<{ 'Fn::GetAtt': [string, string] }>) => resource.map((r) => r['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, ''));
    expect(granted.map((st) => [st.Action, ids(st.Resource)])).toEqual([
      [['sqs:CancelMessageMoveTask', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ListMessageMoveTasks', 'sqs:ReceiveMessage', 'sqs:StartMessageMoveTask'], ['QueuesApiDlq', 'QueuesCsvDlq']],
      [['sqs:GetQueueAttributes', 'sqs:SendMessage'], ['QueuesApi', 'QueuesCsv']],
    ]);
    template.hasOutput('DlqRedriverRoleArn', { Value: { 'Fn::GetAtt': [redriver, 'Arn'] } });
  });

  it('outputs the uploader and approver role ARNs for HR and the operators', () => {
    // Assess
    template.hasOutput('HrUploaderRoleArn', { Value: { 'Fn::GetAtt': [roleByDescription(/^HR export job/), 'Arn'] } });
    template.hasOutput('RunApproverRoleArn', { Value: { 'Fn::GetAtt': [roleByDescription(/^Operators: may approve/), 'Arn'] } });
  });

  it('keeps the Coupa secret on deletion and lets only the three Lambdas that call Coupa read it', () => {
    // Act
    const secret = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret' && r.Properties.Name === 'test/coupa-client')!;
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::SecretsManager::ResourcePolicy' && JSON.stringify(r.Properties.SecretId) === JSON.stringify({ Ref: secret[0] }))!;
    const deny = policy.Properties.ResourcePolicy.Statement.find((s: Record<string, any>) => s.Sid === 'OnlyTheSyncReadsIt');
    // Assess
    expect((template.toJSON().Resources as Record<string, any>)[secret[0]].DeletionPolicy).toBe('Retain');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'secretsmanager:GetSecretValue' });
    const readers = deny.Condition.ArnNotEquals['aws:PrincipalArn'].map((r: any) => r['Fn::GetAtt'][0]).sort();
    expect(readers).toEqual([roleOf(/^Plans an HR file/), roleOf(/^Applies queued/), roleOf(/^Reads Coupa's loader results/)].sort());
  });
});

describe('Coupa URL', () => {
  it('refuses to synthesize with an http:// Coupa URL', () => {
    // Act
    const { stack } = synthStack(infraTestConfig({ coupa: { url: 'http://acme.coupahost.com' } }), { bundle: false });
    // Assess
    Annotations.fromStack(stack).hasError('*', Match.stringLikeRegexp('coupa.url must be https://'));
  });
});
