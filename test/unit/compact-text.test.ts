import { describe, expect, it } from 'vitest';
import { flatText, packFields, unpackFields } from '../../lambdas/core/compact-text';
import { decodeUser, encodeUser, UserTable } from '../../lambdas/core/plan/coupa-state';
import type { CoupaUser, UserFields } from '../../lambdas/core/model';

describe('compact texts of the planner', () => {
  it('packs fields by position and unpacks them in the same order, nulls kept, undefined left out', () => {
    // Prepare
    const fields = { lastname: 'Doe', email: null, active: false, roles: ['Buyer'], 'custom-fields': { cc: '42' }, manager: undefined, 'not-a-sync-field': 'x' } as unknown as UserFields;
    // Act
    const back = unpackFields(JSON.parse(JSON.stringify(packFields(fields))) as unknown[]);
    // Assess
    expect(back).toEqual({ lastname: 'Doe', email: null, active: false, roles: ['Buyer'], 'custom-fields': { cc: '42' }, 'not-a-sync-field': 'x' });
    expect(Object.keys(back)).toEqual(['lastname', 'email', 'active', 'roles', 'custom-fields', 'not-a-sync-field']);
  });

  it('round-trips a Coupa user, with and without apiUser and updatedAt, in less text than its JSON', () => {
    // Prepare
    const full: CoupaUser = { id: '12', login: 'Ann', fields: { email: 'ann@example.com', 'purchasing-user': true }, apiUser: false, updatedAt: '2026-01-01T00:00:00Z' };
    const bare: CoupaUser = { id: '13', login: 'bob', fields: {} };
    // Act / Assess
    expect(decodeUser(full.login, encodeUser(full))).toEqual(full);
    expect(decodeUser(bare.login, encodeUser(bare))).toStrictEqual(bare);
    expect(encodeUser(full).length).toBeLessThan(JSON.stringify(full).length);
  });

  it('keeps the snapshot lines in the users\' own JSON shape', () => {
    // Prepare
    const user: CoupaUser = { id: '12', login: 'ann', fields: { email: 'ann@example.com' }, updatedAt: '2026-01-01T00:00:00Z' };
    const table = new UserTable(true, [user]);
    // Act / Assess
    expect([...table.texts()].map((t) => JSON.parse(t) as unknown)).toEqual([user]);
  });

  it('finds logins that differ only in case, after a remove too', () => {
    // Prepare
    const table = new UserTable(true, [{ id: '1', login: 'Ann', fields: {} }, { id: '2', login: 'ann', fields: {} }]);
    // Act / Assess
    expect(table.sameLoginOtherCase('ann')?.id).toBe('1');
    table.remove('Ann');
    expect(table.sameLoginOtherCase('ann')).toBeUndefined();
    expect(table.hasLoginIgnoringCase('ANN')).toBe(true);
  });

  it('flattens a text without changing it', () => {
    const text = JSON.stringify({ name: 'Zoë 🙂', n: 'x'.repeat(100) });
    expect(flatText(text)).toBe(text);
  });
});
