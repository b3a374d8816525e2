/**
 * The records a Coupa user refers to, which must already exist ("They will not be created through the
 * users integration"): departments, charts of accounts and their accounts, ship-to addresses, legal
 * entities, named approval limits. Names resolve ignoring case to the catalogue's spelling; anything
 * unknown is "<Element> is invalid", as Coupa words a bad reference.
 *
 * Input shapes (JSON, or the same nested in XML): a named reference `{"name": …}`, an account
 * `{"code": …, "account-type": {"name": …}}`, an address `{"location-code": …}`, a country
 * `{"code": …}`; a plain string is taken as that key. Approval limits follow the CSV template's form,
 * since Coupa documents no API shape: "1000.00 USD" or a limit's name (objects `{"amount", "currency":
 * {"code"}}` and `{"name"}` are taken too). Stored as natural keys; shown as objects with ids.
 */
export type Json = Record<string, unknown>;

export interface ReferenceCatalogue {
  departments?: string[];
  /** Chart of accounts name → its account codes. */
  'charts-of-accounts'?: Record<string, string[]>;
  /** Location codes of ship-to addresses. */
  addresses?: string[];
  'legal-entities'?: string[];
  /** Named approval limits. */
  'approval-limits'?: string[];
  /** Currency codes the instance has enabled (a user's default currency must be one). */
  currencies?: string[];
}

export const DEFAULT_REFERENCES: Required<ReferenceCatalogue> = {
  departments: ['Finance', 'Sales', 'Engineering', 'Operations', 'Human Resources'],
  'charts-of-accounts': { 'US Chart': ['100-2000', '100-3000', '200-1000'], 'EU Chart': ['EU-100', 'EU-200', 'EU-300'] },
  addresses: ['HQ', 'NYC-1', 'BER-1', 'LON-1'],
  'legal-entities': ['Acme Inc.', 'Acme GmbH', 'Acme Ltd'],
  'approval-limits': ['Director', 'Manager', 'VP'],
  currencies: ['USD', 'EUR', 'GBP', 'CAD', 'CHF', 'JPY', 'AUD', 'SEK', 'INR'],
};

/** Reference elements of a user and the catalogue list each resolves against. */
export const REFERENCE_ELEMENTS = [
  'department', 'default-account-type', 'default-account', 'default-address', 'legal-entity', 'country-of-residence',
] as const;
export const APPROVAL_LIMIT_ELEMENTS = [
  'requisition-approval-limit', 'expense-approval-limit', 'invoice-approval-limit', 'contract-approval-limit',
  'requisition-self-approval-limit', 'expense-self-approval-limit', 'invoice-self-approval-limit', 'approval-limit', 'self-approval-limit',
] as const;

type Resolved = { ok: true; value: unknown } | { ok: false };

const lower = (v: unknown) => String(v ?? '').toLowerCase();
const keyOf = (raw: unknown, key: string): unknown => (raw !== null && typeof raw === 'object' ? (raw as Json)[key] : raw);

export class References {
  private readonly ids = new Map<string, number>();

  private readonly catalogue: Required<ReferenceCatalogue>;

  constructor(catalogue: Required<ReferenceCatalogue>) {
    // A copy: references added at run time (addDepartment…) must not leak into DEFAULT_REFERENCES.
    this.catalogue = structuredClone(catalogue);
  }

  /** Adds a record at run time, as an admin would in Coupa's setup pages (tests: a department that appears later). */
  add(kind: 'departments' | 'addresses' | 'legal-entities' | 'currencies', name: string): void {
    if (!this.catalogue[kind].some((k) => lower(k) === lower(name))) this.catalogue[kind].push(name);
  }

  /** A currency code the instance has (its catalogue spelling), or undefined. */
  currency(code: string): string | undefined {
    return this.catalogue.currencies.find((c) => lower(c) === lower(code));
  }

  /**
   * The list endpoints' records (`GET /api/departments` …), each with its id as the user's
   * rendering shows it, so a reference read from a list and one read from a user agree.
   */
  records(kind: 'departments' | 'account-types' | 'accounts' | 'addresses' | 'legal-entities' | 'currencies'): Json[] {
    const c = this.catalogue;
    switch (kind) {
      case 'departments':
        return c.departments.map((name) => ({ id: this.idOf('department', name), name, active: true }));
      case 'legal-entities':
        return c['legal-entities'].map((name) => ({ id: this.idOf('legal-entity', name), name, active: true }));
      case 'account-types':
        return Object.keys(c['charts-of-accounts']).map((name) => ({ id: this.idOf('default-account-type', name), name, active: true }));
      case 'accounts':
        return Object.entries(c['charts-of-accounts']).flatMap(([chart, codes]) => codes.map((code) => ({
          id: this.idOf('default-account', code), code, name: code, active: true,
          'account-type': { id: this.idOf('default-account-type', chart), name: chart },
        })));
      case 'addresses':
        return c.addresses.map((code) => ({ id: this.idOf('default-address', code), 'location-code': code, name: code, active: true }));
      case 'currencies':
        return c.currencies.map((code) => ({ id: this.idOf('currency', code), code, 'enabled-flag': true }));
    }
  }

  /** `raw` for `element` as stored (a natural key, or an approval limit object), or not resolvable. */
  resolve(element: string, raw: unknown, data: Json): Resolved {
    if (raw === null || raw === '') return { ok: true, value: null };
    switch (element) {
      case 'department':
        return this.named(this.catalogue.departments, keyOf(raw, 'name'));
      case 'legal-entity':
        return this.named(this.catalogue['legal-entities'], keyOf(raw, 'name'));
      case 'default-account-type':
        return this.named(Object.keys(this.catalogue['charts-of-accounts']), keyOf(raw, 'name'));
      case 'default-address':
        return this.named(this.catalogue.addresses, keyOf(raw, 'location-code'));
      case 'country-of-residence': {
        const code = keyOf(raw, 'code');
        return typeof code === 'string' && /^[A-Za-z]{2}$/.test(code) ? { ok: true, value: code.toUpperCase() } : { ok: false };
      }
      case 'default-account': {
        // Within the chart named with it, else the user's default chart of accounts (set first if both are sent).
        const chart = keyOf(keyOf(raw, 'account-type'), 'name') ?? data['default-account-type'];
        const codes = Object.entries(this.catalogue['charts-of-accounts']).find(([name]) => lower(name) === lower(chart))?.[1];
        return codes ? this.named(codes, keyOf(raw, 'code')) : { ok: false };
      }
      default:
        return this.approvalLimit(raw);
    }
  }

  /** The chart of accounts an account input names (`{"account-type": {"name"}}`), in the catalogue's spelling. */
  chartNamedIn(raw: unknown): string | undefined {
    const resolved = this.named(Object.keys(this.catalogue['charts-of-accounts']), keyOf(keyOf(raw, 'account-type'), 'name'));
    return resolved.ok ? (resolved.value as string) : undefined;
  }

  private named(known: readonly string[], name: unknown): Resolved {
    if (typeof name !== 'string') return { ok: false };
    const found = known.find((k) => lower(k) === lower(name.trim()));
    return found === undefined ? { ok: false } : { ok: true, value: found };
  }

  /** "1000 USD" / {amount, currency} → {amount: "1000.00", currency: "USD"}; a name → {name}. */
  private approvalLimit(raw: unknown): Resolved {
    const object = raw !== null && typeof raw === 'object' ? (raw as Json) : undefined;
    const text = object ? (object.amount !== undefined ? `${String(object.amount)} ${String(keyOf(object.currency, 'code'))}` : object.name) : raw;
    if (typeof text !== 'string') return { ok: false };
    const amount = /^(\d+(?:\.\d+)?)\s+([A-Za-z]{3})$/.exec(text.trim());
    if (amount) return { ok: true, value: { amount: Number(amount[1]).toFixed(2), currency: amount[2].toUpperCase() } };
    const named = this.named(this.catalogue['approval-limits'], text);
    return named.ok ? { ok: true, value: { name: named.value } } : named;
  }

  /** The element as the API shows it: named references with ids, approval limits as objects. */
  render(element: string, stored: unknown, data: Json): unknown {
    if (stored === null || stored === undefined) return null;
    switch (element) {
      case 'department':
      case 'legal-entity':
      case 'default-account-type':
        return { id: this.idOf(element, String(stored)), name: stored };
      case 'default-address':
        return { id: this.idOf(element, String(stored)), 'location-code': stored };
      case 'country-of-residence':
        return { code: stored };
      case 'default-account':
        return { id: this.idOf(element, String(stored)), code: stored, 'account-type': { name: data['default-account-type'] ?? null } };
      default: {
        const limit = stored as { amount?: string; currency?: string; name?: string };
        return limit.name !== undefined
          ? { id: this.idOf(element, limit.name), name: limit.name }
          : { amount: limit.amount, currency: { code: limit.currency } };
      }
    }
  }

  private idOf(kind: string, name: string): number {
    const key = `${kind}:${name}`;
    if (!this.ids.has(key)) this.ids.set(key, this.ids.size + 1);
    return this.ids.get(key)!;
  }
}
