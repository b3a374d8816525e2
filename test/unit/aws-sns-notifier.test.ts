import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { MESSAGE_BODY_LIMIT_BYTES, SNS_MESSAGE_LIMIT_BYTES, SnsNotifier, capBytes, snsSubject } from '../../lambdas/adapters/aws/sns-notifier';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:failures';
const snsMock = mockClient(SNSClient);

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('SnsNotifier', () => {
  it('publishes subject, message naming run and logins, and severity/kind/runId attributes', async () => {
    // Prepare
    const notifier = new SnsNotifier(new SNSClient({}), TOPIC);
    // Act
    await notifier.publish({
      kind: 'digest',
      subject: 'Coupa sync: 2 rows failed',
      message: 'Coupa refused two rows.',
      severity: 'failure',
      run: { runId: 'hr-1a2b', file: 'incoming/hr.csv' },
      logins: ['jane.doe', 'john.roe'],
    });
    // Assess
    const [call] = snsMock.commandCalls(PublishCommand);
    const input = call.args[0].input;
    expect(input).toMatchObject({
      TopicArn: TOPIC,
      Subject: 'Coupa sync: 2 rows failed',
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'failure' },
        runId: { DataType: 'String', StringValue: 'hr-1a2b' },
        kind: { DataType: 'String', StringValue: 'digest' },
      },
    });
    expect(input.Message).toContain('Coupa refused two rows.');
    expect(input.Message).toContain('Run: hr-1a2b');
    expect(input.Message).toContain('File: incoming/hr.csv');
    expect(input.Message).toContain('Logins: jane.doe, john.roe');
  });

  it('omits the runId attribute when the notification has no run', async () => {
    // Prepare
    await new SnsNotifier(new SNSClient({}), TOPIC).publish({ kind: 'unreadable', subject: 'x', message: 'y', severity: 'info' });
    // Act
    const input = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    // Assess
    expect(Object.keys(input.MessageAttributes ?? {}).sort()).toEqual(['kind', 'severity']);
  });

  it('cuts a message to fit the 256 KB SNS limit, never inside a character, and says so', async () => {
    // Prepare: 300 KB of two-byte characters
    const huge = 'é'.repeat(150 * 1024);
    // Act
    await new SnsNotifier(new SNSClient({}), TOPIC).publish({
      kind: 'digest',
      subject: 's'.repeat(300),
      message: huge,
      severity: 'failure',
      run: { runId: 'hr-1a2b', file: 'incoming/hr.csv' },
    });
    const input = snsMock.commandCalls(PublishCommand)[0].args[0].input;
    // Assess
    const attributes = Object.entries(input.MessageAttributes ?? {}).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? ''),
      0,
    );
    const total = Buffer.byteLength(input.Message!) + Buffer.byteLength(input.Subject!) + attributes;
    expect(Buffer.byteLength(input.Message!)).toBeLessThanOrEqual(MESSAGE_BODY_LIMIT_BYTES);
    expect(total).toBeLessThanOrEqual(SNS_MESSAGE_LIMIT_BYTES);
    expect(input.Message).not.toContain('\uFFFD');
    expect(input.Message!.endsWith('the run report has everything)')).toBe(true);
    expect(input.Subject!.length).toBeLessThanOrEqual(100);
    expect(capBytes('short')).toBe('short');
  });

  it('makes any subject acceptable to SNS: one line, printable ASCII, at most 100 characters', () => {
    // Act
    const subject = snsSubject(`Zeile 3 für Jürgen\nfehlgeschlagen ${'x'.repeat(200)}`);
    // Assess
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
    expect(subject.startsWith('Zeile 3 f?r J?rgen fehlgeschlagen x')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
  });
});
