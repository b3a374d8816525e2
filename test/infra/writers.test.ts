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
}, 120_000);

describe('who may write (issue 9: an HR file can change any user)', () => {
  /** The drop bucket's policy statement with this Sid. */
  const bucketStatement = (sid: string): Record<string, any> => {
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties).includes(sid))!;
    return (policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>).find((s) => s.Sid === sid)!;
  };
  const roleArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const consumers = () => [/^Applies queued/, /^Records every message in a dead-letter queue/, /^Builds Coupa user-import CSV/, /^Reads Coupa's loader results/].map(roleOf);

  it('denies PutObject under incoming/ and plan/ to everyone but the uploader role', () => {
    // Act
    const uploader = bucketStatement('OnlyTheUploaderWritesHrFiles');
    // Assess
    expect(uploader).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject' });
    expect(JSON.stringify(uploader.Resource)).toContain('/incoming/*');
    expect(JSON.stringify(uploader.Resource)).toContain('/plan/*');
    expect(uploader.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual(roleArn(roleByDescription(/^HR export job/)));
    // No approvals/ prefix any more: an approval is a task token sent back to the state machine.
    expect(JSON.stringify(resources)).not.toContain('/approvals/');
  });

  it('denies writing or deleting state/ to everyone but the run\'s two functions, and runs/ to everyone but them and the consumers', () => {
    // Act
    const state = bucketStatement('OnlyTheRunWritesState');
    const runs = bucketStatement('OnlyTheRunAndConsumersWriteRuns');
    // Assess
    for (const deny of [state, runs]) expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:DeleteObject', 's3:PutObject'] });
    expect(JSON.stringify(state.Resource)).toMatch(/"\/state\/\*"/);
    const runFunctions = [roleOf(/^Plans a run/), roleOf(/^Does each step of a run/)];
    expect(state.Condition.ArnNotLike['aws:PrincipalArn']).toEqual(runFunctions.map(roleArn));
    expect(JSON.stringify(runs.Resource)).toMatch(/"\/runs\/\*"/);
    expect(runs.Condition.ArnNotLike['aws:PrincipalArn']).toEqual([...runFunctions, ...consumers()].map(roleArn));
  });

  it('denies the consumers any write or delete in the bucket but their row outcomes under runs/ and the CSV channel\'s outbox/', () => {
    // Act
    const deny = bucketStatement('ConsumersWriteOnlyOutcomes');
    // Assess
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:DeleteObject', 's3:PutObject'] });
    expect(deny.Resource).toBeUndefined();
    expect(deny.NotResource.map((r: any) => r['Fn::Join'][1][1])).toEqual(['/runs/*/outcomes/*', '/outbox/*']);
    expect(deny.Condition.ArnLike['aws:PrincipalArn']).toEqual(consumers().map(roleArn));
  });

  it('lets the approver read run records only (LeadingKeys run#*), send the task token back to this state machine only, and read runs/', () => {
    // Act
    const approver = roleByDescription(/^Operators: may approve or reject/);
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === approver))!;
    const granted = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    // Assess
    expect(granted).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RunsTable/), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*'] } },
      }),
      expect.objectContaining({ Action: ['states:SendTaskFailure', 'states:SendTaskSuccess'], Resource: { Ref: expect.stringMatching(/^RunMachineStateMachine/) } }),
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [expect.anything(), '/runs/*']] } }),
    ]);
  });

  it('lets only run-task send to the api and csv queues, and the redriver role (SQS runs a DLQ redrive with the caller\'s permissions)', () => {
    // Act
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties).includes('OnlyTheRunSends'));
    // Assess
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      const deny = (p.Properties.PolicyDocument.Statement as Array<Record<string, any>>).find((s) => s.Sid === 'OnlyTheRunSends')!;
      expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:SendMessage' });
      expect(deny.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual([
        { 'Fn::GetAtt': [roleOf(/^Does each step of a run/), 'Arn'] },
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

  it('outputs the uploader and approver role ARNs, the state machine ARN and the run table name for HR and the operators', () => {
    // Assess
    template.hasOutput('HrUploaderRoleArn', { Value: { 'Fn::GetAtt': [roleByDescription(/^HR export job/), 'Arn'] } });
    template.hasOutput('RunApproverRoleArn', { Value: { 'Fn::GetAtt': [roleByDescription(/^Operators: may approve/), 'Arn'] } });
    template.hasOutput('StateMachineArn', { Value: { Ref: Match.stringLikeRegexp('^RunMachineStateMachine') } });
    template.hasOutput('RunTableName', { Value: { Ref: Match.stringLikeRegexp('^RunsTable') } });
  });

  it('keeps the Coupa secret on deletion and lets only the four Lambdas that call Coupa (run-plan, run-task, api-consumer, results poller) read it', () => {
    // Act
    const secret = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret' && r.Properties.Name === 'test/coupa-client')!;
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::SecretsManager::ResourcePolicy' && JSON.stringify(r.Properties.SecretId) === JSON.stringify({ Ref: secret[0] }))!;
    const deny = policy.Properties.ResourcePolicy.Statement.find((s: Record<string, any>) => s.Sid === 'OnlyTheSyncReadsIt');
    // Assess
    expect((template.toJSON().Resources as Record<string, any>)[secret[0]].DeletionPolicy).toBe('Retain');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: 'secretsmanager:GetSecretValue' });
    const readers = deny.Condition.ArnNotEquals['aws:PrincipalArn'].map((r: any) => r['Fn::GetAtt'][0]).sort();
    expect(readers).toEqual([roleOf(/^Plans a run/), roleOf(/^Does each step of a run/), roleOf(/^Applies queued/), roleOf(/^Reads Coupa's loader results/)].sort());
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
