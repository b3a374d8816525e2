/**
 * Pre-flight (plan/preflight.ts, plan/reference-lists.ts) through runSync over the in-memory harness:
 * every reference kind, the column named, the kept copy's age, the refresh once a run, skip-field,
 * and e-mail collisions (with Coupa's users and between rows of the file, incl. the pair rule).
 */
import { describe, expect, it } from 'vitest';
import type { ReferenceKind, ReferenceListStore, ReferenceReader, ReferenceRecord } from '../../lambdas/core/ports';
import { runSync } from '../../lambdas/core/run/run-sync';
import { csvStream } from '../support/factories';
import { harness, runCsv, type Harness } from '../support/reconcile-harness';
import { employee, hrCsv, person } from '../support/roster-factories';

const HOUR = 3_600_000;

/** Coupa's reference lists as a fake: what each list holds, and every read. */
class FakeReferences implements ReferenceReader {
  readonly reads: ReferenceKind[] = [];
  readonly lists: Record<ReferenceKind, ReferenceRecord[]> = {
    departments: [{ key: 'Finance' }, { key: 'Sales' }],
    'account-types': [{ key: 'US Chart' }, { key: 'EU Chart' }],
    accounts: [{ key: '100-2000', within: 'US Chart' }, { key: 'EU-100', within: 'EU Chart' }],
    addresses: [{ key: 'HQ' }],
    'legal-entities': [{ key: 'Acme Inc.' }],
    currencies: [{ key: 'USD' }, { key: 'EUR' }],
    roles: [{ key: 'User' }, { key: 'Buyer' }],
    'content-groups': [{ key: 'Everyone' }],
    'user-groups': [{ key: 'Finance Team' }],
    'approval-groups': [{ key: 'Finance Approvers' }],
    'account-groups': [{ key: 'US Accounts' }],
  };

  async readList(kind: ReferenceKind): Promise<ReferenceRecord[]> {
    this.reads.push(kind);
    return structuredClone(this.lists[kind]);
  }
}

class MemoryListStore implements ReferenceListStore {
  readonly files = new Map<ReferenceKind, string[]>();
  async read(kind: ReferenceKind): Promise<AsyncIterable<string> | undefined> {
    const lines = this.files.get(kind);
    return lines && (async function* () {
      yield* lines;
    })();
  }
  async write(kind: ReferenceKind, lines: Iterable<string>): Promise<void> {
    this.files.set(kind, [...lines]);
  }
}

const OWNED = { coupa: { ownedCollections: ['roles', 'content-groups', 'user-groups', 'approval-groups', 'account-groups'] } };

function withReferences(h: Harness, kept = new MemoryListStore()): { reader: FakeReferences; kept: MemoryListStore } {
  const reader = new FakeReferences();
  h.deps.references = { reader, kept };
  return { reader, kept };
}

describe('pre-flight: references', () => {
  it.each([
    ['department', 'Legal', 'a department'],
    ['default-account-type', 'UK Chart', 'a chart of accounts'],
    ['default-address', 'PAR-1', 'an address location code'],
    ['legal-entity', 'Acme SARL', 'a legal entity'],
    ['default-currency', 'NOK', 'a currency'],
    ['roles', 'Buyr', 'a role'],
    ['content-groups', 'APAC', 'a content group'],
    ['user-groups', 'Night Shift', 'a user group'],
    ['approval-groups', 'VP Approvers', 'an approval group'],
    ['account-groups', 'UK Accounts', 'an account group'],
  ])('rejects a row whose %s "%s" Coupa does not have, naming field, column and value; sends nothing for it', async (field, value, noun) => {
    // Prepare
    const h = harness([], OWNED);
    withReferences(h);
    // Act
    const report = await runCsv(h, hrCsv([person('new.one', { [field]: value }), person('new.two')]));
    // Assess
    expect(report.rows[0]).toEqual({
      row: 1, login: 'new.one', outcome: 'rejected',
      errors: [`row 1: ${field.replace(/-/g, ' ')} "${value}" (column "${field}") is not ${noun} in Coupa: add it in Coupa or correct the HR file; nothing of this row was sent`],
    });
    expect(report.rows[1]).toMatchObject({ row: 2, login: 'new.two', outcome: 'created' });
    expect(h.directory.writes).toEqual(['create new.two']);
  });

  it('passes known values whatever their letter case, and names the mapped column', async () => {
    // Prepare
    const h = harness([], { hr: { fields: { login: { from: 'Login' }, email: { from: 'Mail' }, firstname: { from: 'First' }, lastname: { from: 'Last' }, department: { from: 'Dept' } } } });
    withReferences(h);
    // Act
    const csv = 'Login,Mail,First,Last,Dept\nok.one,ok.one@example.com,A,B,finance\nbad.one,bad.one@example.com,A,B,Legal\n';
    const report = await runSync({ run: { runId: 'mapped', file: 'hr.csv' }, input: csvStream(csv), read: { hr: h.config.hr } }, h.deps);
    // Assess
    expect(report.rows.map((r) => r.outcome)).toEqual(['created', 'rejected']);
    expect(report.rows[1].errors).toEqual(['row 2: department "Legal" (column "Dept") is not a department in Coupa: add it in Coupa or correct the HR file; nothing of this row was sent']);
  });

  it('checks an account within the chart of accounts sent with it, else the one the user has', async () => {
    // Prepare
    const h = harness([employee('eu.user', 1, { fields: { 'default-account-type': 'EU Chart' } })]);
    withReferences(h);
    // Act
    const report = await runCsv(h, hrCsv([
      person('us.new', { 'default-account-type': 'US Chart', 'default-account': '100-2000' }),
      person('wrong.chart', { 'default-account-type': 'US Chart', 'default-account': 'EU-100' }),
      person('eu.user', { 'default-account': 'EU-100' }),
    ]));
    // Assess
    expect(report.rows.map((r) => r.outcome)).toEqual(['created', 'rejected', 'updated']);
    expect(report.rows[1].errors?.[0]).toContain('default account "EU-100" (column "default-account") is not an account of chart of accounts "US Chart" in Coupa');
  });

  it('reads each list once a run, only the lists the plan needs, and keeps them for the next run', async () => {
    // Prepare
    const h = harness([]);
    const { reader, kept } = withReferences(h);
    const rows = Array.from({ length: 30 }, (_, i) => person(`user.${i}`, { department: i % 2 ? 'Finance' : 'Sales' }));
    // Act
    await runCsv(h, hrCsv(rows));
    // Assess
    expect(reader.reads).toEqual(['departments']);
    expect(kept.files.get('departments')?.length).toBe(3); // header + 2 departments
    expect(JSON.parse(kept.files.get('departments')![0])).toMatchObject({ references: 1, kind: 'departments', readAt: h.clock.now().toISOString() });
  });

  it('uses a kept copy younger than preflight.maxAgeHours, and reads the list again once it is older', async () => {
    // Prepare
    const h = harness([], { preflight: { maxAgeHours: 24 } });
    const { reader } = withReferences(h);
    await runCsv(h, hrCsv([person('first.one', { department: 'Finance' })]));
    // Act: 23 h later, the kept copy serves; 25 h later, it is read again
    h.clock.advance(23 * HOUR);
    await runCsv(h, hrCsv([person('second.one', { department: 'Sales' })]));
    const afterYoung = reader.reads.length;
    h.clock.advance(2 * HOUR);
    await runCsv(h, hrCsv([person('third.one', { department: 'Sales' })]));
    // Assess
    expect(afterYoung).toBe(1);
    expect(reader.reads).toEqual(['departments', 'departments']);
  });

  it('reads a kept list again, once a run, when a value is not in it, then judges the value', async () => {
    // Prepare: the kept copy has no "Legal"; Coupa gets it after that
    const h = harness([]);
    const { reader } = withReferences(h);
    await runCsv(h, hrCsv([person('first.one', { department: 'Finance' })]));
    reader.lists.departments.push({ key: 'Legal' });
    // Act
    const report = await runCsv(h, hrCsv([
      person('lawyer.one', { department: 'Legal' }),
      person('typo.one', { department: 'Legall' }),
      person('typo.two', { department: 'Marketing' }),
    ]));
    // Assess: one read for the three misses (the second and third are believed)
    expect(report.rows.map((r) => r.outcome)).toEqual(['created', 'rejected', 'rejected']);
    expect(reader.reads).toEqual(['departments', 'departments']);
  });

  it('with unknownReference "skip-field" sends the row without that field and warns', async () => {
    // Prepare
    const h = harness([employee('moved.one', 1, { fields: { department: 'Finance' } })], { preflight: { unknownReference: 'skip-field' } });
    withReferences(h);
    // Act
    const report = await runCsv(h, hrCsv([
      person('new.one', { department: 'Legal', 'legal-entity': 'Acme Inc.' }),
      person('moved.one', { department: 'Legal' }),
    ]));
    // Assess
    const warning = 'department "Legal" (column "department") is not a department in Coupa: sent without department (preflight.unknownReference "skip-field"); add it in Coupa or correct the HR file';
    expect(report.rows[0]).toMatchObject({ outcome: 'created', warnings: [warning] });
    expect(report.rows[0].changedFields).not.toContain('department');
    expect(report.rows[1]).toMatchObject({ outcome: 'unchanged', warnings: [warning] });
    expect(h.directory.user('new.one')?.fields).not.toHaveProperty('department');
    expect(h.directory.writes).toEqual(['create new.one']);
  });

  it('checks nothing and reads nothing with preflight.enabled false', async () => {
    // Prepare
    const h = harness([employee('taken', 1)], { preflight: { enabled: false } });
    const { reader } = withReferences(h);
    // Act
    const report = await runCsv(h, hrCsv([person('new.one', { department: 'Legal', email: 'taken@example.com' })]));
    // Assess: the fake Coupa takes it; a real one would refuse at apply
    expect(report.rows[0].outcome).toBe('created');
    expect(reader.reads).toEqual([]);
    expect(h.directory.calls.filter((c) => c.startsWith('findBy email'))).toEqual([]);
  });

  it('keeps the old manager of a report whose new manager was rejected', async () => {
    // Prepare
    const h = harness([employee('report.one', 2)]);
    withReferences(h);
    // Act
    const report = await runCsv(h, hrCsv([person('new.boss', { department: 'Legal' }), person('report.one', { manager: 'new.boss', department: 'Sales' })]));
    // Assess
    expect(report.rows[0].outcome).toBe('rejected');
    expect(report.rows[1]).toMatchObject({ outcome: 'updated', changedFields: ['department'], warnings: ['manager "new.boss" was rejected in pre-flight: the manager was left unchanged'] });
    expect(h.directory.writes).toEqual(['update report.one department']);
  });
});

describe('pre-flight: e-mail collisions', () => {
  it('rejects a create or update whose e-mail another Coupa user holds (ignoring case), naming that login', async () => {
    // Prepare
    const h = harness([employee('holder', 1), employee('mover', 2)]);
    // Act
    const report = await runCsv(h, hrCsv([person('new.one', { email: 'HOLDER@example.com' }), person('mover', { email: 'holder@example.com' }), person('fine.one')]));
    // Assess
    const error = (row: number) =>
      `row ${row}: e-mail (column "email") belongs to Coupa user "holder" already: Coupa allows one user per e-mail (ignoring case); correct the HR file, or change that user's e-mail in Coupa first; nothing of this row was sent`;
    expect(report.rows.slice(0, 2)).toEqual([
      { row: 1, login: 'new.one', outcome: 'rejected', errors: [error(1)] },
      { row: 2, login: 'mover', outcome: 'rejected', errors: [error(2)] },
    ]);
    expect(h.directory.writes).toEqual(['create fine.one']);
    // One bulk look-up of the e-mails the plan sends (no snapshot)
    expect(h.directory.calls.filter((c) => c.startsWith('findBy email'))).toHaveLength(1);
  });

  it('rejects both rows that send one e-mail for different logins, each naming the other', async () => {
    // Prepare
    const h = harness([]);
    // Act
    const report = await runCsv(h, hrCsv([person('ana.one', { email: 'ana@example.com' }), person('ana.two', { email: 'Ana@example.com' })]));
    // Assess
    const error = (row: number, other: string, otherRow: number) =>
      `row ${row}: e-mail (column "email") is also sent for login "${other}" (row ${otherRow}) in this file: Coupa allows one user per e-mail; correct one of the rows; nothing of this row was sent`;
    expect(report.rows.map((r) => r.errors)).toEqual([[error(1, 'ana.two', 2)], [error(2, 'ana.one', 1)]]);
    expect(h.directory.writes).toEqual([]);
  });

  it('of two rows claiming one e-mail, rejects only the other when one login already holds it in Coupa', async () => {
    // Prepare: ana holds ANA@… in Coupa (her row, differing only in case, is no change); a new row claims it too
    const h = harness([employee('ana', 1, { fields: { email: 'ANA@example.com' } })]);
    // Act
    const report = await runCsv(h, hrCsv([person('ana', { email: 'ana@example.com' }), person('ana.copy', { email: 'ana@example.com' })]));
    // Assess
    expect(report.rows[0]).toMatchObject({ login: 'ana', outcome: 'unchanged' });
    expect(report.rows[1]).toMatchObject({ login: 'ana.copy', outcome: 'rejected' });
    expect(report.rows[1].errors?.[0]).toContain('belongs to Coupa user "ana" already');
  });

  it('takes the holders from the snapshot when the plan has one, and never flags a user renamed onto its own e-mail', async () => {
    // Prepare: a full roster reads every user (kept as the snapshot); old.login is renamed by its employee number, keeping its e-mail
    const h = harness([employee('holder', 1), employee('old.login', 2, { fields: { 'employee-number': 'E2' } })], { roster: { mode: 'full' }, coupa: { matchFallback: 'employee-number' } });
    // Act
    const report = await runCsv(h, hrCsv([person('holder'), person('renamed', { email: 'OLD.LOGIN@example.com', 'employee-number': 'E2' }), person('new.one', { email: 'holder@example.com' })]));
    // Assess
    expect(report.rows.map((r) => [r.login, r.outcome])).toEqual([['holder', 'unchanged'], ['renamed', 'updated'], ['new.one', 'rejected']]);
    expect(h.directory.calls.filter((c) => c.startsWith('findBy email'))).toEqual([]);
  });
});
