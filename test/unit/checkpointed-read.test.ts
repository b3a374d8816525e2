/**
 * The full read of Coupa's users that stops at a deadline and is continued from a checkpoint
 * (lambdas/core/plan/checkpointed-read.ts), on the in-memory Coupa of the reconcile harness
 * (pages of 50 in id order, updated_at stamped on every change).
 */
import { describe, expect, it } from 'vitest';
import type { CoupaUser } from '../../lambdas/core/model';
import type { ReadCheckpointStore } from '../../lambdas/core/ports';
import { ReadAbandoned, ReadSuspended, readEveryUserCheckpointed, type CheckpointHeader } from '../../lambdas/core/plan/checkpointed-read';
import { userOfPackedLine, type UserTable } from '../../lambdas/core/plan/coupa-state';
import { readEveryUser, type StateDeps } from '../../lambdas/core/plan/read-coupa-state';
import { testConfig } from '../support/factories';
import { MemorySnapshotStore } from '../support/memory-run-store';
import { CoupaLikeDirectory, TestClock } from '../support/reconcile-harness';

/** Checkpoints in memory, one text per run (as an S3 object would be). */
class MemoryCheckpointStore implements ReadCheckpointStore {
  readonly texts = new Map<string, string>();
  writes = 0;

  async readCheckpoint(runId: string): Promise<AsyncIterable<string> | undefined> {
    const text = this.texts.get(runId);
    if (text === undefined) return undefined;
    return (async function* () {
      yield* text.split('\n');
    })();
  }

  async writeCheckpoint(runId: string, lines: Iterable<string>): Promise<void> {
    this.writes += 1;
    this.texts.set(runId, [...lines].join('\n'));
  }

  async removeCheckpoint(runId: string): Promise<void> {
    this.texts.delete(runId);
  }

  header(runId: string): CheckpointHeader {
    return JSON.parse(this.texts.get(runId)!.split('\n')[0]) as CheckpointHeader;
  }

  users(runId: string): CoupaUser[] {
    return this.texts.get(runId)!.split('\n').slice(1).map(userOfPackedLine);
  }
}

const RUN = 'roster-0123456789ab';

/** `count` Coupa users with ids 1…count, last updated long before the read. */
function coupaUsers(count: number): CoupaUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: String(i + 1),
    login: `user.${String(i + 1).padStart(4, '0')}`,
    fields: { email: `user.${i + 1}@example.com`, firstname: 'User', lastname: `Number${i + 1}`, active: true },
    updatedAt: '2026-01-05T10:00:00.000Z',
  }));
}

function setup(count: number, maxContinuations = 8) {
  const clock = new TestClock(new Date('2026-03-02T08:00:00Z'));
  const directory = new CoupaLikeDirectory(coupaUsers(count), clock);
  const snapshots = new MemorySnapshotStore();
  const store = new MemoryCheckpointStore();
  const deps: StateDeps = { directory, snapshots, clock, config: testConfig() };
  /** One invocation that may read `pages` pages before its deadline. */
  const invocation = (pages: number) =>
    readEveryUserCheckpointed(deps, { runId: RUN, store, timeLeft: () => --pages, maxContinuations });
  return { clock, directory, snapshots, store, deps, invocation };
}

/** Invocations of `pages` pages each until the read completes: the table and the steps asked for. */
async function readToTheEnd(invocation: (pages: number) => Promise<UserTable>, pages: number): Promise<{ table: UserTable; steps: number[] }> {
  const steps: number[] = [];
  for (;;) {
    try {
      return { table: await invocation(pages), steps };
    } catch (err) {
      if (!(err instanceof ReadSuspended)) throw err;
      steps.push(err.step);
    }
  }
}

const sorted = (table: UserTable) => [...table.users()].sort((a, b) => Number(a.id) - Number(b.id));

describe('a full read of Coupa with a deadline', () => {
  it('stops at a page boundary when the deadline has passed and keeps the users read, the next offset and the start time', async () => {
    // Prepare: 260 users (5 full pages and one of 10); the deadline passes after the 2nd page.
    const { store, directory, snapshots, invocation } = setup(260);

    // Act
    const stopped = await invocation(2).catch((err: unknown) => err);

    // Assess
    expect(stopped).toBeInstanceOf(ReadSuspended);
    expect(stopped).toMatchObject({ step: 1, usersRead: 100 });
    expect(store.header(RUN)).toEqual({
      checkpoint: 1,
      key: expect.stringMatching(/^core\|/),
      offset: 100,
      lastId: '100',
      startedAt: '2026-03-02T08:00:00.000Z',
      continuations: 1,
      pageSize: 50,
    });
    expect(store.users(RUN).map((u) => u.id)).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 1)));
    expect(store.users(RUN)[41]).toEqual(coupaUsers(260)[41]);
    expect(directory.calls).toEqual(['list']);
    expect(snapshots.writes).toBe(0); // no snapshot of half the users
  });

  it('resumed invocation by invocation, ends with the same table and snapshot as one uninterrupted read, and removes its checkpoint', async () => {
    // Prepare: the same Coupa read once in one go (the reference) and once two pages at a time.
    const reference = setup(260);
    const expected = await readEveryUser(reference.deps);
    const { store, directory, snapshots, invocation } = setup(260);

    // Act
    const { table, steps } = await readToTheEnd(invocation, 2);

    // Assess: continued twice (pages 1–2, 3–4, then the rest), each continuation one user early to check the offsets.
    expect(steps).toEqual([1, 2]);
    expect(sorted(table)).toEqual(sorted(expected));
    expect(table.size).toBe(260);
    expect(table.complete).toBe(true);
    expect(snapshots.lines!.slice(1)).toEqual(reference.snapshots.lines!.slice(1));
    expect(directory.calls).toEqual(['list', 'list from 99', 'list from 198', 'list since 2026-03-02T07:55:00.000Z']);
    expect(store.texts.size).toBe(0);
  });

  it('catches, by its closing updated_at refresh, a user changed in Coupa on a page read before, and a user created meanwhile', async () => {
    // Prepare: the first invocation reads 100 users; then, an hour later, someone changes user 7 and adds a user.
    const { clock, directory, invocation } = setup(260);
    await invocation(2).catch(() => undefined);
    clock.advance(3_600_000);
    directory.changeInCoupa('user.0007', { lastname: 'Renamed' });
    directory.addInCoupa({ id: '900', login: 'late.hire', fields: { email: 'late.hire@example.com', firstname: 'Late', lastname: 'Hire', active: true } });

    // Act
    const { table } = await readToTheEnd(invocation, 2);

    // Assess
    expect(table.get('user.0007')?.fields.lastname).toBe('Renamed');
    expect(table.get('late.hire')?.id).toBe('900');
    expect(table.size).toBe(261);
  });

  it('in one invocation is the read in one go with a closing updated_at refresh from its start: no checkpoint', async () => {
    // Prepare
    const { store, directory, snapshots, invocation } = setup(260);

    // Act
    const table = await invocation(100);

    // Assess
    expect(table.size).toBe(260);
    // A user updated behind the listing's position while it read is caught by the refresh.
    expect(directory.calls).toEqual(['list', expect.stringMatching(/^list since /)]);
    expect(store.writes).toBe(0);
    expect(snapshots.writes).toBe(1);
  });

  it('always reads at least one page, so an invocation whose time is already up still gets closer', async () => {
    // Prepare: no time at all
    const { invocation } = setup(120);

    // Act
    const { table, steps } = await readToTheEnd(invocation, 0);

    // Assess: 50 + 50 + the short last page, which ends the read whatever the time
    expect(steps).toEqual([1, 2]);
    expect(table.size).toBe(120);
  });

  it('gives up once it would need more than maxContinuations, leaving its checkpoint to the caller (which alerts, then removes it)', async () => {
    // Prepare: one continuation allowed, two needed
    const { store, invocation } = setup(260, 1);
    await invocation(2).catch(() => undefined);

    // Act
    const second = await invocation(2).catch((err: unknown) => err);

    // Assess
    expect(second).toBeInstanceOf(ReadAbandoned);
    expect(second).toMatchObject({ continuations: 1, usersRead: 199 });
    expect((second as Error).message).toBe(
      "reading Coupa's users did not finish within 1 continuation(s) of the planner (roster.maxReadContinuations; 199 user(s) read): nothing was planned or changed",
    );
    expect(store.header(RUN)).toMatchObject({ continuations: 1, offset: 100 }); // as the first invocation left it
  });

  it('reads again from the start when the listing moved since the checkpoint (a user read before is gone)', async () => {
    // Prepare: the first 100 read; then user 5 disappears from Coupa, so every later offset is one off.
    const { directory, invocation } = setup(260);
    await invocation(2).catch(() => undefined);
    directory.users.delete('user.0005');

    // Act
    const { table } = await readToTheEnd(invocation, 100);

    // Assess
    expect(directory.calls).toEqual(['list', 'list from 99', 'list', 'list since 2026-03-02T07:55:00.000Z']);
    expect(table.size).toBe(259);
    expect(table.get('user.0005')).toBeUndefined();
    expect(table.get('user.0260')?.id).toBe('260');
  });
});
