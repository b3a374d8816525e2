/**
 * V8's collector for the CLI's process. By default V8 lets the heap grow to several times the live
 * data before it collects; a full-roster plan makes garbage by the gigabyte (every XML page, every
 * user decoded twice) while its live data stays flat, so the CLI runs size-optimised
 * (`--optimize-for-size`): a 1,000,000-user full plan stays under 512 MB (docs/benchmarks.md).
 *
 * One stretch pays for it without gaining: between a delta file's last look-up and its first write
 * nothing goes to Coupa, and the plan made there is live data (every change is held until applied),
 * not garbage. Size-optimised, V8 collected the whole heap each time it grew by a tenth: a first
 * load of 100,000 changes spent more than half of that stretch in the collector. The planner marks
 * the stretch (RunDeps.planStretch) and the CLI runs V8's default collector there only.
 * V8 reads the flag at each collection, so it can be turned off and on again at run time.
 */
import { setFlagsFromString } from 'node:v8';

/** Whether this process was set size-optimised here (a test calling the CLI in-process was not). */
let sizeOptimized = false;

/** Called by bin/coupa-sync.mjs before the CLI runs (which set the flag already, before loading the CLI). */
export function optimizeForSize(): void {
  setFlagsFromString('--optimize-for-size');
  sizeOptimized = true;
}

/** RunDeps.planStretch: V8's default collector until the function returned is called. */
export function relaxForPlanStretch(): () => void {
  if (!sizeOptimized) return () => undefined;
  setFlagsFromString('--no-optimize-for-size');
  return () => setFlagsFromString('--optimize-for-size');
}
