/**
 * RunTurnStore on S3: the line is runs/waiting/<key> (a LIST sorts it by arrival), the turn is
 * runs/turn.json (If-None-Match: exactly one holder), a start request is runs/start/<key>, which the
 * bucket's notification hands to the planner. A run is applying while runs/pending/<runId> exists.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore, RunTurn, RunTurnStore, WaitingRun } from '../../core/ports';
import { RUN_TURN_KEY, START_RUNS_PREFIX, WAITING_RUNS_PREFIX, claimKey, pendingMarkerKey } from '../../core/sync/run-layout';
import { listKeys } from './s3-list';
import { s3Sdk } from './sdk';
import { readJsonIfPresent } from './s3-read';

export class S3RunTurnStore implements RunTurnStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly objects: ObjectStore,
  ) {}

  private readJson<T>(key: string): Promise<T | undefined> {
    return readJsonIfPresent<T>(this.objects, key);
  }

  private async delete(key: string): Promise<void> {
    await this.s3.send(new (await s3Sdk()).DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async enter(key: string, entry: WaitingRun): Promise<void> {
    await this.objects.put(`${WAITING_RUNS_PREFIX}${key}`, JSON.stringify(entry), 'application/json');
  }

  async waiting(): Promise<Array<{ key: string; entry: WaitingRun }>> {
    const line: Array<{ key: string; entry: WaitingRun }> = [];
    for (const full of (await listKeys(this.s3, this.bucket, WAITING_RUNS_PREFIX)).sort()) {
      const entry = await this.readJson<WaitingRun>(full);
      if (entry) line.push({ key: full.slice(WAITING_RUNS_PREFIX.length), entry });
    }
    return line;
  }

  entry(key: string): Promise<WaitingRun | undefined> {
    return this.readJson<WaitingRun>(`${WAITING_RUNS_PREFIX}${key}`);
  }

  update(key: string, entry: WaitingRun): Promise<void> {
    return this.enter(key, entry);
  }

  leave(key: string): Promise<void> {
    return this.delete(`${WAITING_RUNS_PREFIX}${key}`);
  }

  holder(): Promise<RunTurn | undefined> {
    return this.readJson<RunTurn>(RUN_TURN_KEY);
  }

  take(turn: RunTurn): Promise<boolean> {
    return this.objects.create(RUN_TURN_KEY, JSON.stringify(turn), 'application/json');
  }

  release(): Promise<void> {
    return this.delete(RUN_TURN_KEY);
  }

  async pending(runId: string): Promise<boolean> {
    return (await this.readJson<unknown>(pendingMarkerKey(runId))) !== undefined;
  }

  claim(runId: string): Promise<{ state: string; at: string } | undefined> {
    return this.readJson<{ state: string; at: string }>(claimKey(runId));
  }

  async start(key: string, entry: WaitingRun): Promise<void> {
    await this.objects.put(`${START_RUNS_PREFIX}${key}`, JSON.stringify(entry), 'application/json');
  }
}
