/**
 * One run at a time writes to Coupa (AWS). The FIFO group of a change is the top of its manager
 * chain in ITS run, so the same user can sit in two groups in two overlapping runs (file A at 01:00,
 * file B at 01:05) and B's change could land before A's. Rather than sequence messages across runs,
 * runs take turns: a run is planned and queued only when no earlier run of the bucket is still
 * applying, and it is planned then, against Coupa as the earlier run left it (no stale plan).
 *
 *   - Every run (and every approval of a held run) enters the line: runs/waiting/<arrival>-<action>-<runId>,
 *     ordered by the S3 event's time (a redelivered event lands on the same entry).
 *   - The oldest entry takes the turn (runs/turn.json, a conditional create: exactly one holder) and
 *     plans/approves. A run that queued changes keeps the turn until the reporter has reported it; one
 *     that queued nothing (held, nothing to change, a file that cannot be read) passes it on at once.
 *   - Passing on = release the turn and start the oldest waiting entry: runs/start/<key>, which S3
 *     hands to the planner (the planner has the memory, time and grants to plan; the reporter does not).
 *   - Nothing is lost: each reporter pass releases a turn whose run is no longer applying (reported,
 *     or a planner that died: see stillAtIt), starts the oldest entry when
 *     nobody holds the turn, and alerts once for an entry waiting longer than reports.reportAfterHours.
 *
 * Plan-only files (plan/) write nothing to Coupa and never wait.
 */
import type { Clock, Notification, Notifier, RunTurn, RunTurnStore, WaitingRun } from '../ports';

/** A continuation not started this long after it was asked for is lost (Lambda keeps an S3 event at most 6 h). */
export const LOST_CONTINUATION_MS = 7 * 3_600_000;

/** The entry's key in the line: sorts by arrival; a run's plan and its approval are two entries. */
export const runQueueKey = (entry: WaitingRun): string => `${entry.arrivedAt}-${entry.action}-${entry.run.runId}`;

/**
 * Times a run whose planner died or failed (after Lambda's own two retries of its event) is started
 * again before it leaves the line with an alert: a failure that repeats (a bug, a file too large for
 * the planner) must not re-plan for ever nor hold back every later run of the bucket.
 */
export const MAX_LINE_RESTARTS = 2;

/** A turn taken this long ago by a run that is not applying: its planner died (a Lambda lives 15 minutes). */
export const STALE_TURN_MS = 16 * 60_000;

export interface RunLineDeps {
  turns: RunTurnStore;
  clock: Clock;
  log: (message: string, data?: Record<string, unknown>) => void;
}

export class RunLine {
  constructor(private readonly deps: RunLineDeps) {}

  /**
   * Enters the line; true when it is this entry's turn now (it took the turn, or held it already: a
   * retried event). Otherwise the entry waits, and the oldest entry is started if nobody holds the turn.
   */
  async waitTurn(entry: WaitingRun): Promise<boolean> {
    const { turns } = this.deps;
    const key = runQueueKey(entry);
    await turns.enter(key, entry);
    const holder = await turns.holder();
    if (holder) {
      if (holder.key === key) return true;
      this.deps.log('run waits for an earlier run of the bucket', { waitsFor: holder.runId });
      return false;
    }
    const [oldest] = await turns.waiting();
    if (oldest && oldest.key !== key) {
      // An earlier entry goes first: make sure it is under way.
      await turns.start(oldest.key, oldest.entry);
      this.deps.log('run waits for an earlier run of the bucket', { waitsFor: oldest.entry.run.runId });
      return false;
    }
    if (await turns.take({ key, runId: entry.run.runId, at: this.deps.clock.now().toISOString() })) return true;
    return (await turns.holder())?.key === key;
  }

  /** The entry a start request names, or undefined once it left the line (a repeated start). */
  entryOf(key: string): Promise<WaitingRun | undefined> {
    return this.deps.turns.entry(key);
  }

  /**
   * The entry's work is done: it leaves the line (matched by run and action: a continued planning does
   * not know when its file arrived); unless its run is applying now, its turn passes on.
   */
  async turnDone(entry: WaitingRun): Promise<void> {
    const { turns } = this.deps;
    const { runId } = entry.run;
    const mine = (key: string) => key.endsWith(`-${entry.action}-${runId}`);
    for (const { key } of await turns.waiting()) if (mine(key)) await turns.leave(key);
    if (await turns.pending(runId)) return;
    const holder = await turns.holder();
    if (holder && holder.runId === runId && mine(holder.key)) await turns.release();
    await startOldest(turns);
  }
}

async function startOldest(turns: RunTurnStore): Promise<string | undefined> {
  const [oldest] = await turns.waiting();
  if (!oldest) return undefined;
  await turns.start(oldest.key, oldest.entry);
  return oldest.entry.run.runId;
}

export interface AdvanceLineDeps {
  turns: RunTurnStore;
  clock: Clock;
  notifier: Notifier;
  reportAfterHours: number;
}

export interface AdvanceLineResult {
  /** The run whose turn was released (reported, or its planner died). */
  released?: string;
  /** The run started (the oldest waiting), when nobody held the turn. */
  started?: string;
  /** Runs alerted as waiting too long (once each). */
  alerted: string[];
  /** A run (or approval) whose planner kept failing: it left the line, with an alert. */
  dropped?: string;
}

/** The reporter's part, after its reports: pass a finished turn on, start the next, alert on long waits. */
export async function advanceLine(deps: AdvanceLineDeps): Promise<AdvanceLineResult> {
  const { turns, clock } = deps;
  const result: AdvanceLineResult = { alerted: [] };
  let holder = await turns.holder();
  let line = await turns.waiting();
  if (holder && !(await turns.pending(holder.runId))) {
    // Not applying: its report is written (the reporter closed it), or it never got to queue. One
    // whose entry is still in line may still be planning (or approving).
    const inLine = line.find((w) => w.key === holder!.key);
    if (!inLine || !(await stillAtIt(inLine.entry, holder, deps))) {
      await turns.release();
      result.released = holder.runId;
      holder = undefined;
      // Still in line: its planner died or failed. Started again (it is the oldest), a few times only.
      if (inLine) line = await restartOrDrop(inLine, line, deps, result);
    }
  }
  if (!holder && line.length > 0) {
    await turns.start(line[0].key, line[0].entry);
    result.started = line[0].entry.run.runId;
  }
  for (const { key, entry } of line) {
    const waitedHours = (clock.now().getTime() - Date.parse(entry.arrivedAt)) / 3_600_000;
    if (entry.alertedAt || waitedHours <= deps.reportAfterHours || key === holder?.key) continue;
    await deps.notifier.publish(waitingAlert(entry, holder?.runId, deps.reportAfterHours));
    await turns.update(key, { ...entry, alertedAt: clock.now().toISOString() });
    result.alerted.push(entry.run.runId);
  }
  return result;
}

/** The line after a failed entry is counted for one more start, or dropped (with one alert) past MAX_LINE_RESTARTS. */
async function restartOrDrop(
  failed: { key: string; entry: WaitingRun },
  line: Array<{ key: string; entry: WaitingRun }>,
  deps: AdvanceLineDeps,
  result: AdvanceLineResult,
): Promise<Array<{ key: string; entry: WaitingRun }>> {
  const restarts = (failed.entry.restarts ?? 0) + 1;
  if (restarts > MAX_LINE_RESTARTS) {
    await deps.turns.leave(failed.key);
    const what = failed.entry.action === 'approve' ? `the approval of run ${failed.entry.run.runId}` : `run ${failed.entry.run.runId}`;
    await deps.notifier.publish({
      kind: 'file-rejected',
      severity: 'failure',
      subject: `Coupa user sync: ${failed.entry.run.file} could not be planned`,
      message:
        `${failed.entry.run.file}: ${what} failed ${MAX_LINE_RESTARTS + 1} times (each with Lambda's retries) and left the line, ` +
        'so the runs after it go on. Nothing of it was queued after the failure. Find the error in the splitter logs ' +
        '(or the SplitFailedEvents queue), fix it, and upload the file again (or write approvals/<runId> again).',
      run: failed.entry.run,
    });
    result.dropped = failed.entry.run.runId;
    return line.filter((w) => w.key !== failed.key);
  }
  const entry = { ...failed.entry, restarts };
  await deps.turns.update(failed.key, entry);
  return line.map((w) => (w.key === failed.key ? { key: w.key, entry } : w));
}

/**
 * A planner still at the entry: a plan claimed `planning` less than a Lambda's life ago, or `continuing`
 * (a continued read of Coupa: its next invocation's S3 event is on its way, kept by Lambda up to 6 h);
 * an approval (one invocation, no claim) whose turn is younger than a Lambda's life.
 */
async function stillAtIt(entry: WaitingRun, holder: RunTurn, deps: AdvanceLineDeps): Promise<boolean> {
  const age = (at: string) => deps.clock.now().getTime() - Date.parse(at);
  if (entry.action === 'approve') return age(holder.at) <= STALE_TURN_MS;
  const claim = await deps.turns.claim(entry.run.runId);
  if (claim?.state === 'continuing') return age(claim.at) <= LOST_CONTINUATION_MS;
  return (claim?.state === 'planning' || claim?.state === 'waiting') && age(claim.at) <= STALE_TURN_MS;
}

function waitingAlert(entry: WaitingRun, holder: string | undefined, hours: number): Notification {
  const what = entry.action === 'approve' ? `the approval of run ${entry.run.runId}` : `run ${entry.run.runId}`;
  const behind = holder ? `run ${holder}, which is still applying (see its report when it ends, and the DLQ and logs)` : 'an earlier run that did not finish';
  return {
    kind: 'waiting',
    severity: 'failure',
    subject: `Coupa user sync: ${entry.run.file} waits for an earlier run`,
    message:
      `${entry.run.file}: ${what} has waited more than ${hours} h (reports.reportAfterHours) behind ${behind}. ` +
      'Runs of a bucket write to Coupa one at a time, oldest first; it starts by itself once the earlier run is reported.',
    run: entry.run,
  };
}
