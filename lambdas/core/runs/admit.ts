/** The first step of a run: its record, once, and the lane it takes. */
import { HrFileError } from '../hr/read-hr-file';
import { undeployedChannelReason } from '../sync/route';
import type { AdmitResult, Lane, RunState } from './contract';
import type { RunStepDeps } from './deps';

/** Plan-only files (plan/) take turns among themselves, never behind a run that applies. */
export const laneOf = (state: Pick<RunState, 'dryRun'>): Lane => (state.dryRun ? 'preview' : 'apply');

export async function admit(state: RunState, deps: Pick<RunStepDeps, 'records' | 'config' | 'clock'>): Promise<AdmitResult> {
  const lane = laneOf(state);
  if (state.mode === 'report-again') return { lane };
  await deps.records.create({
    run: state.run,
    ...(state.version ? { version: state.version } : {}),
    channel: state.channel,
    dryRun: state.dryRun,
    arrivedAt: state.arrivedAt,
    bucket: state.bucket,
    phase: 'admitted',
    admittedAt: deps.clock.now().toISOString(),
    queued: 0,
    settled: 0,
    failed: 0,
    submitted: 0,
  });
  // Refused before it waits for a turn only to be refused: retrying cannot make the channel appear.
  const refused = undeployedChannelReason(state.channel, deps.config);
  if (refused) throw new HrFileError(state.run.file, refused);
  return { lane };
}
