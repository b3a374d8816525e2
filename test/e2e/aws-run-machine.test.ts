/**
 * The AWS path through the run state machine as `cdk synth` defines it, run in-process
 * (test/support/local-run-machine.ts) with the real handlers, the run table in dynalite, the bucket,
 * queue and topic fakes and the Coupa emulator over HTTP (test/support/aws-run-stack.ts). One test per
 * finding of issue 14's review, each reproducing the scenario that failed with the S3 bookkeeping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../lambdas/core/model';
import { planKey } from '../../lambdas/core/sync/run-layout';
import { approveInAws, rejectInAws } from '../../bin/cli/aws-approval';
import { BUCKET, startRunStack, type RunStack } from '../support/aws-run-stack';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoRunRecords } from '../../lambdas/adapters/aws/dynamo-run-records';
import { SFNClient } from '@aws-sdk/client-sfn';

let stack: RunStack;

beforeAll(async () => {
  stack = await startRunStack();
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const ROSTER_HEADER = 'login,email,firstname,lastname,manager';
/** Coupa's demo users as a full roster, but for USER_TEST and leaver.lee (2 absentees) and one hire. */
const FULL_ROSTER = [
  ROSTER_HEADER,
  'mgr.jones,mgr.jones@example.com,Maria,Jones-Rivera,', // 1: an update (lastname)
  'steady.state,steady@example.com,Sam,Steady,mgr.jones', // 2: unchanged
  'new.person,new.person@example.com,New,Person,mgr.jones', // 3: a create
].join('\n');

const DELTA = [ROSTER_HEADER, 'new.one,new.one@example.com,New,One,mgr.jones', 'mgr.jones,mgr.jones@example.com,Maria,Jones-Rivera,'].join('\n');

/** A full roster of every active Coupa user as Coupa holds them, plus one hire: it deactivates nobody (no guard holds it). */
function everyoneAndOneHire(hire: string): string {
  const users = stack.coupa.users().filter((u) => u.active);
  const rows = users.map((u) => [u.login, u.email, u.firstname, u.lastname, ''].map((v) => String(v ?? '')).join(','));
  return [ROSTER_HEADER, ...rows, `${hire},${hire}@example.com,New,Hire,`].join('\n');
}

const awsClients = () => ({ dynamo: new DynamoDBClient({}), sfn: new SFNClient({}) });
const reportOf = (runId: string) => stack.objects.json<RunReport>(`runs/${runId}/report.json`);
const quiet = () => undefined;

describe('a run through the state machine', () => {
  it('applies a delta file once, managers first, reports every row once, and gives its turn back', async () => {
    // Prepare
    await stack.fresh();
    // Act
    const { runId } = await stack.drop('incoming/delta.csv', DELTA, { duplicateEvent: true });
    await stack.settle();
    // Assess: one execution (the duplicate event was ExecutionAlreadyExists), through the states an operator reads
    expect([...stack.machine.executions.keys()]).toEqual([runId]);
    const execution = stack.machine.executions.get(runId)!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.states.filter((s, i, all) => all.indexOf(s) === i)).toEqual(['Admit', 'TakeTurn', 'ReadCoupa', 'Plan', 'Enqueue', 'CheckApply', 'Report', 'ReleaseTurn']);
    expect(reportOf(runId)).toMatchObject({ status: 'complete', totals: { rows: 2, created: 1, updated: 1, failed: 0 } });
    expect(await stack.record(runId)).toMatchObject({ phase: 'reported', queued: 2, settled: 2, failed: 0 });
    expect(await stack.holder()).toBeUndefined();
    const users = new Map(stack.coupa.users().map((u) => [u.login as string, u]));
    expect(users.get('new.one')).toMatchObject({ active: true, manager: { login: 'mgr.jones' } });
    expect(stack.published().map((p) => p.subject)).toEqual(['Coupa user sync report: incoming/delta.csv: all rows done']);
  });

  it('starts nothing for objects written anywhere but incoming/ and plan/ (runs/, state/, approvals/, continue/)', async () => {
    // Prepare
    await stack.fresh();
    // Act: a forged HR file under runs/, a forged snapshot, an old-style approval and continuation
    for (const key of ['runs/x/evil.csv', 'state/coupa-users.ndjson', 'approvals/whatever', 'continue/whatever', 'runs/start/x']) {
      await stack.drop(key, DELTA);
    }
    await stack.settle();
    // Assess
    expect(stack.machine.executions.size).toBe(0);
    expect(stack.coupa.users().some((u) => u.login === 'new.one')).toBe(false);
  });
});

describe('held runs: approval by task token', () => {
  it('holds a mass deactivation, gives its turn back while it waits, and applies what still holds once approved', async () => {
    // Prepare
    await stack.fresh({ roster: { mode: 'full', maxDeactivations: 1 } });
    // Act 1: planned, held; another file runs meanwhile
    const { runId } = await stack.drop('incoming/roster.csv', FULL_ROSTER);
    await waitForHeld(runId);
    const other = await stack.drop('incoming/everyone.csv', everyoneAndOneHire('new.one'), { arrivedSecondsAgo: 30 });
    await waitFor(() => stack.machine.executions.get(other.runId)?.status !== 'RUNNING', () => stack.settleQueue());
    // Assess 1
    expect(reportOf(runId)).toMatchObject({ status: 'held' });
    expect(stack.machine.executions.get(other.runId)!.status).toBe('SUCCEEDED');
    expect(stack.published().find((p) => p.subject.startsWith('Coupa user sync held'))!.message).toContain(`npx coupa-sync approve ${runId} --table ${stack.db.tableName}`);

    // Act 2: approve with the CLI's AWS form
    await approveInAws(runId, stack.db.tableName, quiet, awsClients());
    await stack.settle();
    // Assess 2
    const execution = stack.machine.executions.get(runId)!;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.states).toEqual(expect.arrayContaining(['ReportHeld', 'ReleaseHeldTurn', 'WaitForApproval', 'Recheck', 'EnqueueApproved', 'Report', 'ReleaseTurn']));
    const report = reportOf(runId);
    expect(report).toMatchObject({ status: 'complete', roster: { mode: 'full' }, totals: { absentees: 2, held: 0 } });
    expect(report.reason).toMatch(/^approved at /);
    expect(await stack.holder()).toBeUndefined();
  });

  it('stops a run whose plan.json was rewritten before approval: nothing of it reaches Coupa, one alert', async () => {
    // Prepare: held
    await stack.fresh({ roster: { mode: 'full', maxDeactivations: 1 } });
    const { runId } = await stack.drop('incoming/roster.csv', FULL_ROSTER);
    await waitForHeld(runId);
    const before = stack.coupa.users().map((u) => `${u.login}:${u.active}`).sort();
    // Act: someone rewrites the held plan (no staged deactivation any more, a forged create instead), then it is approved
    const plan = stack.objects.json(planKey(runId));
    plan.staged = [{ login: 'forged.admin', kind: 'create', send: { email: 'x@evil.example', firstname: 'F', lastname: 'A' }, changes: [], rows: [], level: 0 }];
    stack.objects.putVersion(planKey(runId), Buffer.from(JSON.stringify(plan)), 'application/json');
    await approveInAws(runId, stack.db.tableName, quiet, awsClients());
    await stack.settle();
    // Assess
    const execution = stack.machine.executions.get(runId)!;
    expect(execution.status).toBe('FAILED');
    expect(execution.states).toEqual(expect.arrayContaining(['Recheck', 'RunFailed', 'ReleaseAfterFailure']));
    expect(stack.coupa.users().map((u) => `${u.login}:${u.active}`).sort()).toEqual(before);
    const stopped = stack.published().filter((p) => p.subject.startsWith('Coupa user sync stopped'));
    expect(stopped).toHaveLength(1);
    expect(stopped[0].message).toMatch(/PlanChanged.*plan\.json is not the object the run wrote/s);
    expect(await stack.holder()).toBeUndefined();
  });

  it('rejects a held run with why, and an approval afterwards is refused', async () => {
    // Prepare
    await stack.fresh({ roster: { mode: 'full', maxDeactivations: 1 } });
    const { runId } = await stack.drop('incoming/roster.csv', FULL_ROSTER);
    await waitForHeld(runId);
    // Act
    await rejectInAws(runId, stack.db.tableName, 'HR sent last week\'s file', quiet, awsClients());
    await stack.settle();
    // Assess
    expect(reportOf(runId)).toMatchObject({ status: 'rejected', reason: expect.stringContaining("HR sent last week's file") });
    await expect(approveInAws(runId, stack.db.tableName, quiet, awsClients())).rejects.toThrow(/is rejected/);
  });
  it('keeps the turn of a run approved 25 h after its plan while its changes apply; an overdue alert, and the next file waits', async () => {
    // Prepare: held; a day and more passes before approval (its plan is 25 h old when it applies)
    await stack.fresh({ roster: { mode: 'full', maxDeactivations: 1 }, approval: { expireAfterHours: 48 }, reports: { reportAfterHours: 24 } });
    const { runId } = await stack.drop('incoming/roster.csv', FULL_ROSTER);
    await waitForHeld(runId);
    const record = (await stack.record(runId))!;
    await new DynamoRunRecords(stack.db.client, stack.db.tableName).update(runId, {
      plan: { ...record.plan!, startedAt: new Date(Date.now() - 25 * 3_600_000).toISOString() },
    });
    // Act 1: approved; its changes are queued but the consumers are slow (not draining yet); B arrives
    await approveInAws(runId, stack.db.tableName, quiet, awsClients());
    await waitFor(() => stack.published().some((p) => p.kind === 'overdue' || p.subject.includes('still applying')));
    const b = await stack.drop('incoming/b.csv', everyoneAndOneHire('new.one'), { arrivedSecondsAgo: 45 });
    await waitFor(async () => stack.machine.executions.get(b.runId)!.states.filter((s) => s === 'TakeTurn').length >= 3);
    // Assess 1: A still holds the turn while applying; B waits behind it
    expect(await stack.holder()).toBe(runId);
    expect(stack.machine.executions.get(b.runId)!.status).toBe('RUNNING');
    expect(stack.machine.executions.get(b.runId)!.states).not.toContain('ReadCoupa');
    // Act 2: the consumers catch up
    await stack.settle();
    // Assess 2: A reported complete (nothing failed for being late), then B ran
    expect(reportOf(runId)).toMatchObject({ status: 'complete', totals: { failed: 0 } });
    expect(stack.machine.executions.get(b.runId)!.status).toBe('SUCCEEDED');
    expect(stack.published().filter((p) => p.subject.includes('still applying'))).toHaveLength(1);
  });
});

describe('the line of runs', () => {
  it('ends a run whose planning always fails after a bounded number of tries, with one alert, and the next file runs', async () => {
    // Prepare: every plan of run A fails (a bug, say); B is a good file dropped after it
    await stack.fresh();
    const failing = stack.failTask((request) => request.task === 'plan' && request.state.run.file === 'incoming/a.csv', () => new Error('planner crashed'));
    // Act
    const a = await stack.drop('incoming/a.csv', DELTA);
    const b = await stack.drop('incoming/b.csv', DELTA.replace('new.one', 'new.two'), { arrivedSecondsAgo: 55 });
    await stack.settle();
    // Assess
    expect(failing.calls).toBe(4); // the first try and 3 retries, then the failure path
    expect(stack.machine.executions.get(a.runId)!.status).toBe('FAILED');
    expect(stack.machine.executions.get(b.runId)!.status).toBe('SUCCEEDED');
    const aboutA = stack.published().filter((p) => p.message.includes(a.runId) || p.subject.includes('a.csv'));
    expect(aboutA.map((p) => p.subject)).toEqual(['Coupa user sync stopped: incoming/a.csv']);
    expect(stack.coupa.users().some((u) => u.login === 'new.two')).toBe(true);
  });

  it('gives a killed execution\'s turn back through the EventBridge path, alerts once, and the next file runs', async () => {
    // Prepare: A holds the turn and waits for its changes (the consumers are not running)
    await stack.fresh();
    const a = await stack.drop('incoming/a.csv', DELTA);
    await waitFor(async () => (await stack.record(a.runId))?.phase === 'applying');
    expect(await stack.holder()).toBe(a.runId);
    // Act: an operator aborts A's execution; B arrives
    stack.machine.executions.get(a.runId)!.abort();
    await stack.machine.executions.get(a.runId)!.ended;
    const b = await stack.drop('incoming/b.csv', DELTA.replace('new.one', 'new.two'), { arrivedSecondsAgo: 55 });
    await stack.settle();
    // Assess
    expect(stack.machine.executions.get(a.runId)!.status).toBe('ABORTED');
    expect(stack.machine.executions.get(b.runId)!.status).toBe('SUCCEEDED');
    expect(stack.published().filter((p) => p.message.includes(a.runId) && p.subject.startsWith('Coupa user sync stopped'))).toHaveLength(1);
    expect(await stack.holder()).toBeUndefined();
  });

  it('does not apply a file that arrives after a newer one was applied (stale), and says so', async () => {
    // Prepare: B (dropped 30 s ago) applied first; A (dropped 2 min ago) arrives late
    await stack.fresh();
    await stack.drop('incoming/b.csv', DELTA, { arrivedSecondsAgo: 30 });
    await stack.settle();
    // Act
    const a = await stack.drop('incoming/a.csv', DELTA.replace('new.one', 'new.late'), { arrivedSecondsAgo: 120 });
    await stack.settle();
    // Assess
    expect(stack.machine.executions.get(a.runId)!.states).toContain('Stale');
    expect(stack.coupa.users().some((u) => u.login === 'new.late')).toBe(false);
    expect(stack.published().some((p) => p.subject === 'Coupa user sync: incoming/a.csv was not applied (a newer file was)')).toBe(true);
  });
});

describe("Coupa's integration monitoring, from the state machine's steps", () => {
  it('reports two failed updates as one failed integration run with two errors; the next run resolves both and succeeds', async () => {
    // Prepare: two users ask for e-mails other users hold (pre-flight off: Coupa itself refuses both)
    await stack.fresh({ preflight: { enabled: false }, coupa: { monitoring: { enabled: true } } });
    const clash = [ROSTER_HEADER, 'steady.state,mgr.jones@example.com,Sam,Steady,mgr.jones', 'mgr.jones,steady@example.com,Maria,Jones,'].join('\n');
    const fixed = [ROSTER_HEADER, 'steady.state,steady.new@example.com,Sam,Steady,mgr.jones', 'mgr.jones,mgr.jones.new@example.com,Maria,Jones,'].join('\n');
    // Act
    const first = await stack.drop('incoming/clash.csv', clash);
    await stack.settle();
    // Assess
    const [run] = stack.coupa.monitoring.runs();
    expect(run).toMatchObject({ status: 'failed' });
    expect(stack.coupa.monitoring.errors().map((e) => [e['document-type'], e.resolved])).toEqual([['User', false], ['User', false]]);
    expect(reportOf(first.runId).coupaMonitoring).toMatchObject({ status: 'failed', raised: 2, resolved: 0 });
    // Act: the fixed file
    const second = await stack.drop('incoming/fixed.csv', fixed, { arrivedSecondsAgo: 30 });
    await stack.settle();
    // Assess
    expect(stack.coupa.monitoring.runs().map((r) => r.status)).toEqual(['failed', 'successful']);
    expect(stack.coupa.monitoring.errors().map((e) => e.resolved)).toEqual([true, true]);
    expect(reportOf(second.runId).coupaMonitoring).toMatchObject({ status: 'successful', raised: 0, resolved: 2 });
  });

  it('pauses a held run in Coupa, and runs it to successful once approved', async () => {
    // Prepare
    await stack.fresh({ roster: { mode: 'full', maxDeactivations: 1 }, coupa: { monitoring: { enabled: true } } });
    const { runId } = await stack.drop('incoming/roster.csv', FULL_ROSTER);
    await waitForHeld(runId);
    // Assess: paused while held
    expect(stack.coupa.monitoring.runs().map((r) => r.status)).toEqual(['paused']);
    // Act
    await approveInAws(runId, stack.db.tableName, quiet, awsClients());
    await stack.settle();
    // Assess
    expect(stack.coupa.monitoring.runs().map((r) => r.status)).toEqual(['successful']);
  });
});

/** Until the run waits for approval: its token kept, Coupa's run paused and the held alert out (in that order). */
async function waitForHeld(runId: string): Promise<void> {
  await waitFor(async () => (await stack.record(runId))?.approval !== undefined && stack.published().some((p) => p.subject.startsWith('Coupa user sync held')));
}

/** Polls `done` (doing `meanwhile` each round) until it holds, for up to 60 s. */
async function waitFor(done: () => boolean | Promise<boolean>, meanwhile?: () => Promise<void>): Promise<void> {
  const until = Date.now() + 40_000;
  while (!(await done())) {
    if (Date.now() > until) {
      const executions = [...stack.machine.executions.values()].map((e) => `${e.name} ${e.status} ${e.states.slice(-6).join(',')} ${e.error?.message ?? ''}`);
      throw new Error(`timed out waiting; executions: ${executions.join(' | ')}`);
    }
    await meanwhile?.();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export { BUCKET };
