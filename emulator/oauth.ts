/**
 * Coupa's OAuth 2.0 client-credentials token endpoint and bearer-token checks.
 * Tokens look like JWTs (Coupa's are) but are opaque here: the emulator only looks them up.
 */
import { randomBytes } from 'node:crypto';

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  scopes: string[];
  tokenTtlSeconds: number;
}
export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}
export type TokenCheck = { ok: true; scopes: Set<string> } | { ok: false };

interface IssuedToken {
  scopes: Set<string>;
  expiresAt: number;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export class OAuthServer {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly options: OAuthOptions) {}

  /** Answers `POST /oauth2/token` given the raw form body and the Authorization header. */
  issue(contentType: string | undefined, body: string, authorization: string | undefined): TokenResponse {
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
      return { status: 400, body: { error: 'invalid_request', error_description: 'Content-Type must be application/x-www-form-urlencoded' } };
    }
    const form = new URLSearchParams(body);
    const basic = parseBasic(authorization);
    const clientId = basic?.id ?? form.get('client_id');
    const clientSecret = basic?.secret ?? form.get('client_secret');
    if (clientId !== this.options.clientId || clientSecret !== this.options.clientSecret) {
      return { status: 401, body: { error: 'invalid_client' } };
    }
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const granted = requested.length > 0 ? requested : this.options.scopes;
    if (granted.some((scope) => !this.options.scopes.includes(scope))) return { status: 400, body: { error: 'invalid_scope' } };
    const token = this.mint(granted);
    this.tokens.set(token, { scopes: new Set(granted), expiresAt: Date.now() + this.options.tokenTtlSeconds * 1000 });
    return {
      status: 200,
      body: { access_token: token, token_type: 'bearer', expires_in: this.options.tokenTtlSeconds, scope: granted.join(' ') },
    };
  }

  /** Checks an `Authorization: Bearer …` header ("bearer" in any case). Expired tokens are forgotten. */
  check(authorization: string | undefined): TokenCheck {
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const issued = match ? this.tokens.get(match[1]) : undefined;
    if (!match || !issued) return { ok: false };
    if (Date.now() >= issued.expiresAt) {
      this.tokens.delete(match[1]);
      return { ok: false };
    }
    return { ok: true, scopes: issued.scopes };
  }

  private mint(scopes: string[]): string {
    const header = base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url(JSON.stringify({ sub: this.options.clientId, scope: scopes.join(' '), iat: Date.now() }));
    return `${header}.${payload}.${base64url(randomBytes(24))}`;
  }
}

function parseBasic(authorization: string | undefined): { id: string; secret: string } | undefined {
  const match = /^basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: the id and secret are form-urlencoded before Basic encoding.
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}
