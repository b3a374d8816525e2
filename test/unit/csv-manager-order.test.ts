/**
 * Issue 7 on the CSV channel in AWS: a manager created or reactivated in a run reaches Coupa before
 * its reports even when the standard queue puts them in different batches (manager-order.ts).
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { deliverInManagerOrder } from '../../lambdas/core/csv/batcher';
import { createMemoryManifestStore } from '../../lambdas/core/csv/manifest';
import { managerWaitReceives } from '../../lambdas/core/csv/manager-order';
import { outcomesOf } from '../../lambdas/core/csv/results';
import type { ChangeMessage } from '../../lambdas/core/model';
import { MemorySettledLogins } from '../support/memory-settled-logins';
import { aConfig, aMessage, aRun, fakeClock, fakeDrop, fakeLedger, fakeNotifier } from './csv-factories';

function depsFor(config = aConfig()) {
  return {
    drop: fakeDrop(),
    manifests: createMemoryManifestStore(),
    ledger: fakeLedger(),
    notifier: fakeNotifier(),
    clock: fakeClock(),
    config,
    settledLogins: new MemorySettledLogins(),
  };
}

/** A hire at `level`; with `manager`, that manager is created in the same run (the planner's dependsOn). */
const hire = (login: string, row: number, level: number, manager?: string, run = aRun()) =>
  aMessage(
    {
      rows: [row],
      login,
      kind: 'create',
      level,
      send: { active: true, email: `${login}@example.com`, firstname: 'F', lastname: 'L', ...(manager ? { manager } : {}) },
      ...(manager ? { dependsOn: manager } : {}),
    },
    run,
  );

const receivedTimes = (message: ChangeMessage, times: number) => ({ receiveCount: new Map([[message, times]]) });
const loginsOf = (deps: ReturnType<typeof depsFor>) => deps.drop.files.map((f) => (parse(f.body) as string[][]).slice(1).map((line) => line[0]));

describe('deliverInManagerOrder', () => {
  it('hands back a report whose new manager is in another batch, and sends it once that batch settled the manager', async () => {
    // Prepare: the standard queue put the report in batch 1 and its new manager in batch 2.
    const deps = depsFor();
    const report = hire('report.a', 2, 1, 'new.boss');
    const boss = hire('new.boss', 3, 0);

    // Act: batch 1, then batch 2, then batch 1 again (redelivered after its short visibility).
    const first = await deliverInManagerOrder([report], deps, receivedTimes(report, 1));
    const second = await deliverInManagerOrder([boss], deps, receivedTimes(boss, 1));
    await deps.clock.sleep(60_000);
    const third = await deliverInManagerOrder([report], deps, receivedTimes(report, 2));

    // Assess: nothing of the report went before the manager; it went with its manager afterwards.
    expect(first).toEqual({ sent: [], waiting: [report] });
    expect(second.waiting).toEqual([]);
    expect(third.waiting).toEqual([]);
    expect(loginsOf(deps)).toEqual([['new.boss'], ['report.a']]);
    expect(deps.drop.files.map((f) => f.name)).toEqual(deps.drop.files.map((f) => f.name).sort());
    const reportFile = parse(deps.drop.files[1].body) as string[][];
    expect(reportFile[1][reportFile[0].indexOf('Approver Login')]).toBe('new.boss');
    expect(third.sent[0].rows).toEqual([{ line: 1, run: aRun(), row: 2, login: 'report.a', deactivate: false }]);
    // The store is read only for the batches whose manager is elsewhere; each create is recorded once it went.
    expect(deps.settledLogins.calls).toEqual([
      'settledOf run-1 new.boss',
      expect.stringMatching(/^add run-1 [0-9a-f]{8} new\.boss$/),
      'settledOf run-1 new.boss',
      expect.stringMatching(/^add run-1 [0-9a-f]{8} report\.a$/),
    ]);
  });

  it('sends a manager in the same batch first, without reading the settled logins (unchanged behaviour)', async () => {
    // Prepare
    const deps = depsFor();
    const messages = [hire('report.a', 2, 1, 'New.Boss'), hire('new.boss', 3, 0)];

    // Act
    const { sent, waiting } = await deliverInManagerOrder(messages, deps);

    // Assess
    expect(waiting).toEqual([]);
    expect(sent.map((m) => m.rows.map((r) => r.login))).toEqual([['new.boss'], ['report.a']]);
    expect(deps.settledLogins.calls).toEqual([expect.stringMatching(/^add run-1 [0-9a-f]{8} new\.boss,report\.a$/)]);
  });

  it('holds back every later level that waits on a held manager, and sends the rest of the batch', async () => {
    // Prepare: mid.boss waits for top.boss (another batch); report.a waits for mid.boss; a plain update and another run's report go.
    const deps = depsFor();
    const other = aRun({ runId: 'run-2', file: 'incoming/csv/other.csv' });
    const mid = hire('mid.boss', 2, 1, 'top.boss');
    const report = hire('report.a', 3, 2, 'mid.boss');
    const update = aMessage({ rows: [4], login: 'steady', send: { firstname: 'S' } });
    const otherRun = hire('report.b', 5, 1, 'top.boss', other);
    await deps.settledLogins.add('run-2', 'earlier', ['top.boss']);

    // Act
    const { sent, waiting } = await deliverInManagerOrder([report, update, otherRun, mid], deps);

    // Assess
    expect(waiting).toEqual([mid, report]);
    expect(sent.flatMap((m) => m.rows.map((r) => [r.run.runId, r.login]))).toEqual([
      ['run-1', 'steady'],
      ['run-2', 'report.b'],
    ]);
    expect(deps.settledLogins.records.get('run-1')).toBeUndefined();
    expect([...deps.settledLogins.records.get('run-2')!.values()]).toEqual([['top.boss'], ['report.b']]);
  });

  it('after waiting managerWaitReceives receives, sends the report without the manager, with a warning its outcome carries', async () => {
    // Prepare: api.maxReceiveCount 10 (the csv queue's), so the report waits up to its 7th receive and goes on its 8th.
    const deps = depsFor();
    const limit = managerWaitReceives(deps.config.api.maxReceiveCount);
    const report = hire('report.a', 2, 1, 'lost.boss');

    // Act
    const lastWait = await deliverInManagerOrder([report], deps, receivedTimes(report, limit - 1));
    const gone = await deliverInManagerOrder([report], deps, receivedTimes(report, limit));

    // Assess
    expect(limit).toBe(8);
    expect(lastWait).toEqual({ sent: [], waiting: [report] });
    expect(gone.waiting).toEqual([]);
    const file = parse(deps.drop.files[0].body) as string[][];
    expect(file[0]).not.toContain('Approver Login');
    expect(file[1][0]).toBe('report.a');
    const warning = 'manager "lost.boss" was not delivered in time: the manager was left unchanged';
    expect(gone.sent[0].rows).toEqual([{ line: 1, run: aRun(), row: 2, login: 'report.a', deactivate: false, warnings: [warning] }]);
    expect(outcomesOf(gone.sent[0], { status: 'Done', errors: [] } as never)).toEqual([{ row: 2, login: 'report.a', outcome: 'applied', warnings: [warning] }]);
    expect(report.change.send.manager).toBe('lost.boss');
  });

  it('counts a rejected manager as settled: its report then goes (Coupa decides), never waits out its receives', async () => {
    // Prepare: the manager's row lacks the names a create needs, so the batcher rejects it.
    const deps = depsFor();
    const boss = aMessage({ rows: [3], login: 'new.boss', kind: 'create', level: 0, send: { active: true, email: 'b@example.com' } });
    const report = hire('report.a', 2, 1, 'new.boss');

    // Act
    const managerBatch = await deliverInManagerOrder([boss], deps);
    const reportBatch = await deliverInManagerOrder([report], deps, receivedTimes(report, 1));

    // Assess
    expect(managerBatch.sent).toEqual([]);
    expect(deps.ledger.entries.map((e) => e.outcomes.map((o) => [o.login, o.outcome]))).toEqual([[['new.boss', 'rejected']], [['report.a', 'submitted']]]);
    expect(reportBatch.waiting).toEqual([]);
    expect(loginsOf(deps)).toEqual([['report.a']]);
  });

  it('records no settled manager when the delivery fails (the batch comes back whole)', async () => {
    // Prepare
    const deps = depsFor();
    deps.drop.failOn = '_0001.csv';

    // Act
    const attempt = deliverInManagerOrder([hire('new.boss', 3, 0)], deps);

    // Assess
    await expect(attempt).rejects.toThrow(/connection reset/);
    expect(deps.settledLogins.records.size).toBe(0);
  });

  it('waits 2 receives below the csv queue maxReceiveCount, which is never below 5', () => {
    expect([1, 5, 6, 10].map(managerWaitReceives)).toEqual([3, 3, 4, 8]);
  });
});
