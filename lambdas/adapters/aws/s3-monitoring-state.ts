/**
 * MonitoringStateStore over any ObjectStore (S3 in AWS, the state folder locally through
 * FsObjectStore), keys under `state/monitoring/`:
 *
 *   state/monitoring/integrations/<code>.json   {"id"}: the Coupa integration, found or created once
 *   state/monitoring/runs/<runId>.json          MonitoredRun: the Coupa integration run of a sync run
 *   state/monitoring/open-errors.json           {"<login lower>": ["<error id>", …]}: raised, not yet resolved
 *
 * Small JSON objects, each written whole. Runs of one Coupa instance take turns (the line of runs),
 * so two processes never write open-errors.json at once; the object holds only unresolved errors.
 */
import { text } from 'node:stream/consumers';
import type { MonitoredRun, MonitoringStateStore, ObjectStore } from '../../core/ports';
import { isMissing } from './s3-read';

export const MONITORING_STATE_PREFIX = 'state/monitoring/';

export class ObjectStoreMonitoringState implements MonitoringStateStore {
  constructor(
    private readonly objects: Pick<ObjectStore, 'get' | 'put'>,
    private readonly prefix = MONITORING_STATE_PREFIX,
  ) {}

  async integrationId(code: string): Promise<string | undefined> {
    return (await this.read<{ id: string }>(this.integrationKey(code)))?.id;
  }

  saveIntegrationId(code: string, id: string): Promise<void> {
    return this.write(this.integrationKey(code), { id });
  }

  async runRecord(runId: string): Promise<MonitoredRun | undefined> {
    return this.read<MonitoredRun>(this.runKey(runId));
  }

  async saveRunRecord(runId: string, record: MonitoredRun): Promise<void> {
    return this.write(this.runKey(runId), record);
  }

  async openErrors(): Promise<Record<string, string[]>> {
    return (await this.read<Record<string, string[]>>(`${this.prefix}open-errors.json`)) ?? {};
  }

  saveOpenErrors(errors: Record<string, string[]>): Promise<void> {
    return this.write(`${this.prefix}open-errors.json`, errors);
  }

  private integrationKey(code: string): string {
    return `${this.prefix}integrations/${encodeURIComponent(code)}.json`;
  }

  private runKey(runId: string): string {
    if (!/^[\w.-]+$/.test(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
    return `${this.prefix}runs/${runId}.json`;
  }

  private async read<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await text(await this.objects.get(key))) as T;
    } catch (err) {
      // S3: NoSuchKey; the local state folder: ENOENT.
      if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private write(key: string, value: unknown): Promise<void> {
    return this.objects.put(key, JSON.stringify(value), 'application/json');
  }
}
