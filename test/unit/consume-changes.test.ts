import { describe, expect, it } from 'vitest';
import { consumeChanges } from '../../lambdas/core/apply/consume-changes';
import type { RowOutcome, RunRef } from '../../lambdas/core/model';
import { FakeDirectory, changeMessage, coupaUser, plannedChange } from '../support/factories';

/** A FakeDirectory whose writes take a while and are logged as they start and end. */
class SlowDirectory extends FakeDirectory {
  readonly log: string[] = [];

  override async update(id: string, login: string, changes: Parameters<FakeDirectory['update']>[2]) {
    this.log.push(`start ${login}`);
    await new Promise((r) => setTimeout(r, 'login' in changes ? 30 : 5)); // the rename is slow
    const user = await super.update(id, login, changes);
    this.log.push(`end ${login}`);
    return user;
  }
}

function ledger() {
  const entries: Array<{ run: RunRef; outcomes: RowOutcome[] }> = [];
  return { entries, record: async (run: RunRef, outcomes: RowOutcome[]) => void entries.push({ run, outcomes }) };
}

describe('consumeChanges', () => {
  it('applies a later run\'s change of a user after the earlier run\'s rename of it has landed, other users alongside', async () => {
    // Prepare: run 1 renames old.name → new.name (user 5); run 2, planned later, updates new.name (user 5).
    const directory = new SlowDirectory(
      new Map([
        ['old.name', coupaUser({ id: '5', login: 'old.name' })],
        ['other', coupaUser({ id: '6', login: 'other' })],
      ]),
    );
    const rename = plannedChange({ login: 'new.name', id: '5', send: { login: 'new.name' }, was: { login: 'old.name' } });
    const batch = [
      changeMessage(rename, 'run-1'),
      changeMessage(plannedChange({ login: 'other', id: '6', send: { lastname: 'Other' } }), 'run-1'),
      changeMessage(plannedChange({ login: 'new.name', id: '5', send: { lastname: 'Renamed' } }), 'run-2'),
    ].map((message) => ({ message, receiveCount: 1 }));
    const outcomes = ledger();
    // Act
    const result = await consumeChanges(batch, { directory, ledger: outcomes, maxInFlight: 8 });
    // Assess
    expect(result).toEqual({ retry: [], failedAttempts: new Map(), applied: 3 });
    expect(directory.log).toEqual(['start new.name', 'start other', 'end other', 'end new.name', 'start new.name', 'end new.name']);
    expect(directory.users.get('new.name')).toMatchObject({ id: '5', fields: { lastname: 'Renamed' } });
    expect(outcomes.entries.map((e) => [e.run.runId, e.outcomes[0].login, e.outcomes[0].outcome])).toEqual([
      ['run-1', 'other', 'updated'],
      ['run-1', 'new.name', 'updated'],
      ['run-2', 'new.name', 'updated'],
    ]);
  });

  it('tells a change Coupa failed from one never tried: only the failed one is a failed attempt', async () => {
    // Prepare: level 0 holds a failing create and a fine one; time runs out after two changes started; level 1 waits.
    const directory = new FakeDirectory();
    directory.faults.set('flaky', 'retry');
    const flaky = changeMessage(plannedChange({ login: 'flaky', kind: 'create', send: { email: 'f@example.com' } }));
    const fine = changeMessage(plannedChange({ login: 'fine', kind: 'create', send: { email: 'g@example.com' } }));
    const late = changeMessage(plannedChange({ login: 'late', kind: 'create', send: { email: 'l@example.com' } }));
    const report = changeMessage(plannedChange({ login: 'report', kind: 'create', level: 1, dependsOn: 'flaky', send: { email: 'r@example.com' } }));
    let started = 0;
    // Act
    const result = await consumeChanges([flaky, fine, late, report].map((message) => ({ message, receiveCount: 1 })), {
      directory,
      ledger: ledger(),
      maxInFlight: 1,
      shouldStop: () => ++started > 2,
    });
    // Assess
    expect(result.retry.map((m) => m.change.login)).toEqual(['flaky', 'late', 'report']);
    expect([...result.failedAttempts].map(([m, reason]) => [m.change.login, reason])).toEqual([['flaky', 'HTTP 503 after 5 attempts']]);
    expect(directory.calls).toEqual(['create flaky', 'create fine']);
  });

  it('counts a failed confirmation read against the redelivered changes only', async () => {
    // Prepare: the lookup that confirms redeliveries fails.
    const directory = new FakeDirectory();
    directory.faults.set('lookup.again', 'retry');
    const again = changeMessage(plannedChange({ login: 'lookup.again', kind: 'create', send: { email: 'a@example.com' } }));
    const first = changeMessage(plannedChange({ login: 'first.time', kind: 'create', send: { email: 'b@example.com' } }));
    // Act
    const result = await consumeChanges([{ message: again, receiveCount: 3 }, { message: first, receiveCount: 1 }], { directory, ledger: ledger(), maxInFlight: 2 });
    // Assess
    expect(result.retry).toEqual([again, first]);
    expect([...result.failedAttempts].map(([m, reason]) => [m.change.login, reason])).toEqual([['lookup.again', 'lookup timed out']]);
  });

  it('settles a redriven change Coupa changed since the plan as skipped, without writing it', async () => {
    // Prepare: a change redriven from the DLQ; Coupa's user no longer holds the plan's "before"
    const directory = new FakeDirectory(new Map([['ada', coupaUser({ id: '7', login: 'ada' })]]));
    const change = plannedChange({ login: 'ada', id: '7', send: { lastname: 'Redriven' }, was: { lastname: 'Old' } });
    const outcomes = ledger();
    // Act
    const result = await consumeChanges([{ message: changeMessage(change, 'run-9'), receiveCount: 1, redriven: true }], { directory, ledger: outcomes, maxInFlight: 8 });
    // Assess: recorded once, nothing handed back, nothing written
    expect(result.retry).toEqual([]);
    expect(outcomes.entries.map((e) => [e.run.runId, e.outcomes[0].login, e.outcomes[0].outcome])).toEqual([['run-9', 'ada', 'skipped']]);
    expect(directory.calls).toEqual(['find ada']);
  });
});
