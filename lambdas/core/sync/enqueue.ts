/**
 * Planned changes → queue messages. One message per login and run (so per-login order needs no
 * sequencing across messages), grouped by the login at the top of each chain of new managers: a
 * FIFO group is delivered in order, and the queue adapter sends level by level, so a manager
 * created in the run is applied before every report that waits for it — by construction.
 */
import type { ChangeMessage, PlannedChange, RunRef } from '../model';

export function changeMessages(run: RunRef, changes: readonly PlannedChange[]): ChangeMessage[] {
  const byLogin = new Map(changes.map((c) => [c.login.toLowerCase(), c]));
  const rootOf = (change: PlannedChange): string => {
    let node = change;
    // Levels strictly decrease along dependsOn (the planner broke every cycle), so this ends.
    for (let up = node.dependsOn && byLogin.get(node.dependsOn.toLowerCase()); up; up = node.dependsOn && byLogin.get(node.dependsOn.toLowerCase())) node = up;
    return node.login.toLowerCase();
  };
  return changes.map((change) => ({ runId: run.runId, file: run.file, change, group: rootOf(change) }));
}
