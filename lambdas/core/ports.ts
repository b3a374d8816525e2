/**
 * Small interfaces between the pure core and the outside world. AWS adapters
 * (lambdas/adapters/aws) and local adapters (lambdas/adapters/local) implement them;
 * the core never imports an SDK.
 */
import type { Readable } from 'node:stream';
import type { RowOutcome, RunRef, SyncMessage } from './model';

/** Reads and writes whole objects (S3 locally a folder). */
export interface ObjectStore {
  get(key: string): Promise<Readable>;
  put(key: string, body: string | Buffer, contentType?: string): Promise<void>;
}

/** Sends sync messages to a queue, in batches the adapter sizes itself. */
export interface RecordQueue {
  send(messages: SyncMessage[]): Promise<void>;
}

export type Severity = 'info' | 'failure';

export interface Notification {
  subject: string;
  message: string;
  severity: Severity;
  run?: RunRef;
  /** The user(s) the notification concerns (logins only: no other personal data). */
  logins?: string[];
}

/** Tells people what happened (SNS in AWS, console/file locally). */
export interface Notifier {
  publish(notification: Notification): Promise<void>;
}

/** Where every row's final outcome is recorded (the run report is built from it). */
export interface OutcomeLedger {
  record(run: RunRef, outcomes: RowOutcome[]): Promise<void>;
}

/** Delivers a finished file to Coupa's sFTP folder (Transfer Family connector or direct SFTP). */
export interface FileDrop {
  /** Uploads `body` as `remoteDir/name`; returns an id to correlate the transfer. */
  deliver(name: string, body: Buffer, remoteDir: string): Promise<{ transferId: string }>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
