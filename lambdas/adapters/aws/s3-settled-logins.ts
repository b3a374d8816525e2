/**
 * SettledLogins on S3: one small object per batch and run, runs/<runId>/csv-settled/<batchTag>.json
 * = {"logins":[…]}, so two batchers never write the same object (a retried batch rewrites its own).
 * Read only when a batch holds a report whose manager is not in it: one LIST of the run's prefix and
 * a GET per settled batch of managers (few: only creates and reactivations are recorded).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore, SettledLogins } from '../../core/ports';
import { csvSettledPrefix } from '../../core/sync/run-layout';
import { listKeys } from './s3-list';
import { text } from 'node:stream/consumers';

export class S3SettledLogins implements SettledLogins {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly objects: ObjectStore,
  ) {}

  /** Reads the run's every batch record (what the S3 layout allows), then answers for `logins` only. */
  async settledOf(runId: string, logins: string[]): Promise<Set<string>> {
    const wanted = new Set(logins.map((l) => l.toLowerCase()));
    const settled = new Set<string>();
    for (const key of await listKeys(this.s3, this.bucket, csvSettledPrefix(runId))) {
      const record = JSON.parse(await text(await this.objects.get(key))) as { logins?: string[] };
      for (const login of record.logins ?? []) if (wanted.has(login.toLowerCase())) settled.add(login.toLowerCase());
    }
    return settled;
  }

  async add(runId: string, tag: string, logins: string[]): Promise<void> {
    if (logins.length === 0) return;
    await this.objects.put(`${csvSettledPrefix(runId)}${tag}.json`, JSON.stringify({ logins: logins.map((l) => l.toLowerCase()) }), 'application/json');
  }
}
