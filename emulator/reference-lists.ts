/**
 * The reference list endpoints a user's elements point at, each `GET /api/<path>` (index, or
 * `/:id` show) in XML or JSON, paged (50), filterable with Coupa's operators and trimmed with
 * `fields`, like /api/users. Read only: the emulator's records are its catalogue (store.ts,
 * references.ts), plus whatever `RunningEmulator.addReference` adds.
 *
 * Paths: `/api/departments`, `/api/currencies`, `/api/roles` and `/api/business_groups` (content
 * groups) are the paths Coupa's scope page lists under `core.common.read`; `/api/user_groups` is in
 * the R39 Swagger. Coupa's public docs are silent on the others, so these are choices (emulator/README.md):
 * `/api/account_types` (charts of accounts), `/api/accounts`, `/api/addresses`, `/api/legal_entities`,
 * `/api/approval_groups`, `/api/account_groups`, all under `core.common.read`.
 */
import type { ReferenceListKind } from './store';

export interface ReferenceList {
  kind: ReferenceListKind;
  /** The XML root of the list (`<departments type="array">`); its item is the singular. */
  root: string;
  /** The model name in a 404 of a show ("Couldn't find Department with 'id'=9"). */
  model: string;
}

export const REFERENCE_LISTS: Readonly<Record<string, ReferenceList>> = {
  departments: { kind: 'departments', root: 'departments', model: 'Department' },
  account_types: { kind: 'account-types', root: 'account-types', model: 'AccountType' },
  accounts: { kind: 'accounts', root: 'accounts', model: 'Account' },
  addresses: { kind: 'addresses', root: 'addresses', model: 'Address' },
  legal_entities: { kind: 'legal-entities', root: 'legal-entities', model: 'LegalEntity' },
  currencies: { kind: 'currencies', root: 'currencies', model: 'Currency' },
  roles: { kind: 'roles', root: 'roles', model: 'Role' },
  business_groups: { kind: 'content-groups', root: 'business-groups', model: 'BusinessGroup' },
  user_groups: { kind: 'user-groups', root: 'user-groups', model: 'UserGroup' },
  approval_groups: { kind: 'approval-groups', root: 'approval-groups', model: 'ApprovalGroup' },
  account_groups: { kind: 'account-groups', root: 'account-groups', model: 'AccountGroup' },
};

/** The scope a reference list needs (Coupa's scope page: roles, business groups, departments, currencies). */
export const REFERENCE_SCOPE = 'core.common.read';

/** Every element name a query on `records` may use: the keys the records have. */
export function attributesOf(records: Record<string, unknown>[]): ReadonlySet<string> {
  const names = new Set<string>(['id', 'name', 'active']);
  for (const record of records) for (const key of Object.keys(record)) names.add(key);
  return names;
}
