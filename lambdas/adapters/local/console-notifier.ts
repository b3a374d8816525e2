/** Local notifier: keeps every notification (for the summary and tests) and echoes failures. */
import type { Notification, Notifier } from '../../core/ports';

export class ConsoleNotifier implements Notifier {
  readonly sent: Notification[] = [];

  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  async publish(notification: Notification): Promise<void> {
    this.sent.push(notification);
    if (notification.severity === 'failure') this.write(`[notify] ${notification.subject}`);
  }
}
