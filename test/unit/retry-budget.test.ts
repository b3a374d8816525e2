import { describe, expect, it } from 'vitest';
import { spendRetryBudget } from '../../lambdas/core/apply/retry-budget';
import type { ChangeMessage, RowOutcome, RunRef } from '../../lambdas/core/model';
import type { AttemptLog, DeadLetterQueue } from '../../lambdas/core/ports';
import { changeMessage, plannedChange } from '../support/factories';

/** An AttemptLog in memory that starts each key at `start` failures. */
function attempts(start: Record<string, number> = {}): AttemptLog & { counts: Map<string, number> } {
  const counts = new Map(Object.entries(start));
  return {
    counts,
    addFailure: async (run, login) => {
      const n = (counts.get(`${run.runId}/${login}`) ?? 0) + 1;
      counts.set(`${run.runId}/${login}`, n);
      return n;
    },
    forget: async (run, login) => void counts.set(`${run.runId}/${login}`, 0),
  };
}

function deadLetters(fail = false): DeadLetterQueue & { sent: Array<[ChangeMessage, string]> } {
  const sent: Array<[ChangeMessage, string]> = [];
  return {
    sent,
    send: async (m, reason) => {
      if (fail) throw new Error('AccessDenied');
      sent.push([m, reason]);
    },
  };
}

function ledger() {
  const entries: Array<{ run: RunRef; outcomes: RowOutcome[] }> = [];
  return { entries, record: async (run: RunRef, outcomes: RowOutcome[]) => void entries.push({ run, outcomes }) };
}

const msg = (login: string) => changeMessage(plannedChange({ rows: [1], login }), 'run-1');

describe('spendRetryBudget', () => {
  it('hands back untried changes without counting, counts a failure, and dead-letters the one at the limit (recorded failed first)', async () => {
    // Prepare: 'worn' has failed 9 times before; 'fresh' fails for the first time; 'untried' was not started.
    const [worn, fresh, untried] = [msg('worn'), msg('fresh'), msg('untried')];
    const log = attempts({ 'run-1/worn': 9 });
    const dlq = deadLetters();
    const outcomes = ledger();
    // Act
    const settled = await spendRetryBudget(
      [worn, fresh, untried],
      new Map([
        [worn, 'HTTP 503'],
        [fresh, 'HTTP 502'],
      ]),
      { attempts: log, deadLetters: dlq, ledger: outcomes, maxFailures: 10 },
    );
    // Assess
    expect(settled).toEqual({ handBack: [fresh, untried], deadLettered: [worn], problems: [] });
    expect(dlq.sent).toEqual([[worn, 'not applied after 10 failed attempts: HTTP 503']]);
    expect(outcomes.entries.map((e) => e.outcomes.map((o) => [o.login, o.outcome, o.errors]))).toEqual([[['worn', 'failed', ['not applied after 10 failed attempts: HTTP 503']]]]);
    expect(Object.fromEntries(log.counts)).toEqual({ 'run-1/worn': 0, 'run-1/fresh': 1 });
  });

  it('hands a change back when the DLQ refuses it, so SQS\'s backstop still holds it', async () => {
    // Prepare
    const worn = msg('worn');
    // Act
    const settled = await spendRetryBudget([worn], new Map([[worn, 'HTTP 503']]), {
      attempts: attempts({ 'run-1/worn': 9 }),
      deadLetters: deadLetters(true),
      ledger: ledger(),
      maxFailures: 10,
    });
    // Assess
    expect(settled).toEqual({ handBack: [worn], deadLettered: [], problems: ['worn: AccessDenied'] });
  });
});
