/** A settled change → the outcome of each HR row it folds (or of the absentee it deactivates). */
import type { ChangeKind, Outcome, PlannedChange, RowOutcome } from '../model';

export const OUTCOME_OF: Record<ChangeKind, Outcome> = {
  create: 'created',
  update: 'updated',
  deactivate: 'deactivated',
  reactivate: 'reactivated',
};

export interface ChangeResult {
  change: PlannedChange;
  outcome: Outcome;
  errors?: string[];
  warnings?: string[];
}

/**
 * One outcome per HR row of the change; an absentee (no row) becomes one entry with row 0 and
 * `absent`, which the report lists under absentees.
 */
export function rowOutcomesOf({ change, outcome, errors, warnings }: ChangeResult): RowOutcome[] {
  const base = {
    login: change.login,
    outcome,
    changedFields: change.changes.map((c) => c.field),
    changes: change.changes,
    ...(errors?.length ? { errors } : {}),
    ...(warnings?.length || change.warnings?.length ? { warnings: [...(change.warnings ?? []), ...(warnings ?? [])] } : {}),
  };
  if (change.rows.length === 0) return [{ row: 0, absent: true, ...base }];
  return change.rows.map((row) => ({ row, ...base }));
}

export function resultOf(change: PlannedChange, outcome: Outcome, errors?: string[], warnings?: string[]): ChangeResult {
  return { change, outcome, ...(errors ? { errors } : {}), ...(warnings ? { warnings } : {}) };
}
