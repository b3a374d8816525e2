/**
 * The line of runs (lambdas/core/sync/run-queue.ts): one run of a bucket writes to Coupa at a time,
 * oldest first; the turn passes on when a run is reported or queued nothing, and nothing waits forever.
 */
import { describe, expect, it } from 'vitest';
import type { Notification, WaitingRun } from '../../lambdas/core/ports';
import { MAX_LINE_RESTARTS, RunLine, STALE_TURN_MS, advanceLine, runQueueKey } from '../../lambdas/core/sync/run-queue';
import { MemoryRunTurnStore } from '../support/memory-run-turns';

const T0 = Date.parse('2026-11-29T01:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function clockAt(ms: number) {
  const clock = { at: ms, now: () => new Date(clock.at), sleep: async () => {} };
  return clock;
}

const entry = (name: string, minutes: number, action: WaitingRun['action'] = 'plan'): WaitingRun => ({
  action,
  run: { runId: `${name}-000000000000`, file: `incoming/${name}.csv` },
  channel: 'api',
  arrivedAt: new Date(T0 + minutes * MINUTE).toISOString(),
});

function setup(minutes = 0) {
  const turns = new MemoryRunTurnStore();
  const clock = clockAt(T0 + minutes * MINUTE);
  const line = new RunLine({ turns, clock, log: () => {} });
  const alerts: Notification[] = [];
  const advance = () => advanceLine({ turns, clock, notifier: { publish: async (n) => void alerts.push(n) }, reportAfterHours: 24 });
  return { turns, clock, line, alerts, advance };
}

describe('the line of runs', () => {
  it('lets the first run take the turn and keeps a later one waiting while the first is applying', async () => {
    // Prepare
    const { turns, line } = setup();
    const a = entry('a', 0);
    const b = entry('b', 5);
    // Act
    const aGoes = await line.waitTurn(a);
    turns.pendingRuns.add(a.run.runId); // A queued its changes
    await line.turnDone(a);
    const bGoes = await line.waitTurn(b);
    // Assess
    expect([aGoes, bGoes]).toEqual([true, false]);
    expect(turns.turn).toMatchObject({ key: runQueueKey(a), runId: a.run.runId });
    expect([...turns.line.keys()]).toEqual([runQueueKey(b)]);
    expect(turns.started).toEqual([]);
  });

  it('passes the turn on at once when a run queued nothing (held, nothing to change), starting the oldest waiting', async () => {
    // Prepare: A holds the turn while planning; B and C arrive meanwhile
    const { turns, line } = setup();
    const [a, b, c] = [entry('a', 0), entry('b', 5), entry('c', 7)];
    await line.waitTurn(a);
    await line.waitTurn(c);
    await line.waitTurn(b);
    // Act: A's plan queued nothing
    await line.turnDone(a);
    // Assess
    expect(turns.turn).toBeUndefined();
    expect(turns.started).toEqual([runQueueKey(b)]);
    // Assess: C cannot jump the line when its start comes first; B's start takes the turn
    expect(await line.waitTurn(c)).toBe(false);
    expect(await line.waitTurn(b)).toBe(true);
  });

  it('gives the turn again to its holder when the event is retried (a Lambda retry after a transient error)', async () => {
    // Prepare
    const { line } = setup();
    const a = entry('a', 0);
    await line.waitTurn(a);
    // Act + Assess
    expect(await line.waitTurn(a)).toBe(true);
  });

  it('treats a run\'s approval as a turn of its own: it waits while the run\'s earlier changes are applying', async () => {
    // Prepare: run R (apply-rest) queued its non-deactivations and holds the turn
    const { turns, line } = setup();
    const planR = entry('r', 0);
    await line.waitTurn(planR);
    turns.pendingRuns.add(planR.run.runId);
    await line.turnDone(planR);
    // Act
    const approvalGoes = await line.waitTurn(entry('r', 30, 'approve'));
    // Assess
    expect(approvalGoes).toBe(false);
    expect(turns.turn?.key).toBe(runQueueKey(planR));
  });
});

describe('the reporter moves the line (advanceLine)', () => {
  it('releases the turn of a run it reported and starts the oldest waiting run', async () => {
    // Prepare: A applied and reported (no pending marker), B and C waiting
    const { turns, line, advance } = setup();
    const [a, b, c] = [entry('a', 0), entry('b', 5), entry('c', 6)];
    await line.waitTurn(a);
    turns.pendingRuns.add(a.run.runId);
    await line.turnDone(a);
    await line.waitTurn(c);
    await line.waitTurn(b);
    turns.pendingRuns.delete(a.run.runId);
    // Act
    const moved = await advance();
    // Assess
    expect(moved).toEqual({ released: a.run.runId, started: b.run.runId, alerted: [] });
    expect(turns.turn).toBeUndefined();
    expect(turns.started).toEqual([runQueueKey(b)]);
  });

  it('keeps the turn of a run still applying, and of one still planning (in line, younger than a Lambda\'s life)', async () => {
    // Prepare
    const { turns, line, advance, clock } = setup();
    const [a, b] = [entry('a', 0), entry('b', 1)];
    await line.waitTurn(a); // planning: still in line, no pending marker yet
    turns.claims.set(a.run.runId, { state: 'planning', at: new Date(T0).toISOString() });
    await line.waitTurn(b);
    clock.at += STALE_TURN_MS - MINUTE;
    // Act
    const whilePlanning = await advance();
    turns.pendingRuns.add(a.run.runId);
    await turns.leave(runQueueKey(a));
    clock.at += 10 * HOUR;
    const whileApplying = await advance();
    // Assess
    expect(whilePlanning).toEqual({ alerted: [] });
    expect(whileApplying).toEqual({ alerted: [] });
    expect(turns.turn?.runId).toBe(a.run.runId);
    expect(turns.started).toEqual([]);
  });

  it('keeps the turn of a run whose read of Coupa is being continued (claim "continuing"), past a Lambda\'s life', async () => {
    // Prepare
    const { turns, line, advance, clock } = setup();
    const [a, b] = [entry('a', 0), entry('b', 1)];
    await line.waitTurn(a);
    await line.waitTurn(b);
    turns.claims.set(a.run.runId, { state: 'continuing', at: new Date(T0 + 14 * MINUTE).toISOString() });
    clock.at += 3 * HOUR;
    // Act
    const moved = await advance();
    // Assess
    expect(moved).toEqual({ alerted: [] });
    expect(turns.turn?.runId).toBe(a.run.runId);
  });

  it('releases a turn whose planner died (in line, not applying, its claim "planning" over 16 minutes old) and starts that run again first', async () => {
    // Prepare
    const { turns, line, advance, clock } = setup();
    const [a, b] = [entry('a', 0), entry('b', 1)];
    await line.waitTurn(a);
    turns.claims.set(a.run.runId, { state: 'planning', at: new Date(T0).toISOString() });
    await line.waitTurn(b);
    clock.at += STALE_TURN_MS + MINUTE;
    // Act
    const moved = await advance();
    // Assess: A is still the oldest: it is retried before B
    expect(moved).toEqual({ released: a.run.runId, started: a.run.runId, alerted: [] });
    expect(turns.started).toEqual([runQueueKey(a)]);
  });

  it('starts a run whose planning keeps failing again only MAX_LINE_RESTARTS times, then drops it with one alert and starts the next', async () => {
    // Prepare: A's planner fails every time (claim "failed"); B waits behind it
    const { turns, line, advance, clock, alerts } = setup();
    const [a, b] = [entry('a', 0), entry('b', 1)];
    await line.waitTurn(a);
    await line.waitTurn(b);
    const failAgain = async () => {
      // What the planner does on runs/start/<key>: its entry (as the reporter left it) takes the turn, and fails.
      await line.waitTurn((await turns.entry(runQueueKey(a)))!);
      turns.claims.set(a.run.runId, { state: 'failed', at: clock.now().toISOString() });
      clock.at += 5 * MINUTE;
    };
    turns.claims.set(a.run.runId, { state: 'failed', at: new Date(T0).toISOString() });
    // Act: the reporter's passes, each after another failure
    const passes = [];
    for (let i = 0; i < MAX_LINE_RESTARTS; i++) {
      passes.push(await advance());
      await failAgain();
    }
    const last = await advance();
    // Assess: restarted MAX_LINE_RESTARTS times, then dropped; B starts; one alert names A's file
    expect(passes.map((p) => p.started)).toEqual(Array(MAX_LINE_RESTARTS).fill(a.run.runId));
    expect(last).toEqual({ released: a.run.runId, dropped: a.run.runId, started: b.run.runId, alerted: [] });
    expect((await turns.waiting()).map((w) => w.key)).toEqual([runQueueKey(b)]);
    expect(alerts.map((n) => [n.kind, n.subject])).toEqual([['file-rejected', 'Coupa user sync: incoming/a.csv could not be planned']]);
  });

  it('alerts once for a run waiting longer than reports.reportAfterHours, naming the run it waits for', async () => {
    // Prepare: A applying for a day; B waiting behind it
    const { turns, line, advance, alerts, clock } = setup();
    const [a, b] = [entry('a', 0), entry('b', 5)];
    await line.waitTurn(a);
    turns.pendingRuns.add(a.run.runId);
    await line.turnDone(a);
    await line.waitTurn(b);
    clock.at = T0 + 5 * MINUTE + 24 * HOUR + MINUTE;
    // Act
    const first = await advance();
    clock.at += 5 * MINUTE;
    const second = await advance();
    // Assess
    expect(first.alerted).toEqual([b.run.runId]);
    expect(second.alerted).toEqual([]);
    expect(alerts).toEqual([
      {
        kind: 'waiting',
        severity: 'failure',
        subject: 'Coupa user sync: incoming/b.csv waits for an earlier run',
        message:
          `incoming/b.csv: run ${b.run.runId} has waited more than 24 h (reports.reportAfterHours) behind run ${a.run.runId}, which is still applying ` +
          '(see its report when it ends, and the DLQ and logs). Runs of a bucket write to Coupa one at a time, oldest first; it starts by itself once the earlier run is reported.',
        run: b.run,
      },
    ]);
    expect(turns.line.get(runQueueKey(b))?.alertedAt).toBe(new Date(T0 + 5 * MINUTE + 24 * HOUR + MINUTE).toISOString());
  });
});
