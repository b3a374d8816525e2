/**
 * The Coupa transport: auth (OAuth bearer or X-CSO-API-KEY), one shared rate governor, a timeout
 * on every request, retries with exponential backoff and full jitter, and Coupa's error texts.
 *
 * Retry rules (Coupa documents 400/404 for bad requests; 429/5xx are undocumented, so we treat
 * them as transient like other Coupa integrations do):
 *   429, 5xx, timeout, connection reset → retry, bounded by maxAttempts AND maxRetryMs, then CoupaRetryableError
 *   400, 404, 422 (and other 4xx)       → CoupaRejectedError with Coupa's messages, never retried
 *   401                                 → renew the token once and retry; again → CoupaAuthError
 *   403                                 → CoupaAuthError (a missing scope does not heal by retrying)
 *   3xx                                 → CoupaRedirectError, never followed (credentials would go along; see url-policy.ts)
 */
import { systemClock, type Clock } from '../../core/ports';
import type { CoupaConfig } from '../../core/config';
import { CoupaAuthError, CoupaError, CoupaRedirectError, CoupaRejectedError, CoupaRetryableError } from '../../core/coupa-errors';
import type { ClientOptions, CoupaCredentials, RequestEvent } from './client-options';
import { parseCoupaErrors } from './errors';
import { parseJsonKeepingLongIds } from './json-codec';
import { OAuthTokenCache, type TokenResponse } from './oauth-token';
import { TokenBucket } from './token-bucket';
import { redirectHost, secureBaseUrl } from './url-policy';
import { buildCoupaXml, parseCoupaXml } from './xml-codec';

export type WireFormat = 'xml' | 'json';
export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Record<string, QueryValue>;

export interface CoupaResponse {
  status: number;
  headers: Headers;
  /** Parsed body: JSON value, or the normalised XML document (`{ users: [...] }`, `{ user: {...} }`). */
  body: unknown;
  text: string;
}

/** Why a request is about to be retried; `ambiguous` when Coupa may have processed it. */
export interface RetryReason {
  kind: 'throttled' | 'server' | 'timeout' | 'network';
  status?: number;
  ambiguous: boolean;
}

export interface RequestOptions {
  query?: Query;
  /** A string is sent as-is; anything else is serialised in the request's format. */
  body?: unknown;
  /** Root element for an XML body (Coupa wraps a user in <user>). */
  xmlRoot?: string;
  format?: WireFormat;
  /** Statuses handed back instead of thrown, e.g. 404 "No results match" on an XML index GET. */
  acceptStatuses?: number[];
  /**
   * Called before retrying after a failure that may have reached Coupa (timeout, reset, 5xx).
   * Returning a response ends the request with it (a create that did land is not sent twice).
   */
  beforeRetry?: (reason: RetryReason) => Promise<CoupaResponse | undefined>;
}

/** What Coupa's integration monitoring needs on top of the user scopes (asked only when it is enabled). */
export const MONITORING_SCOPES = ['core.integration.read', 'core.integration.write'] as const;

const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 10_000;
const MIME: Record<WireFormat, string> = { xml: 'application/xml', json: 'application/json' };

/** Query string with Coupa's readable operators: `login[in]=a,b` (each value encoded, brackets and list commas literal). */
export function encodeQuery(query: Query): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const k = encodeURIComponent(key).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
    const v = Array.isArray(value)
      ? value.map((x) => encodeURIComponent(x)).join(',')
      : encodeURIComponent(String(value));
    parts.push(`${k}=${v}`);
  }
  return parts.join('&');
}

type Failure = RetryReason & { detail: string; retryAfterMs?: number };

export class CoupaHttp {
  readonly baseUrl: string;
  readonly config: CoupaConfig;
  readonly bucket: TokenBucket;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly onRequest?: (e: RequestEvent) => void;
  private readonly credentials: CoupaCredentials;
  private readonly tokens?: OAuthTokenCache;
  /** The monitoring scopes, once Coupa refused a token request that asked for them (`invalid_scope`). */
  private refusedScopes: string[] = [];

  constructor(options: ClientOptions) {
    this.baseUrl = secureBaseUrl(options.baseUrl);
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.onRequest = options.onRequest;
    this.credentials = options.credentials;
    this.bucket = new TokenBucket(this.config.ratePerSecond, this.config.burst, this.clock);
    // The flavour decides the scheme: Core is OAuth-only since R35, CSO knows only its API key.
    if (this.config.flavor === 'core') {
      if (!('clientId' in this.credentials)) throw new Error('Coupa Core needs OAuth client credentials (clientId, clientSecret)');
      this.tokens = new OAuthTokenCache(() => this.fetchToken(), this.clock);
    } else if (!('apiKey' in this.credentials)) {
      throw new Error('Coupa CSO needs an API key (apiKey)');
    }
  }

  /** The format of every request: CSO speaks JSON only. */
  get format(): WireFormat {
    return this.config.flavor === 'cso' ? 'json' : this.config.format;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<CoupaResponse> {
    const format = this.config.flavor === 'cso' ? 'json' : (options.format ?? this.format);
    const qs = options.query ? encodeQuery(options.query) : '';
    const url = `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      if (typeof options.body === 'string') body = options.body;
      else if (format === 'json') body = JSON.stringify(options.body);
      else body = buildCoupaXml(options.xmlRoot ?? 'user', options.body as Record<string, unknown>);
    }
    // Coupa requires Accept and Content-Type to name the same type, on every request.
    const baseHeaders = { Accept: MIME[format], 'Content-Type': MIME[format] };
    return this.exchange({
      method,
      path,
      url,
      body,
      headers: async () => ({ ...baseHeaders, ...(await this.authHeaders()) }),
      acceptStatuses: options.acceptStatuses ?? [],
      beforeRetry: options.beforeRetry,
      tokenCall: false,
    });
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.tokens) return { Authorization: `Bearer ${await this.tokens.get()}` };
    return { 'X-CSO-API-KEY': (this.credentials as { apiKey: string }).apiKey };
  }

  /** The scopes the token was taken without because Coupa refused them (empty: every scope asked was granted). */
  scopesRefused(): readonly string[] {
    return this.refusedScopes;
  }

  private configuredScopes(): string[] {
    return this.config.scopes.split(/[\s,]+/).filter(Boolean);
  }

  /** The monitoring scopes to ask for on top of the configured ones: none when monitoring is off or Coupa refused them. */
  private monitoringScopesToAsk(): string[] {
    if (!this.config.monitoring?.enabled || this.refusedScopes.length > 0) return [];
    return MONITORING_SCOPES.filter((s) => !this.configuredScopes().includes(s));
  }

  private async fetchToken(): Promise<TokenResponse> {
    const extra = this.monitoringScopesToAsk();
    const res = await this.tokenRequest([...this.configuredScopes(), ...extra]);
    if (res.status === 400 && extra.length > 0) {
      // Coupa may refuse the whole token request for a scope the client lacks: take one without the
      // monitoring scopes (the users still sync); monitoring reports the refusal as its one warning.
      this.refusedScopes = extra;
      return this.tokenFrom(await this.tokenRequest(this.configuredScopes()));
    }
    return this.tokenFrom(res);
  }

  private async tokenRequest(scopes: string[]): Promise<CoupaResponse> {
    const creds = this.credentials as { clientId: string; clientSecret: string };
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
      scope: scopes.join(' '),
    });
    const res = await this.exchange({
      method: 'POST',
      path: '/oauth2/token',
      url: `${this.baseUrl}/oauth2/token`,
      body: form.toString(),
      headers: async () => ({ Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' }),
      acceptStatuses: [400],
      tokenCall: true,
    });
    if (res.status === 400 && (res.body as { error?: unknown } | null)?.error !== 'invalid_scope') {
      throw this.permanentError({ method: 'POST', path: '/oauth2/token', tokenCall: true }, 400, parseCoupaErrors(res.text, res.headers.get('content-type') ?? ''));
    }
    return res;
  }

  private tokenFrom(res: CoupaResponse): TokenResponse {
    if (res.status === 400) {
      throw this.permanentError({ method: 'POST', path: '/oauth2/token', tokenCall: true }, 400, parseCoupaErrors(res.text, res.headers.get('content-type') ?? ''));
    }
    const doc = (res.body ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (typeof doc.access_token !== 'string' || doc.access_token === '') {
      throw new CoupaAuthError(`Coupa at ${this.baseUrl} answered the token request without an access_token`, res.status);
    }
    const expires = Number(doc.expires_in);
    return { accessToken: doc.access_token, expiresInSeconds: Number.isFinite(expires) && expires > 0 ? expires : 86_399 };
  }

  private async exchange(spec: {
    method: string;
    path: string;
    url: string;
    body?: string;
    headers: () => Promise<Record<string, string>>;
    acceptStatuses: number[];
    beforeRetry?: RequestOptions['beforeRetry'];
    tokenCall: boolean;
  }): Promise<CoupaResponse> {
    const { maxAttempts, maxRetryMs, requestTimeoutMs } = this.config;
    // The retry budget starts at the first send, not when the request was queued: a first load
    // queues thousands of lookups behind the rate governor at once, and the later ones would
    // otherwise have spent their budget waiting, ending the whole run on one transient reset.
    let startedAt: number | undefined;
    let renewedToken = false;
    let attempt = 0;
    let last: Failure | undefined;

    while (attempt < maxAttempts) {
      attempt++;
      // Auth first, then the rate slot: a caller that took its slot and then waited for a token
      // (which itself queues in the bucket) would fire together with every other such caller.
      const headers = await spec.headers();
      await this.bucket.take();
      const sentAt = this.clock.now().getTime();
      startedAt ??= sentAt;
      const t0 = performance.now();
      let res: Response | undefined;
      let text = '';
      try {
        res = await fetch(spec.url, {
          method: spec.method,
          headers,
          body: spec.body,
          signal: AbortSignal.timeout(requestTimeoutMs),
          // Node's fetch hands back the 3xx itself (a browser would give an opaque one, status 0).
          // 'error' is no better: it throws the same TypeError as a reset, which we would retry.
          redirect: 'manual',
        });
        text = await res.text();
      } catch (err) {
        last = classifyFetchError(err, requestTimeoutMs);
        res = undefined;
      }
      this.onRequest?.({
        method: spec.method,
        path: spec.path,
        status: res ? res.status : 'error',
        attempt,
        ms: Math.round(performance.now() - t0),
      });

      if (res) {
        const status = res.status;
        const contentType = res.headers.get('content-type') ?? '';
        if (res.type === 'opaqueredirect' || (status >= 300 && status < 400)) {
          throw this.redirectError(spec, status, res.headers.get('location'));
        }
        if ((status >= 200 && status < 300) || spec.acceptStatuses.includes(status)) {
          this.bucket.reward(sentAt);
          return { status, headers: res.headers, body: parseBody(text, contentType), text };
        }
        if (status === 429) {
          const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.clock.now().getTime());
          this.bucket.penalize(retryAfterMs, sentAt);
          // The bucket now paces (and pauses) every caller; the retry below also waits its turn there.
          last = { kind: 'throttled', status, ambiguous: false, detail: 'HTTP 429 (rate limited)' };
        } else if (status >= 500) {
          const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.clock.now().getTime());
          last = { kind: 'server', status, ambiguous: true, detail: `HTTP ${status}`, retryAfterMs };
        } else if (status === 401 && !spec.tokenCall && this.tokens && !renewedToken) {
          // Tokens can be revoked or rotated early: renew once, then believe Coupa.
          renewedToken = true;
          this.tokens.invalidate(headers.Authorization?.replace(/^Bearer /, '') ?? '');
          attempt--;
          continue;
        } else {
          throw this.permanentError(spec, status, parseCoupaErrors(text, contentType));
        }
      }

      const failure = last!;
      if (attempt >= maxAttempts) break;
      // A host name that does not resolve is a wrong URL, not a passing fault: asking again only delays saying so.
      if (failure.kind === 'network' && failure.detail.includes('ENOTFOUND')) {
        throw new CoupaRetryableError(`the host ${new URL(this.baseUrl).hostname} does not resolve (DNS: ENOTFOUND): check the Coupa URL`, undefined);
      }
      const elapsed = this.clock.now().getTime() - startedAt;
      // Full jitter spreads concurrent retries; a 503's Retry-After is a floor (a 429's is held by the bucket).
      const backoff = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)) * this.random();
      const delay = Math.max(backoff, failure.retryAfterMs ?? 0);
      if (elapsed + delay > maxRetryMs) break;
      if (failure.ambiguous && spec.beforeRetry) {
        const settled = await spec.beforeRetry(failure);
        if (settled) return settled;
      }
      await this.clock.sleep(delay);
    }

    const elapsed = this.clock.now().getTime() - (startedAt ?? this.clock.now().getTime());
    throw new CoupaRetryableError(
      `Coupa ${spec.method} ${spec.path} still failing after ${attempt} attempt(s) in ${elapsed} ms (last: ${last?.detail ?? 'unknown'}); retry later`,
      last?.status,
    );
  }

  private redirectError(spec: { method: string; path: string; url: string }, status: number, location: string | null): CoupaRedirectError {
    return new CoupaRedirectError(
      `Coupa at ${this.baseUrl} answered ${spec.method} ${spec.path} with HTTP ${status || 'redirect'} to ${redirectHost(location, spec.url)}: ` +
        'redirects are not followed with credentials; set coupa.url to the instance\'s own https:// address',
      status,
    );
  }

  private permanentError(spec: { method: string; path: string; tokenCall: boolean }, status: number, messages: string[]): CoupaError {
    if (spec.tokenCall) {
      const why = messages.length ? `: ${messages.join('; ')}` : '';
      return new CoupaAuthError(
        `Coupa at ${this.baseUrl} refused the OAuth client credentials (HTTP ${status}${why}): check COUPA_CLIENT_ID/COUPA_CLIENT_SECRET and scopes`,
        status,
      );
    }
    if (status === 401) {
      return !this.tokens
        ? new CoupaAuthError(`Coupa CSO at ${this.baseUrl} rejected the API key (HTTP 401): check the X-CSO-API-KEY secret`, 401)
        : new CoupaAuthError(
            `Coupa rejected the OAuth client at ${this.baseUrl} even with a fresh token (HTTP 401): check COUPA_CLIENT_ID/COUPA_CLIENT_SECRET and scopes`,
            401,
          );
    }
    if (status === 403) {
      return new CoupaAuthError(
        `Coupa at ${this.baseUrl} refused ${spec.method} ${spec.path} (HTTP 403): the client lacks a scope or permission (needs ${this.config.scopes})`,
        403,
      );
    }
    return new CoupaRejectedError(messages, status);
  }
}

function classifyFetchError(err: unknown, timeoutMs: number): Failure {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return { kind: 'timeout', ambiguous: true, detail: `no answer within ${timeoutMs} ms` };
  }
  if (e instanceof TypeError && e.message === 'fetch failed') {
    return { kind: 'network', ambiguous: true, detail: `connection failed (${e.cause?.code ?? e.cause?.message ?? 'reset'})` };
  }
  // Not a transport failure (e.g. a malformed base URL): a bug to surface, not to retry.
  throw err;
}

function parseBody(text: string, contentType: string): unknown {
  if (text.trim() === '') return null;
  try {
    if (/json/i.test(contentType)) return parseJsonKeepingLongIds(text);
    if (/xml/i.test(contentType) || text.trimStart().startsWith('<')) return parseCoupaXml(text);
    return parseJsonKeepingLongIds(text);
  } catch {
    return null;
  }
}

/** Retry-After is seconds or an HTTP date; missing or unparsable → undefined. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
