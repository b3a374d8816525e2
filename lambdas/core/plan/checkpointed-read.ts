/**
 * A full read of Coupa's users that stops at a deadline and is continued later, so a first read of
 * a roster larger than one planner invocation can page (500,000 users are 10,000 pages: 8 minutes
 * at 20 requests/s, much more against a slow or shared Coupa) still completes.
 *
 * The read stops only between pages. It then keeps what it has — the users read so far, packed as
 * the planner holds them (coupa-state.ts encodeUser), the offset of the next page, the id of the
 * last user read and when the read began — through the ReadCheckpointStore port, and throws
 * ReadSuspended: the caller asks for a continuation and returns without planning. The next
 * invocation loads the checkpoint and lists on from the offset (id order, so the users created
 * meanwhile come at the end). A read that spanned several invocations ends with an
 * `updated_at[gt_or_eq]` refresh from its start (less the usual overlap), which catches the users
 * changed on pages read earlier; then it is kept as the snapshot, like a read in one go, and the
 * planner plans exactly as after an uninterrupted read.
 */
import type { ReadCheckpointStore } from '../ports';
import { UserTable, userOfPackedLine } from './coupa-state';
import { REFRESH_OVERLAP_MS, refresh, saveSnapshot, snapshotKey, type StateDeps } from './read-coupa-state';

/** The first line of a checkpoint; the users follow, one packed text a line. */
export interface CheckpointHeader {
  checkpoint: 1;
  /** The flavour and fields read (snapshotKey): a checkpoint read with another config is not continued. */
  key: string;
  /** Users read so far, in id order: the listing continues here. */
  offset: number;
  /** The id of the last user read: the continued listing must start right after it. */
  lastId?: string;
  /** When the read began (ISO): users changed since then, less the overlap, are read again at the end. */
  startedAt: string;
  /** Continuations asked for so far (this checkpoint's is the last). */
  continuations: number;
  /** The longest page seen: a shorter one is the last, and the read ends with it whatever the time. */
  pageSize?: number;
}

export interface CheckpointedReadOptions {
  runId: string;
  store: ReadCheckpointStore;
  /** Milliseconds the read may still take in this invocation; at 0 or less it stops after the page it is on. */
  timeLeft: () => number;
  /** Continuations allowed; a read that would need one more gives up (ReadAbandoned). */
  maxContinuations: number;
  /** Only carry on a kept read: without one, throw NeedsFullRead instead of reading every user here. */
  requireCheckpoint?: boolean;
}

/** The read stopped at its deadline and kept its progress: continuation `step` must carry it on. */
export class ReadSuspended extends Error {
  constructor(
    readonly step: number,
    readonly usersRead: number,
  ) {
    super(`the read of Coupa's users stopped at its deadline after ${usersRead} user(s); continuation ${step} carries it on`);
    this.name = 'ReadSuspended';
  }
}

/**
 * The plan needs every user, and no read of them was kept for this run: the run's ReadCoupa step must
 * read them first (in as many invocations as it takes), then the plan is made again.
 */
export class NeedsFullRead extends Error {
  constructor() {
    super("the plan needs every Coupa user and they have not been read for this run yet");
    this.name = 'NeedsFullRead';
  }
}

/** The read used every continuation allowed and still did not finish: the run gives up. */
export class ReadAbandoned extends Error {
  constructor(
    readonly continuations: number,
    readonly usersRead: number,
  ) {
    super(
      `reading Coupa's users did not finish within ${continuations} continuation(s) of the planner ` +
        `(roster.maxReadContinuations; ${usersRead} user(s) read): nothing was planned or changed`,
    );
    this.name = 'ReadAbandoned';
  }
}

interface Progress {
  header: CheckpointHeader;
  table: UserTable;
}

/**
 * Every Coupa user, read within `options.timeLeft()` or continued from (and kept as) a checkpoint.
 * Returns the complete table (kept as the snapshot, the checkpoint removed), or throws
 * ReadSuspended (checkpoint kept for the continuation) or ReadAbandoned (the caller removes it).
 */
export async function readEveryUserCheckpointed(deps: StateDeps, options: CheckpointedReadOptions): Promise<UserTable> {
  const loaded = await loadCheckpoint(deps, options);
  if (options.requireCheckpoint && !loaded.progress) throw new NeedsFullRead();
  const { progress, done } = await readToDeadline(loaded.progress ?? fresh(deps), deps, options);
  const { header, table } = progress;
  if (!done) {
    const step = header.continuations + 1;
    // The checkpoint stays until the caller has told people (a retry after that failed continues from it).
    if (step > options.maxContinuations) throw new ReadAbandoned(header.continuations, table.size);
    await options.store.writeCheckpoint(options.runId, checkpointLines({ ...header, continuations: step }, table));
    throw new ReadSuspended(step, table.size);
  }
  // Users changed on the pages read before are read again: across invocations (hours), and within
  // one (minutes on a big instance), a user updated behind the listing's position would be missed.
  if (deps.directory.canListUpdatedSince) {
    await refresh(table, deps, new Date(Date.parse(header.startedAt) - REFRESH_OVERLAP_MS).toISOString());
  }
  await saveSnapshot(table, deps);
  if (loaded.stored) await options.store.removeCheckpoint(options.runId);
  return table;
}

/** How far one invocation's share of a full read got (the ReadCoupa step's cursor). */
export interface ReadAdvance {
  done: boolean;
  /** Invocations that have read so far (the checkpoint's continuations). */
  step: number;
  usersRead: number;
}

/**
 * One invocation's share of a full read: reads on from the kept checkpoint (or from the start) until
 * `timeLeft()` runs out or the listing ends, and keeps the progress either way. A finished read stays
 * kept too: the plan step carries it on from there (readEveryUserCheckpointed with requireCheckpoint),
 * lists what was created since, refreshes what changed since the read began, and keeps the snapshot.
 * Throws ReadAbandoned past maxContinuations (the checkpoint is left for the lifecycle rule).
 */
export async function advanceFullRead(deps: StateDeps, options: CheckpointedReadOptions): Promise<ReadAdvance> {
  const loaded = await loadCheckpoint(deps, options);
  const { progress, done } = await readToDeadline(loaded.progress ?? fresh(deps), deps, options);
  const { header, table } = progress;
  const step = header.continuations + 1;
  if (!done && step > options.maxContinuations) throw new ReadAbandoned(header.continuations, table.size);
  await options.store.writeCheckpoint(options.runId, checkpointLines({ ...header, continuations: step }, table));
  return { done, step, usersRead: table.size };
}

/** Reads on from `start` until the listing ends (done) or time is up, from the start again if the listing moved. */
async function readToDeadline(start: Progress, deps: StateDeps, options: CheckpointedReadOptions): Promise<{ progress: Progress; done: boolean }> {
  let progress = start;
  let done: boolean | 'moved';
  while ((done = await readOn(progress, deps, options)) === 'moved') {
    // Users vanished from (or appeared inside) the listing since the checkpoint: offsets no longer
    // mean what they meant. Coupa deactivates rather than deletes users, so this should not happen;
    // if it does, reading again from the start is the one safe answer.
    deps.onProgress?.("Coupa's user listing moved since the checkpoint: reading every user again");
    const again = fresh(deps);
    progress = { ...again, header: { ...again.header, continuations: progress.header.continuations } };
  }
  return { progress, done };
}

function fresh(deps: StateDeps): Progress {
  const header: CheckpointHeader = { checkpoint: 1, key: snapshotKey(deps.config.coupa), offset: 0, startedAt: deps.clock.now().toISOString(), continuations: 0 };
  return { header, table: new UserTable(true) };
}

/**
 * Lists on from the progress's offset until the listing ends (true) or time is up (false), or
 * finds the listing moved ('moved'). A continued listing starts one user early: that user must be
 * the last one read, which proves the offsets still line up.
 */
async function readOn(progress: Progress, deps: StateDeps, options: CheckpointedReadOptions): Promise<boolean | 'moved'> {
  const { header, table } = progress;
  const overlap = header.offset > 0 ? 1 : 0;
  let checked = overlap === 0;
  let pages = 0;
  for await (const page of deps.directory.listUsers(overlap ? { fromOffset: header.offset - overlap } : {})) {
    let users = page;
    if (!checked) {
      if (users[0]?.id !== header.lastId) return 'moved';
      checked = true;
      users = users.slice(1);
    }
    for (const user of users) table.put(user);
    header.offset += users.length;
    if (users.length > 0) header.lastId = users[users.length - 1].id;
    pages += 1;
    if (pages % 100 === 0) deps.onProgress?.(`read ${table.size} Coupa users so far`);
    // A page shorter than a full one is the last: the read is done, whatever the time.
    // Each invocation reads at least one user more than the last, so a run always gets closer.
    header.pageSize = Math.max(header.pageSize ?? 0, page.length);
    if (users.length > 0 && page.length === header.pageSize && options.timeLeft() <= 0) return false;
  }
  return checked || header.offset === 0 ? true : 'moved';
}

function* checkpointLines(header: CheckpointHeader, table: UserTable): Iterable<string> {
  yield JSON.stringify(header);
  yield* table.packed();
}

/** The run's checkpoint, if one is stored (`stored`) and was read with this config (`progress`). */
async function loadCheckpoint(deps: StateDeps, options: CheckpointedReadOptions): Promise<{ stored: boolean; progress?: Progress }> {
  const lines = await options.store.readCheckpoint(options.runId);
  if (!lines) return { stored: false };
  let header: CheckpointHeader | undefined;
  const table = new UserTable(true);
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (!header) {
      header = JSON.parse(line) as CheckpointHeader;
      // Read with other fields (a deploy changed the config between invocations): start again.
      if (header.checkpoint !== 1 || header.key !== snapshotKey(deps.config.coupa)) return { stored: true };
      continue;
    }
    table.put(userOfPackedLine(line));
  }
  return { stored: true, ...(header ? { progress: { header, table } } : {}) };
}
