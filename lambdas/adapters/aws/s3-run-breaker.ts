/**
 * RunBreakerStore on S3. Why one object per batch tally (runs/<runId>/breaker/<time>-<hex>.json),
 * summed, rather than one counter updated with If-Match: consumers of a run finish batches at the
 * same moment, and a counter would make them retry each other's conditional writes; separate
 * objects never collide, and the sum is read (one LIST and a few small GETs) only while the window
 * is open — at most breakerWindow writes, so a handful of objects. The verdict
 * (runs/<runId>/breaker.json) is a conditional create: exactly one consumer decides it, and a
 * decided verdict never changes, so it is cached for the life of the warm Lambda.
 */
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BreakerVerdict, ObjectStore, RunBreakerStore } from '../../core/ports';
import { breakerTallyPrefix, breakerVerdictKey } from '../../core/sync/run-layout';
import { listKeys } from './s3-list';
import { readJsonIfPresent } from './s3-read';

/** The verdict of a run, or undefined when none was recorded (the reporter asks too). */
export function readBreakerVerdict(objects: ObjectStore, runId: string): Promise<BreakerVerdict | undefined> {
  return readJsonIfPresent<BreakerVerdict>(objects, breakerVerdictKey(runId));
}

export class S3RunBreakerStore implements RunBreakerStore {
  /** Decided verdicts: they never change, so a warm Lambda reads each once. */
  private readonly decided = new Map<string, BreakerVerdict>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly objects: ObjectStore,
    private readonly now: () => Date = () => new Date(),
    private readonly random: () => string = () => randomBytes(4).toString('hex'),
  ) {}

  async verdict(runId: string): Promise<BreakerVerdict | undefined> {
    const cached = this.decided.get(runId);
    if (cached) return cached;
    // One LIST of runs/<runId>/breaker… says whether a verdict exists, without relying on a read of a
    // missing key coming back 404 (S3 answers 403 to a caller that may not list there).
    const keys = await listKeys(this.s3, this.bucket, breakerVerdictKey(runId).replace(/\.json$/, ''));
    if (!keys.includes(breakerVerdictKey(runId))) return undefined;
    const verdict = await readBreakerVerdict(this.objects, runId);
    if (verdict) this.decided.set(runId, verdict);
    return verdict;
  }

  async tally(runId: string): Promise<{ writes: number; failures: number }> {
    const sum = { writes: 0, failures: 0 };
    for (const key of await listKeys(this.s3, this.bucket, breakerTallyPrefix(runId))) {
      const part = JSON.parse(await text(await this.objects.get(key))) as { writes: number; failures: number };
      sum.writes += part.writes;
      sum.failures += part.failures;
    }
    return sum;
  }

  async add(runId: string, counted: { writes: number; failures: number }): Promise<void> {
    const key = `${breakerTallyPrefix(runId)}${this.now().toISOString()}-${this.random()}.json`;
    await this.objects.put(key, JSON.stringify({ writes: counted.writes, failures: counted.failures }), 'application/json');
  }

  async decide(runId: string, verdict: BreakerVerdict): Promise<boolean> {
    const won = await this.objects.create(breakerVerdictKey(runId), JSON.stringify(verdict), 'application/json');
    // The loser reads the winner's verdict on its next batch: the first decision stands.
    if (won) this.decided.set(runId, verdict);
    return won;
  }
}
