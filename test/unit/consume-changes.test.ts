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
});
