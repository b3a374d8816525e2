/**
 * OAuth 2.0 client-credentials token for the Coupa Core API, cached and shared.
 * Coupa tokens live 24 h (expires_in 86399) and Coupa recommends renewing every 20 h; we renew at
 * 80 % of expires_in or 20 h, whichever comes first. Concurrent callers share one in-flight request.
 */
import type { Clock } from '../../core/ports';

const COUPA_RECOMMENDED_RENEWAL_MS = 20 * 60 * 60 * 1000;

export interface TokenResponse {
  accessToken: string;
  expiresInSeconds: number;
}

export class OAuthTokenCache {
  private token?: { value: string; renewAt: number };
  private inFlight?: Promise<string>;

  constructor(
    private readonly fetchToken: () => Promise<TokenResponse>,
    private readonly clock: Clock,
  ) {}

  async get(): Promise<string> {
    if (this.token && this.clock.now().getTime() < this.token.renewAt) return this.token.value;
    this.inFlight ??= this.fetchToken()
      .then(({ accessToken, expiresInSeconds }) => {
        const lifetimeMs = Math.min(expiresInSeconds * 1000 * 0.8, COUPA_RECOMMENDED_RENEWAL_MS);
        this.token = { value: accessToken, renewAt: this.clock.now().getTime() + lifetimeMs };
        return accessToken;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  /** Coupa said 401 with this token: forget it (unless a concurrent caller already renewed it). */
  invalidate(rejected: string): void {
    if (this.token?.value === rejected) this.token = undefined;
  }
}
