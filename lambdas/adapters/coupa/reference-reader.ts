/**
 * ReferenceReader for the Coupa Core API: each reference list read whole, 50 a page in id order,
 * trimmed with `fields` to the natural key (and an account's chart), on the shared transport (one
 * rate budget). Paths: emulator/README.md records which Coupa documents and which are chosen.
 */
import { CoupaAuthError, CoupaRedirectError } from '../../core/coupa-errors';
import type { ReferenceKind, ReferenceReader, ReferenceRecord } from '../../core/ports';
import type { CoupaHttp } from './http';
import { listPages } from './lookup';

const CORE_PAGE_SIZE = 50;

interface ListSpec {
  path: string;
  /** Coupa's `fields` filter: only what the check needs. */
  fields: unknown[];
  /** The record's natural key (and chart) out of one item. */
  record: (item: Record<string, unknown>) => ReferenceRecord | undefined;
}

const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' ? value : undefined);
const named = (item: Record<string, unknown>) => (text(item.name) ? { key: text(item.name)! } : undefined);
/** Records Coupa marks inactive cannot be assigned: they count as absent. */
const active = (item: Record<string, unknown>) => item.active !== false && item.active !== 'false';

export const REFERENCE_LIST_SPECS: Readonly<Record<ReferenceKind, ListSpec>> = {
  departments: { path: '/api/departments', fields: ['id', 'name', 'active'], record: named },
  'account-types': { path: '/api/account_types', fields: ['id', 'name', 'active'], record: named },
  accounts: {
    path: '/api/accounts',
    fields: ['id', 'code', 'active', { account_type: ['name'] }],
    record: (item) => {
      const code = text(item.code);
      const chart = item['account-type'] as Record<string, unknown> | undefined;
      return code ? { key: code, ...(text(chart?.name) ? { within: text(chart?.name) } : {}) } : undefined;
    },
  },
  addresses: { path: '/api/addresses', fields: ['id', 'location_code', 'active'], record: (item) => (text(item['location-code']) ? { key: text(item['location-code'])! } : undefined) },
  'legal-entities': { path: '/api/legal_entities', fields: ['id', 'name', 'active'], record: named },
  currencies: {
    path: '/api/currencies',
    fields: ['id', 'code', 'enabled_flag'],
    record: (item) => (text(item.code) && item['enabled-flag'] !== false && item['enabled-flag'] !== 'false' ? { key: text(item.code)! } : undefined),
  },
  roles: { path: '/api/roles', fields: ['id', 'name'], record: named },
  'content-groups': { path: '/api/business_groups', fields: ['id', 'name'], record: named },
  'user-groups': { path: '/api/user_groups', fields: ['id', 'name', 'active'], record: named },
  'approval-groups': { path: '/api/approval_groups', fields: ['id', 'name', 'active'], record: named },
  'account-groups': { path: '/api/account_groups', fields: ['id', 'name', 'active'], record: named },
};

/** Items out of a list body: JSON `[…]`, or XML `{ departments: […] }` (one child: an object). */
export function itemsOf(body: unknown): Record<string, unknown>[] {
  if (Array.isArray(body)) return body as Record<string, unknown>[];
  if (body === null || typeof body !== 'object') return [];
  const [only] = Object.values(body as Record<string, unknown>);
  if (Array.isArray(only)) return only as Record<string, unknown>[];
  return only && typeof only === 'object' ? [only as Record<string, unknown>] : [];
}

export class CoreReferenceReader implements ReferenceReader {
  constructor(private readonly http: CoupaHttp) {}

  async readList(kind: ReferenceKind): Promise<ReferenceRecord[]> {
    const spec = REFERENCE_LIST_SPECS[kind];
    const records: ReferenceRecord[] = [];
    try {
      for await (const page of listPages<Record<string, unknown>>({
        http: this.http,
        path: spec.path,
        query: this.http.config.useFieldsFilter !== false ? { fields: JSON.stringify(spec.fields) } : {},
        pageSize: CORE_PAGE_SIZE,
        maxInFlight: this.http.config.maxInFlight ?? 1,
        parsePage: itemsOf,
      })) {
        for (const item of page) {
          const record = active(item) ? spec.record(item) : undefined;
          if (record) records.push(record);
        }
      }
    } catch (error) {
      if (error instanceof CoupaAuthError && !(error instanceof CoupaRedirectError)) {
        throw new CoupaAuthError(
          `pre-flight could not read ${kind} (GET ${spec.path}): ${error.message}. Give the OAuth client the core.common.read scope ` +
            '(coupa.scopes), or set preflight.enabled false to write without checking references',
          error.status,
        );
      }
      throw error;
    }
    return records;
  }
}
