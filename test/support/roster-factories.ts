/**
 * Rosters and workforces for reconcile-then-apply tests: one person described once, as an HR row
 * (`person`), as a Coupa user for the core fakes (`employee`) and as an emulator seed user
 * (`seedEmployee`), so "the file lists exactly what Coupa holds" is true by construction and every
 * difference a test makes is the one it means.
 */
import { writeFile } from 'node:fs/promises';
import type { SeedUser } from '../../emulator/server';
import type { CoupaUser, UserFields } from '../../lambdas/core/model';

/** Long before any test clock: seeded users last changed then, so a refresh never re-reads them. */
export const LONG_AGO = '2020-01-01T00:00:00Z';

export type HrRow = Record<string, string>;

/** An HR row for `login`: e-mail `<login>@example.com`, Pat Staff; `extra` adds or overrides cells. */
export function person(login: string, extra: HrRow = {}): HrRow {
  return { login, email: `${login}@example.com`, firstname: 'Pat', lastname: 'Staff', ...extra };
}

/** The Coupa user `person(login)` describes, active, last updated LONG_AGO. */
export function employee(login: string, id: number, overrides: Partial<CoupaUser> & { fields?: UserFields } = {}): CoupaUser {
  const { fields, ...rest } = overrides;
  return {
    id: String(id),
    login,
    updatedAt: LONG_AGO,
    ...rest,
    fields: { email: `${login}@example.com`, firstname: 'Pat', lastname: 'Staff', active: true, ...fields },
  };
}

/** The emulator seed of `person(login)`, active, last updated LONG_AGO. */
export function seedEmployee(login: string, id: number, extra: Partial<SeedUser> = {}): SeedUser {
  return { id, login, email: `${login}@example.com`, firstname: 'Pat', lastname: 'Staff', active: true, 'updated-at': LONG_AGO, ...extra };
}

/** `count` logins `<prefix>.001` … in order. */
export function logins(prefix: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}.${String(from + i).padStart(3, '0')}`);
}

/** CSV text of `rows`; the header is every column any row uses, in first-seen order (missing cells empty). */
export function hrCsv(rows: HrRow[], header?: string[]): string {
  const columns = header ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c] ?? '')).join(','))].join('\n') + '\n';
}

export async function writeHrFile(path: string, rows: HrRow[], header?: string[]): Promise<string> {
  await writeFile(path, hrCsv(rows, header));
  return path;
}
