import { describe, expect, it } from 'vitest';
import { diffFields } from '../../lambdas/core/plan/diff';
import { planRecord } from '../support/factories';
import { coupaUser, hrRecord } from '../support/factories';

describe('planRecord', () => {
  it('creates an unknown login as an active user with the HR fields', () => {
    const plan = planRecord(hrRecord({ login: 'new.one' }), undefined);
    expect(plan).toEqual({
      kind: 'create',
      fields: { active: true, email: 'new.one@example.com', firstname: 'Jane', lastname: 'Doe' },
      changedFields: ['active', 'email', 'firstname', 'lastname'],
    });
  });

  it('sends only the fields that differ, comparing e-mail case-insensitively', () => {
    const existing = coupaUser({ fields: { email: 'JANE.DOE@example.com', firstname: 'Jane', lastname: 'Old', active: true, 'purchasing-user': false } });
    const record = hrRecord({ fields: { email: 'jane.doe@example.com', firstname: 'Jane', lastname: 'New', 'purchasing-user': true } });
    expect(planRecord(record, existing)).toEqual({
      kind: 'update', id: '42', changes: { lastname: 'New', 'purchasing-user': true }, changedFields: ['lastname', 'purchasing-user'],
    });
  });

  it('is unchanged when every HR field already matches (absent HR fields are not owned)', () => {
    const existing = coupaUser({ fields: { email: 'jane.doe@example.com', firstname: 'Jane', lastname: 'Doe', active: true, 'employee-number': 'E1' } });
    expect(planRecord(hrRecord(), existing)).toEqual({ kind: 'unchanged' });
  });

  it('treats a missing Coupa licence flag as false', () => {
    const existing = coupaUser();
    expect(planRecord(hrRecord({ fields: { 'expense-user': false } }), existing)).toEqual({ kind: 'unchanged' });
    expect(planRecord(hrRecord({ fields: { 'expense-user': true } }), existing)).toMatchObject({ kind: 'update', changedFields: ['expense-user'] });
  });

  it('deactivates with active=false alone, as the playbook does', () => {
    const plan = planRecord(hrRecord({ action: 'deactivate', fields: { lastname: 'Renamed' } }), coupaUser());
    expect(plan).toEqual({ kind: 'deactivate', id: '42', changes: { active: false }, changedFields: ['active'] });
  });

  it('deactivates a desired-state row with active=false, and leaves an inactive user alone', () => {
    expect(planRecord(hrRecord({ fields: { active: false } }), coupaUser())).toMatchObject({ kind: 'deactivate', changes: { active: false } });
    const inactive = coupaUser({ fields: { active: false } });
    expect(planRecord(hrRecord({ action: 'deactivate', fields: {} }), inactive)).toEqual({ kind: 'unchanged' });
  });

  it('reactivates an inactive Coupa user who is active in HR instead of creating a duplicate', () => {
    const inactive = coupaUser({ fields: { email: 'jane.doe@example.com', firstname: 'Jane', lastname: 'Doe', active: false } });
    expect(planRecord(hrRecord(), inactive)).toEqual({ kind: 'reactivate', id: '42', changes: { active: true }, changedFields: ['active'] });
  });

  it('rejects update/deactivate of unknown logins and creates without required fields', () => {
    expect(planRecord(hrRecord({ action: 'update' }), undefined)).toEqual({ kind: 'reject', errors: ['no Coupa user with login "jane.doe" to update'] });
    expect(planRecord(hrRecord({ action: 'deactivate' }), undefined)).toMatchObject({ kind: 'reject' });
    expect(planRecord(hrRecord({ fields: { email: 'x@example.com' } }), undefined)).toEqual({
      kind: 'reject', errors: ['"jane.doe" is not in Coupa and cannot be created without "firstname", "lastname"'],
    });
  });

  it('does not create a user who is inactive in HR', () => {
    expect(planRecord(hrRecord({ fields: { active: false } }), undefined)).toEqual({ kind: 'unchanged' });
  });

  it('treats action=create of a known login as the desired state (replaying a file is harmless)', () => {
    expect(planRecord(hrRecord({ action: 'create' }), coupaUser())).toEqual({ kind: 'unchanged' });
  });

  it('never changes a protected login', () => {
    const plan = planRecord(hrRecord({ login: 'coupa.integration', action: 'deactivate' }), coupaUser({ login: 'coupa.integration' }), { protectedLogins: ['coupa.integration'] });
    expect(plan).toMatchObject({ kind: 'reject', errors: [expect.stringContaining('protected login')] });
  });
});

describe('diffFields', () => {
  it('compares manager logins and trims Coupa whitespace', () => {
    expect(diffFields({ manager: 'boss', firstname: 'Ann' }, { manager: 'boss', firstname: 'Ann ' })).toEqual({});
    expect(diffFields({ manager: 'new.boss' }, { manager: 'boss' })).toEqual({ manager: 'new.boss' });
    expect(diffFields({ 'employee-number': 'E1' }, { 'employee-number': null })).toEqual({ 'employee-number': 'E1' });
  });
});

describe('planRecord for leavers', () => {
  it('deactivates with active=false alone even when other fields differ, so they cannot fail the deactivation', () => {
    const record = hrRecord({ fields: { email: 'taken@example.com', lastname: 'Renamed', active: false } });
    expect(planRecord(record, coupaUser())).toEqual({ kind: 'deactivate', id: '42', changes: { active: false }, changedFields: ['active'] });
  });

  it('compares protected logins case-insensitively', () => {
    const plan = planRecord(hrRecord({ login: 'Coupa.Integration', action: 'deactivate' }), coupaUser({ login: 'Coupa.Integration' }), { protectedLogins: ['coupa.integration'] });
    expect(plan).toMatchObject({ kind: 'reject' });
  });
});
