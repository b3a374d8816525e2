/**
 * Notifier on SNS. Subjects must be printable ASCII, one line, at most 100 characters; a message
 * (body, subject and attributes together) at most 256 KB, so the body is cut to fit, saying so. The
 * body names the run and logins (never other personal data). Message attributes `severity`, `kind`
 * and `runId` let subscribers filter (e.g. a subscription filter policy {"kind": ["digest"]}).
 */
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Notification, Notifier } from '../../core/ports';
import { snsSdk } from './sdk';

export const SUBJECT_LIMIT = 100;
/** SNS's limit for a whole message: body, subject and message attributes. */
export const SNS_MESSAGE_LIMIT_BYTES = 256 * 1024;
/** Kept free for the subject (≤ 100 B) and the attributes (names, types and values, a few hundred B). */
const ENVELOPE_RESERVE_BYTES = 2 * 1024;
export const MESSAGE_BODY_LIMIT_BYTES = SNS_MESSAGE_LIMIT_BYTES - ENVELOPE_RESERVE_BYTES;
const CUT_NOTE = '\n… (cut to fit the 256 KB SNS limit: the run report has everything)';

/** `text` cut to at most `limit` UTF-8 bytes (never inside a character), with a note when it was cut. */
export function capBytes(text: string, limit = MESSAGE_BODY_LIMIT_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return text;
  let end = limit - Buffer.byteLength(CUT_NOTE, 'utf8');
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back to the start of a character
  return bytes.subarray(0, end).toString('utf8') + CUT_NOTE;
}
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
  return capBytes(lines.join('\n'));
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
          kind: { DataType: 'String', StringValue: n.kind },
          ...(n.run ? { runId: { DataType: 'String', StringValue: n.run.runId } } : {}),
        },
      }),
    );
  }
}
