/**
 * Notifier on SNS. Subjects must be printable ASCII, one line, at most 100 characters; the body
 * names the run and logins (never other personal data). Message attributes let subscribers
 * filter on severity or run.
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../../core/ports';
import { snsSdk } from './sdk';

export const SUBJECT_LIMIT = 100;
const LOGINS_LISTED = 100;

/** SNS rejects non-ASCII or multi-line subjects: make any subject acceptable. */
export function snsSubject(subject: string): string {
  const ascii = subject.replace(/\s+/g, ' ').replace(/[^\x20-\x7E]/g, '?').trim() || 'Coupa user sync';
  return ascii.length <= SUBJECT_LIMIT ? ascii : `${ascii.slice(0, SUBJECT_LIMIT - 3)}...`;
}

export function snsMessage(n: Notification): string {
  const lines = [n.message];
  if (n.run) lines.push('', `Run: ${n.run.runId}`, `File: ${n.run.file}`);
  if (n.logins?.length) {
    const listed = n.logins.slice(0, LOGINS_LISTED).join(', ');
    const more = n.logins.length > LOGINS_LISTED ? ` and ${n.logins.length - LOGINS_LISTED} more` : '';
    lines.push(`Logins: ${listed}${more}`);
  }
  return lines.join('\n');
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    readonly topicArn: string,
  ) {}

  async publish(n: Notification): Promise<void> {
    await this.sns.send(
      new (await snsSdk()).PublishCommand({
        TopicArn: this.topicArn,
        Subject: snsSubject(n.subject),
        Message: snsMessage(n),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: n.severity },
          ...(n.run ? { runId: { DataType: 'String', StringValue: n.run.runId } } : {}),
        },
      }),
    );
  }
}
