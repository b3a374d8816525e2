/**
 * Report values in words, the same in report.csv and report.html: a field change reads
 * `email: jane@old.example → jane@new.example`, whatever the value's type.
 */
import type { FieldChange, FieldValue } from '../model';

/** `undefined`: Coupa had no value (a new user) or HR does not set it; `null`: cleared. */
export function describeValue(value: FieldValue | undefined): string {
  if (value === undefined) return '(not set)';
  if (value === null || value === '') return '(empty)';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(', ');
  return JSON.stringify(value);
}

export function describeChange(change: FieldChange): string {
  return `${change.field}: ${describeValue(change.before)} → ${describeValue(change.after)}`;
}

/** Errors first, then warnings marked as such: why a line was not applied as asked, or only in part. */
export function describeProblems(line: { errors: string[]; warnings: string[] }): string[] {
  return [...line.errors, ...line.warnings.map((w) => `warning: ${w}`)];
}
