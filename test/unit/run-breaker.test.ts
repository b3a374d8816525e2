/**
 * The circuit breaker shared by concurrent api-consumers (lambdas/core/apply/run-breaker.ts) through
 * consumeChanges: batches of one run, applied one after another or at the same time, against a
 * directory that refuses what it is told to, with an in-memory RunBreakerStore that behaves as S3's.
 */
import { describe, expect, it } from 'vitest';
import { consumeChanges, type ConsumeDeps } from '../../lambdas/core/apply/consume-changes';
import type { ChangeMessage, RowOutcome, RunRef } from '../../lambdas/core/model';
import type { Notification } from '../../lambdas/core/ports';
import { FakeDirectory, changeMessage, coupaUser, plannedChange, testConfig } from '../support/factories';
import { MemoryRunBreakerStore } from '../support/memory-run-breaker';

const NOW = new Date('2026-11-29T01:00:00Z');
const apply = testConfig().apply; // maxFailureShare 0.5, breakerWindow 20

function ledger() {
  const entries: Array<{ run: RunRef; outcome: RowOutcome }> = [];
  return { entries, record: async (run: RunRef, outcomes: RowOutcome[]) => void entries.push(...outcomes.map((outcome) => ({ run, outcome }))) };
}

/** `count` creates of new users in run `runId`, logins `<prefix>.1`…; one message each. */
function creates(count: number, runId = 'run-a', prefix = 'new', from = 1): ChangeMessage[] {
  return Array.from({ length: count }, (_, i) => changeMessage(plannedChange({ login: `${prefix}.${from + i}`, kind: 'create', rows: [from + i] }), runId, `incoming/${runId}.csv`));
}

const asBatch = (messages: ChangeMessage[], receiveCount = 1) => messages.map((message) => ({ message, receiveCount }));

function setup(rejected: (login: string) => boolean) {
  const directory = new FakeDirectory();
  const store = new MemoryRunBreakerStore();
  const outcomes = ledger();
  const alerts: Notification[] = [];
  const deps: ConsumeDeps = {
    directory,
    ledger: outcomes,
    maxInFlight: 4,
    breaker: { store, options: apply, now: () => NOW, notifier: { publish: async (n) => void alerts.push(n) } },
  };
  const create = directory.create.bind(directory);
  directory.create = async (login, fields) => {
    // Coupa takes a moment to answer: batches that start together both read the tally before either writes.
    await new Promise((r) => setTimeout(r, 2));
    if (rejected(login)) {
      directory.calls.push(`create ${login}`);
      const { CoupaRejectedError } = await import('../../lambdas/core/coupa-errors');
      throw new CoupaRejectedError(['Department is invalid'], 400);
    }
    return create(login, fields);
  };
  return { directory, store, outcomes, alerts, deps };
}

const STOPPED = (failures: number, writes: number) =>
  `not applied: the circuit breaker stopped run run-a after ${failures} of the first ${writes} writes failed (apply.maxFailureShare 0.5 of apply.breakerWindow 20); the first failures say what is wrong`;

describe('the circuit breaker shared by the consumers of a run', () => {
  it('trips in the batch whose write decides it, settles the rest of that batch and every later batch failed without calling Coupa, and alerts once', async () => {
    // Prepare: every write of run-a is refused; three batches of ten, one after another
    const { directory, store, outcomes, alerts, deps } = setup(() => true);
    const messages = creates(30);
    // Act
    const results = [];
    for (let i = 0; i < 30; i += 10) results.push(await consumeChanges(asBatch(messages.slice(i, i + 10)), { ...deps, maxInFlight: 1 }));
    // Assess: 10 writes, then the 11th decides it (11 of 11 failed); 19 changes never reach Coupa
    expect(directory.calls).toEqual(Array.from({ length: 11 }, (_, i) => `create new.${i + 1}`));
    expect(results.map((r) => [r.retry.length, r.applied])).toEqual([[0, 10], [0, 10], [0, 10]]);
    const failed = outcomes.entries.map((e) => e.outcome);
    expect(failed.every((o) => o.outcome === 'failed')).toBe(true);
    expect(failed.slice(0, 11).map((o) => o.errors)).toEqual(Array.from({ length: 11 }, () => ['Department is invalid']));
    expect(failed.slice(11).map((o) => o.errors)).toEqual(Array.from({ length: 19 }, () => [STOPPED(11, 11)]));
    expect(alerts).toEqual([
      {
        kind: 'stopped',
        severity: 'failure',
        subject: 'Coupa user sync stopped: incoming/run-a.csv',
        message: `incoming/run-a.csv: ${STOPPED(11, 11).slice('not applied: '.length)}. The rest of the run is not applied (each row "failed" with this reason); fix the cause, then upload the file again.`,
        run: { runId: 'run-a', file: 'incoming/run-a.csv' },
      },
    ]);
    expect(store.verdicts.get('run-a')).toEqual({ state: 'tripped', writes: 11, failures: 11, at: NOW.toISOString(), reason: STOPPED(11, 11).slice('not applied: '.length) });
    // The third batch read the verdict only: no tally, no add
    expect(store.calls.slice(-1)).toEqual(['verdict run-a']);
  });

  it('trips once when two consumers apply batches of the run at the same time: both decide, one alert', async () => {
    // Prepare: batches of 12, so each consumer trips on its own 11th failure
    const { directory, store, alerts, outcomes, deps } = setup(() => true);
    const messages = creates(30);
    // Act: two batches at once, then a third
    await Promise.all([consumeChanges(asBatch(messages.slice(0, 12)), deps), consumeChanges(asBatch(messages.slice(12, 24)), deps)]);
    const written = directory.calls.length;
    await consumeChanges(asBatch(messages.slice(24)), deps);
    // Assess: both saw the run tripped and tried to record it; the conditional create let one alert
    expect(store.calls.filter((c) => c.startsWith('decide'))).toEqual(['decide run-a tripped', 'decide run-a tripped']);
    expect(alerts.map((a) => a.kind)).toEqual(['stopped']);
    // Each stopped within its own batch (11 failures, plus the writes already in flight: maxInFlight 4)
    expect(written).toBeGreaterThanOrEqual(22);
    expect(written).toBeLessThanOrEqual(24);
    // The third batch wrote nothing and settled all six failed with the verdict's reason
    expect(directory.calls).toHaveLength(written);
    const verdict = store.verdicts.get('run-a')!;
    expect(verdict.failures).toBeGreaterThan(10);
    expect(outcomes.entries.slice(24).map((e) => e.outcome.errors)).toEqual(Array.from({ length: 6 }, () => [STOPPED(verdict.failures, verdict.writes)]));
  });

  it('lets a healthy run pass: once the window is decided a batch costs one verdict read per warm Lambda, and counts nothing', async () => {
    // Prepare: 3 of run-a's first 20 writes are refused
    const { directory, store, alerts, outcomes, deps } = setup((login) => ['new.2', 'new.5', 'new.9'].includes(login));
    const messages = creates(30);
    // Act
    await consumeChanges(asBatch(messages.slice(0, 10)), deps);
    await consumeChanges(asBatch(messages.slice(10, 20)), deps);
    const before = store.calls.length;
    await consumeChanges(asBatch(messages.slice(20)), deps);
    // Assess
    expect(store.verdicts.get('run-a')).toEqual({ state: 'passed', writes: 20, failures: 3, at: NOW.toISOString() });
    expect(store.calls.slice(before)).toEqual(['verdict run-a']);
    expect(directory.calls).toHaveLength(30);
    expect(outcomes.entries.filter((e) => e.outcome.outcome === 'created')).toHaveLength(27);
    expect(alerts).toEqual([]);
  });

  it('does not count a change handed back for a retry (429/5xx): only writes Coupa answered count', async () => {
    // Prepare: Coupa is unavailable for every write of the first batch, then refuses nothing
    const { directory, store, deps } = setup(() => false);
    for (let n = 1; n <= 10; n++) directory.faults.set(`new.${n}`, 'retry');
    const messages = creates(10);
    // Act
    const result = await consumeChanges(asBatch(messages), deps);
    // Assess
    expect(result.retry).toHaveLength(10);
    expect(store.calls.filter((c) => c.startsWith('add'))).toEqual([]);
    expect(store.verdicts.size).toBe(0);
  });

  it('keeps runs apart: a tripped run does not stop another run\'s changes in the same batch', async () => {
    // Prepare: run-a is tripped already; run-b is healthy
    const { directory, store, outcomes, deps } = setup(() => false);
    store.verdicts.set('run-a', { state: 'tripped', writes: 20, failures: 12, at: NOW.toISOString(), reason: 'x' });
    directory.users.set('kept', coupaUser({ id: '7', login: 'kept' }));
    const batch = [...creates(2, 'run-a'), changeMessage(plannedChange({ login: 'kept', id: '7' }), 'run-b')];
    // Act
    await consumeChanges(asBatch(batch), deps);
    // Assess
    expect(directory.calls).toEqual(['update 7 lastname']);
    expect(outcomes.entries.map((e) => [e.run.runId, e.outcome.login, e.outcome.outcome])).toEqual([
      ['run-a', 'new.1', 'failed'],
      ['run-a', 'new.2', 'failed'],
      ['run-b', 'kept', 'updated'],
    ]);
    expect(outcomes.entries[0].outcome.errors).toEqual([STOPPED(12, 20)]);
  });
});
