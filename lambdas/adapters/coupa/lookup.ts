/**
 * Bulk look-ups with Coupa's `in` operator: `GET /api/users?login[in]=a,b,c`.
 * Values are chunked (≤ lookupBatchSize and ≤ MAX_IN_LIST_CHARS of encoded query, so URLs stay
 * far below common 8 KB proxy limits), pages are followed with `offset`, and a value containing a
 * comma (which an `in` list cannot express) is looked up alone with the exact operator.
 */
import type { CoupaHttp, Query } from './http';

export const MAX_IN_LIST_CHARS = 4000;

export interface InLookup<T> {
  http: CoupaHttp;
  path: string;
  /** Query attribute, e.g. `login`, `employee_number` (CSO: `name`). */
  attribute: string;
  values: string[];
  batchSize: number;
  pageSize: number;
  /** Extra query params (order_by, fields, …). */
  extraQuery?: Query;
  /** Users out of one page's body. */
  parsePage: (body: unknown) => T[];
  /** The value of `attribute` on a returned user, to stop paging once all values are found. */
  keyOf: (item: T) => string;
}

export async function lookupIn<T>(spec: InLookup<T>): Promise<T[]> {
  const unique = [...new Set(spec.values.filter((v) => v !== ''))];
  const withComma = unique.filter((v) => v.includes(','));
  const listable = unique.filter((v) => !v.includes(','));
  const tasks: Array<Promise<T[]>> = [];
  for (const chunk of chunkValues(listable, spec.batchSize, MAX_IN_LIST_CHARS)) {
    tasks.push(pagedQuery(spec, { [`${spec.attribute}[in]`]: chunk }, chunk));
  }
  for (const value of withComma) tasks.push(pagedQuery(spec, { [spec.attribute]: value }, [value]));
  return (await Promise.all(tasks)).flat();
}

/** Splits values into lists of ≤ size items whose encoded, comma-joined length is ≤ maxChars. */
export function chunkValues(values: string[], size: number, maxChars: number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const value of values) {
    const cost = encodeURIComponent(value).length + (current.length ? 1 : 0);
    if (current.length && (current.length >= size || length + cost > maxChars)) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(value);
    length += current.length === 1 ? encodeURIComponent(value).length : cost;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

async function pagedQuery<T>(spec: InLookup<T>, filter: Query, wanted: string[]): Promise<T[]> {
  const found: T[] = [];
  const missing = new Set(wanted);
  for (let offset = 0; ; ) {
    const res = await spec.http.request('GET', spec.path, {
      query: { ...filter, ...spec.extraQuery, limit: spec.pageSize, offset: offset || undefined },
      // XML answers an empty search with 404 "No results match your search criteria."; JSON with [].
      acceptStatuses: [404],
    });
    if (res.status === 404) break;
    const page = spec.parsePage(res.body);
    found.push(...page);
    for (const item of page) missing.delete(spec.keyOf(item));
    // A short page is the last one; once every value is found, further pages hold nothing we match.
    if (page.length < spec.pageSize || missing.size === 0) break;
    offset += page.length;
  }
  return found;
}
