/**
 * Coupa's query language over JSON-shaped records: exact match on any element, `[op]` operators,
 * association paths (`manager[login]=x`), order_by/dir, limit/offset and `fields` projection.
 *
 * Choices where Coupa is undocumented:
 * - String comparisons ignore case (Coupa's database collation does); numbers and ISO datetimes
 *   compare as numbers and instants; 19-digit CSO ids compare exactly (as BigInt, never as Number).
 * - A query attribute that is no element of the resource → 400 "Unknown attribute: x", so a typo in
 *   a client shows up at once instead of silently matching nothing.
 * - `limit` above the page cap is cut to the cap; a missing or invalid limit means the cap.
 */
export type Json = Record<string, unknown>;

const OPERATORS = new Set([
  'in', 'not_in', 'not_eq', 'contains', 'starts_with', 'ends_with', 'gt', 'gt_or_eq', 'lt', 'lt_or_eq', 'blank',
]);
/** Parameters that steer the query rather than filter it (`filter` names an admin API filter: ignored). */
const RESERVED = new Set(['limit', 'offset', 'order_by', 'dir', 'fields', 'return_object', 'filter']);

export interface QueryOptions {
  maxPageSize: number;
  /** Top-level element names a filter may use (hyphenated). */
  knownAttributes: ReadonlySet<string>;
  /** Parameters the caller handled itself (e.g. `status` on core users). */
  handled?: ReadonlySet<string>;
  defaultOrder?: string;
}
export type QueryResult = { ok: true; items: Json[]; total: number } | { ok: false; error: string };

interface Condition {
  path: string[];
  operator: string;
  value: string;
}

export function runQuery(records: Json[], params: URLSearchParams, options: QueryOptions): QueryResult {
  const conditions: Condition[] = [];
  for (const [key, value] of params) {
    if (RESERVED.has(key) || options.handled?.has(key)) continue;
    const parts = key.split(/[[\]]+/).filter((p) => p !== '');
    const operator = parts.length > 1 && OPERATORS.has(parts[parts.length - 1]) ? parts.pop()! : 'eq';
    if (parts.length === 0 || !options.knownAttributes.has(hyphenate(parts[0]))) {
      return { ok: false, error: `Unknown attribute: ${parts[0] ?? key}` };
    }
    conditions.push({ path: parts, operator, value });
  }
  const matching = records.filter((record) => conditions.every((c) => matches(record, c)));
  const orderBy = params.get('order_by') ?? options.defaultOrder ?? 'id';
  const direction = params.get('dir')?.toLowerCase() === 'desc' ? -1 : 1;
  const orderPath = orderBy.split(/[[\]]+/).filter(Boolean);
  matching.sort((a, b) => direction * compareValues(valueAt(a, orderPath)[0], valueAt(b, orderPath)[0]));
  const { limit, offset } = pageWindow(params, options.maxPageSize);
  return { ok: true, items: matching.slice(offset, offset + limit), total: matching.length };
}

/** `limit` (cut to the page cap; missing or invalid means the cap) and `offset` (missing or invalid means 0). */
export function pageWindow(params: URLSearchParams, maxPageSize: number): { limit: number; offset: number } {
  return {
    limit: clamp(params.get('limit'), maxPageSize, 1, maxPageSize),
    offset: clamp(params.get('offset'), 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

function clamp(raw: string | null, fallback: number, min: number, max: number): number {
  const n = raw === null ? NaN : Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < min) return fallback;
  return Math.min(n, max);
}

export function hyphenate(name: string): string {
  return name.replace(/_/g, '-');
}

/** Values at a path; a key is tried as written, then hyphenated; arrays fan out. */
function valueAt(record: unknown, path: string[]): unknown[] {
  let current: unknown[] = [record];
  for (const part of path) {
    const next: unknown[] = [];
    for (const node of current) {
      for (const item of Array.isArray(node) ? node : [node]) {
        if (item === null || typeof item !== 'object') continue;
        const obj = item as Json;
        next.push(part in obj ? obj[part] : obj[hyphenate(part)]);
      }
    }
    current = next;
  }
  return current;
}

function matches(record: Json, condition: Condition): boolean {
  const values = valueAt(record, condition.path).flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (condition.operator === 'blank') {
    const wantBlank = condition.value.toLowerCase() !== 'false';
    const blank = values.length === 0 || values.every(isBlank);
    return wantBlank === blank;
  }
  if (condition.operator === 'not_eq' || condition.operator === 'not_in') {
    const positive = { ...condition, operator: condition.operator === 'not_eq' ? 'eq' : 'in' };
    return !values.some((v) => test(v, positive));
  }
  return values.some((v) => test(v, condition));
}

function isBlank(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

function test(value: unknown, { operator, value: query }: Condition): boolean {
  if (value !== null && typeof value === 'object') return false;
  const text = value === null || value === undefined ? '' : String(value).toLowerCase();
  const q = query.toLowerCase();
  switch (operator) {
    case 'eq':
      return compareValues(value, query) === 0;
    case 'in':
      return query.split(',').some((item) => compareValues(value, item) === 0);
    case 'contains':
      return text.includes(q);
    case 'starts_with':
      return text.startsWith(q);
    case 'ends_with':
      return text.endsWith(q);
    case 'gt':
      return value != null && compareValues(value, query) > 0;
    case 'gt_or_eq':
      return value != null && compareValues(value, query) >= 0;
    case 'lt':
      return value != null && compareValues(value, query) < 0;
    case 'lt_or_eq':
      return value != null && compareValues(value, query) <= 0;
    default:
      return false;
  }
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T|$)/;

/** Orders two values the way Coupa's database would (see the module comment). */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (a === null || a === undefined) return b === null || b === undefined || b === '' ? 0 : -1;
  if (b === null || b === undefined) return 1;
  const x = String(a);
  const y = String(b);
  if (INTEGER.test(x) && INTEGER.test(y)) {
    const d = BigInt(x) - BigInt(y);
    return d === 0n ? 0 : d > 0n ? 1 : -1;
  }
  if (DECIMAL.test(x) && DECIMAL.test(y)) return Math.sign(Number(x) - Number(y));
  if (ISO_DATE.test(x) && ISO_DATE.test(y)) {
    const dx = Date.parse(x);
    const dy = Date.parse(y);
    if (!Number.isNaN(dx) && !Number.isNaN(dy)) return Math.sign(dx - dy);
  }
  const lx = x.toLowerCase();
  const ly = y.toLowerCase();
  return lx === ly ? 0 : lx < ly ? -1 : 1;
}

export type FieldSpec = Array<string | Record<string, FieldSpec>>;

/** Parses `fields=["id","login",{"manager":["login"]}]`; undefined when absent, Error when malformed. */
export function parseFields(raw: string | null): FieldSpec | undefined | Error {
  if (raw === null) return undefined;
  try {
    const spec = JSON.parse(raw) as unknown;
    if (!isFieldSpec(spec)) return new Error('Invalid fields parameter');
    return spec;
  } catch {
    return new Error('Invalid fields parameter');
  }
}

function isFieldSpec(spec: unknown): spec is FieldSpec {
  return (
    Array.isArray(spec) &&
    spec.every(
      (item) =>
        typeof item === 'string' ||
        (item !== null && typeof item === 'object' && Object.values(item).every((sub) => isFieldSpec(sub))),
    )
  );
}

/** Keeps only the elements a `fields` spec names, recursing into associations. */
export function projectFields(record: Json, spec: FieldSpec): Json {
  const out: Json = {};
  for (const item of spec) {
    if (typeof item === 'string') {
      const key = item in record ? item : hyphenate(item);
      if (key in record) out[key] = record[key];
      continue;
    }
    for (const [name, sub] of Object.entries(item)) {
      const key = name in record ? name : hyphenate(name);
      const value = record[key];
      if (value === undefined) continue;
      if (Array.isArray(value)) out[key] = value.map((v) => (v && typeof v === 'object' ? projectFields(v as Json, sub) : v));
      else if (value && typeof value === 'object') out[key] = projectFields(value as Json, sub);
      else out[key] = value;
    }
  }
  return out;
}
