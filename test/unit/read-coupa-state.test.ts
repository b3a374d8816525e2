/**
 * A delta file's look-ups (read-coupa-state.ts): the file's logins are asked in slices, every slice at
 * once, and each slice's users are packed into the table as its answer comes in, not after the last.
 */
import { describe, expect, it } from 'vitest';
import { CoupaRetryableError } from '../../lambdas/core/coupa-errors';
import type { CoupaUser } from '../../lambdas/core/model';
import { systemClock } from '../../lambdas/core/ports';
import { UserTable } from '../../lambdas/core/plan/coupa-state';
import { LOOKUP_SLICE, readCoupaState } from '../../lambdas/core/plan/read-coupa-state';
import { readRoster } from '../../lambdas/core/roster/read-roster';
import { FakeDirectory, csvStream, testConfig } from '../support/factories';
import { employee, hrCsv, logins, person } from '../support/roster-factories';

async function deltaRoster(names: string[]) {
  const { roster } = await readRoster(csvStream(hrCsv(names.map((l) => person(l)))), { file: 'hr.csv', mode: 'delta' }, () => undefined);
  return roster;
}

/** A directory whose login look-ups answer only when the test says, in the order it says. */
class GatedDirectory extends FakeDirectory {
  readonly pending: Array<{ values: string[]; answer: () => void; fail: (err: Error) => void }> = [];
  override findBy(key: 'employee-number' | 'email' | 'login', values: string[]): Promise<CoupaUser[]> {
    if (key !== 'login') return super.findBy(key, values);
    return new Promise((resolve, reject) => {
      this.pending.push({ values, answer: () => resolve(super.findBy(key, values)), fail: reject });
    });
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('looking up a delta file’s users', () => {
  it('asks every login once, in slices of LOOKUP_SLICE all asked at once, and finds every user', async () => {
    // Prepare: 2.5 slices of logins, all in Coupa but the last
    const names = logins('emp', LOOKUP_SLICE * 2 + LOOKUP_SLICE / 2);
    const directory = new FakeDirectory(new Map(names.slice(0, -1).map((l, i) => [l, employee(l, i + 1)])));
    // Act
    const { state, how } = await readCoupaState(await deltaRoster(names), false, { directory, clock: systemClock, config: testConfig() });
    // Assess
    expect(how).toBe('looked-up');
    const asked = directory.calls.filter((c) => c.startsWith('findBy login ')).map((c) => c.slice('findBy login '.length).split(','));
    expect(asked.map((slice) => slice.length)).toEqual([LOOKUP_SLICE, LOOKUP_SLICE, LOOKUP_SLICE / 2]);
    expect(asked.flat()).toEqual(names);
    expect(state.get(names[0])?.id).toBe('1');
    expect(state.get(names[names.length - 2])?.login).toBe(names[names.length - 2]);
    expect(state.get(names[names.length - 1])).toBeUndefined();
  });

  it('packs a slice’s users as soon as it answers, before the later slices do', async () => {
    // Prepare
    const names = logins('emp', LOOKUP_SLICE * 2);
    const directory = new GatedDirectory(new Map(names.map((l, i) => [l, employee(l, i + 1)])));
    const users = new Map<string, CoupaUser>();
    // The table is made inside readCoupaState: watch what reaches UserTable.put.
    const original = UserTable.prototype.put;
    UserTable.prototype.put = function (this: InstanceType<typeof UserTable>, u: CoupaUser) {
      users.set(u.login, u);
      original.call(this, u);
    };
    try {
      const reading = readCoupaState(await deltaRoster(names), false, { directory, clock: systemClock, config: testConfig() });
      await settle();
      // Assess: both slices asked before either answered
      expect(directory.pending.map((p) => p.values.length)).toEqual([LOOKUP_SLICE, LOOKUP_SLICE]);
      // Act: the first slice answers
      directory.pending[0].answer();
      await settle();
      // Assess: its users are in the table, the second slice's are not yet
      expect(users.size).toBe(LOOKUP_SLICE);
      expect(users.has(names[LOOKUP_SLICE])).toBe(false);
      directory.pending[1].answer();
      const { state } = await reading;
      expect(users.size).toBe(LOOKUP_SLICE * 2);
      expect(state.get(names[LOOKUP_SLICE * 2 - 1])?.login).toBe(names[LOOKUP_SLICE * 2 - 1]);
    } finally {
      UserTable.prototype.put = original;
    }
  });

  it('fails with a later slice’s error at once, while an earlier one is still out, leaving no unhandled rejection', async () => {
    // Prepare
    const names = logins('emp', LOOKUP_SLICE * 2);
    const directory = new GatedDirectory(new Map(names.map((l, i) => [l, employee(l, i + 1)])));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const reading = readCoupaState(await deltaRoster(names), false, { directory, clock: systemClock, config: testConfig() });
      await settle();
      const outcome = reading.then(() => 'resolved', (err: Error) => err.message);
      // Act: the second slice fails while the first is still out
      directory.pending[1].fail(new CoupaRetryableError('HTTP 503 after 5 attempts'));
      await settle();
      // Assess: the read has failed already, without waiting for the first slice
      expect(await Promise.race([outcome, settle().then(() => 'still waiting')])).toBe('HTTP 503 after 5 attempts');
      directory.pending[0].answer();
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
