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

export interface PagedList<T> {
  http: CoupaHttp;
  path: string;
  /** Filter and shaping params (fields, updated_at[gt_or_eq], …); limit/offset/order are added here. */
  query: Query;
  pageSize: number;
  /** Pages fetched at once at most. */
  maxInFlight: number;
  /** Where the listing starts (a read continued where an earlier process stopped); 0 by default. */
  startOffset?: number;
  parsePage: (body: unknown) => T[];
}

/**
 * Every page of a list, in order, with offset paging ordered by id. Pages are fetched several at
 * a time to keep the rate budget busy while Coupa answers (200–500 ms each), in windows that start
 * at one page and double up to `maxInFlight`: a refresh that finds two pages costs three calls, a
 * full read of 200 pages wastes at most `maxInFlight - 1` calls past the last page. The first short
 * page is the last one (Coupa gives no total count).
 */
export async function* listPages<T>(spec: PagedList<T>): AsyncIterable<T[]> {
  let offset = spec.startOffset ?? 0;
  let window = 1;
  for (;;) {
    const offsets = Array.from({ length: window }, (_, i) => offset + i * spec.pageSize);
    const pages = await Promise.all(offsets.map((o) => fetchPage(spec, o)));
    for (const page of pages) {
      if (page.length > 0) yield page;
      if (page.length < spec.pageSize) return;
    }
    offset += window * spec.pageSize;
    window = Math.min(window * 2, Math.max(1, spec.maxInFlight));
  }
}

async function fetchPage<T>(spec: PagedList<T>, offset: number): Promise<T[]> {
  const res = await spec.http.request('GET', spec.path, {
    query: { ...spec.query, order_by: 'id', dir: 'asc', limit: spec.pageSize, offset: offset || undefined },
    acceptStatuses: [404], // XML: "No results match your search criteria."
  });
  return res.status === 404 ? [] : spec.parsePage(res.body);
}
