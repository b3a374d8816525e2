import type { CoupaConfig } from '../../core/config';
import type { Clock } from '../../core/ports';

/** Core: an OAuth 2.0 client (client credentials). CSO: the X-CSO-API-KEY. */
export type CoupaCredentials = { clientId: string; clientSecret: string } | { apiKey: string };

export interface RequestEvent {
  method: string;
  /** Path without the query string (the query may hold logins: personal data stays out of logs). */
  path: string;
  status: number | 'error';
  attempt: number;
  ms: number;
}

export interface ClientOptions {
  /** https://acme.coupahost.com; plain http only on a loopback host (the emulator: http://127.0.0.1:1234). */
  baseUrl: string;
  config: CoupaConfig;
  credentials: CoupaCredentials;
  /** Backoff and the rate governor sleep on it (tests use a fake clock). */
  clock?: Clock;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Metrics/logs hook, called once per HTTP attempt. */
  onRequest?: (e: RequestEvent) => void;
}
