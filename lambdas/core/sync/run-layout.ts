/**
 * Where a run's files live in the bucket (AWS): its plan and, once approved, the changes it still
 * applies. Everything else a run shares (its record, the turn, counters, marks) is in the run table.
 */

/** A run's plan as the plan step kept it (its SHA-256 is in the run record). */
export const planKey = (runId: string) => `runs/${runId}/plan.json`;
/** The changes a held run still applies once approved and re-checked (its SHA-256 is in the execution's data). */
export const approvedKey = (runId: string) => `runs/${runId}/approved.json`;
