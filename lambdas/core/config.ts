/**
 * One typed configuration for the CDK app, the Lambdas (as JSON in the COUPA_SYNC_CONFIG
 * environment variable) and the CLI. Every option has a default, so `{}` is a valid config.
 */
import { z } from 'zod';

const coupaSchema = z.object({
  /** Base URL of the Coupa instance, e.g. https://acme.coupahost.com (CLI: --coupa-url). */
  url: z.url().optional(),
  /** `core`: Coupa Core Users API (OAuth); `cso`: Coupa Sourcing Optimization (X-CSO-API-KEY, JSON). */
  flavor: z.enum(['core', 'cso']).default('core'),
  format: z.enum(['xml', 'json']).default('xml'),
  scopes: z.string().default('core.user.read core.user.write'),
  /** Requests per second for one process (token bucket); Coupa allows 25/s, burst 20. */
  ratePerSecond: z.number().positive().max(25).default(20),
  burst: z.number().int().positive().max(20).default(20),
  /**
   * Requests per second this integration may use on the whole instance (Coupa allows 25; the
   * default leaves room for other integrations). Split across concurrent consumers: see perProcessRate.
   */
  instanceRatePerSecond: z.number().positive().max(25).default(20),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  maxAttempts: z.number().int().min(1).max(10).default(5),
  /** Upper bound on the time one request may spend in retries before it becomes retryable-later. */
  maxRetryMs: z.number().int().positive().default(60_000),
  /**
   * Requests one process keeps in flight (reads of pages, writes of users). Coupa answers in
   * 200–500 ms, so reaching the rate budget needs rate × latency of them (20/s × 0.25 s = 5).
   */
  maxInFlight: z.number().int().min(1).max(64).default(8),
  /** Logins per `login[in]=` lookup (Coupa pages at 50). */
  lookupBatchSize: z.number().int().min(1).max(50).default(50),
  /**
   * Send `fields=[…]` on user reads to shrink responses (absent = true); set false if an
   * instance rejects it. Optional so hand-built CoupaConfig objects stay valid.
   */
  useFieldsFilter: z.boolean().optional(),
  /** Second key to match on when the login is unknown to Coupa. */
  matchFallback: z.enum(['none', 'employee-number', 'email']).default('none'),
  /** CSO `state` that means "deactivated". */
  csoDeactivatedState: z.enum(['Disabled', 'Blocked', 'Removed']).default('Disabled'),
  /** Logins the sync must never change (e.g. the OAuth client's own user). */
  protectedLogins: z.array(z.string()).default([]),
  /**
   * Collections HR owns, sent by name: `roles`, `content-groups`. Coupa replaces the WHOLE set on
   * PUT (roles a user got in Coupa by hand are dropped), so they are read, compared and written only
   * when listed here; an HR file with such a column is refused unless it is. Core only (CSO has none).
   */
  ownedCollections: z.array(z.enum(['roles', 'content-groups'])).default([]),
  /** Secrets Manager secret (AWS) holding {"clientId","clientSecret"} or {"apiKey"} for CSO. */
  secretName: z.string().default('coupa-user-sync/coupa-oauth-client'),
}).superRefine((coupa, ctx) => {
  if (coupa.flavor === 'cso' && coupa.ownedCollections.length > 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['ownedCollections'],
      message:
        `CSO (coupa.flavor "cso") has no roles or content groups: remove ${coupa.ownedCollections.join(', ')} ` +
        'from coupa.ownedCollections, or sync them with the core flavour',
    });
  }
});

const apiChannelSchema = z.object({
  /** Concurrent api-consumer Lambdas; × coupa.ratePerSecond must stay under the instance budget. */
  maxConcurrency: z.number().int().min(2).max(1000).default(2),
  /** SQS FIFO allows at most 10 messages per batch. */
  batchSize: z.number().int().min(1).max(10).default(10),
  maxReceiveCount: z.number().int().min(1).default(5),
});

const csvChannelSchema = z.object({
  remoteDirectory: z.string().default('/Incoming/Users'),
  maxRowsPerFile: z.number().int().min(1).max(5000).default(5000),
  maxBytesPerFile: z.number().int().min(1024).max(8 * 1024 * 1024).default(8 * 1024 * 1024),
  /** An instance's own user-import template (CSV); its header row gives the column spelling. */
  headerTemplateFile: z.string().optional(),
  /**
   * Column spellings (documented name → the instance's), filled from headerTemplateFile when the
   * config is loaded (CLI) or synthesized (CDK), so the Lambdas need no file.
   */
  headerNames: z.record(z.string(), z.string()).optional(),
  batchSize: z.number().int().min(1).max(10_000).default(1000),
  batchingWindowSeconds: z.number().int().min(0).max(300).default(60),
  /** Seconds to wait for Coupa's loader results (0 = do not wait). */
  waitResultsSeconds: z.number().int().min(0).default(600),
  sftp: z
    .object({
      /** sftp://user@host:port — the Coupa sFTP endpoint the Transfer Family connector calls. */
      url: z.string().default('sftp://coupa-sftp.example.com'),
      /** ssh-keyscan lines of the server's host key(s). */
      trustedHostKeys: z.array(z.string()).default([]),
      /** Secrets Manager secret with {"Username","PrivateKey"} (or "Password") for the connector. */
      secretName: z.string().default('coupa-user-sync/coupa-sftp'),
    })
    .prefault({}),
});

/**
 * How the HR file is read against Coupa (the reconcile issue). `delta`: the file lists changes,
 * users it does not name are left alone. `full`: the file is the whole workforce, so every active
 * Coupa user it does not list is deactivated (except API users, protected and exempt logins).
 */
const rosterSchema = z.object({
  mode: z.enum(['delta', 'full']).default('delta'),
  /** Glob patterns (`*`, `?`; case-insensitive) of logins a full roster never deactivates, e.g. "svc-*". */
  exempt: z.array(z.string().min(1)).default([]),
  /** Deactivation guard: a run that would deactivate more users than this is held. */
  maxDeactivations: z.number().int().min(0).default(100),
  /** … or more than this share of the active users it may deactivate … */
  maxDeactivationShare: z.number().min(0).max(1).default(0.2),
  /** … when that is also more than this many users (a small instance's one leaver is never held). */
  minDeactivationsGuarded: z.number().int().min(0).default(5),
  /** Completeness guard: a full roster smaller than the last accepted one by more than this share is held. */
  maxRosterShrink: z.number().min(0).max(1).default(0.1),
  /** A held run writes nothing (`hold-all`), or everything but the deactivations (`apply-rest`). */
  onHold: z.enum(['hold-all', 'apply-rest']).default('hold-all'),
  /** A kept snapshot of Coupa's users older than this is read again in full instead of refreshed. */
  snapshotMaxAgeHours: z.number().positive().default(168),
});

const applySchema = z.object({
  /** Circuit breaker: stop when more than this share of the first `breakerWindow` writes fail. */
  maxFailureShare: z.number().min(0).max(1).default(0.5),
  breakerWindow: z.number().int().min(1).default(20),
});

const approvalSchema = z.object({
  /** A held run not approved within this many hours expires (with an alert); nothing of it is written. */
  expireAfterHours: z.number().positive().max(24 * 30).default(72),
});

export const configSchema = z.object({
  stackName: z.string().default('CoupaUserSync'),
  /** `api` (Users API) or `csv` (user-import files over sFTP). Keys under incoming/csv/ always go to csv. */
  delivery: z.enum(['api', 'csv']).default('api'),
  /** Plan only: every run writes its plan and report and changes nothing in Coupa. */
  dryRun: z.boolean().default(false),
  roster: rosterSchema.prefault({}),
  apply: applySchema.prefault({}),
  approval: approvalSchema.prefault({}),
  coupa: coupaSchema.prefault({}),
  api: apiChannelSchema.prefault({}),
  csv: csvChannelSchema.prefault({}),
  notifications: z
    .object({
      /** Optional e-mail address subscribed to the failure topic. */
      email: z.email().optional(),
    })
    .prefault({}),
  reports: z
    .object({
      /**
       * Hours after the split when a run still missing outcomes is reported anyway (AWS run-reporter),
       * its missing rows as `failed`, so no row is silently lost.
       */
      reportAfterHours: z.number().positive().max(24 * 14).default(24),
    })
    .prefault({}),
});

export type SyncConfig = z.infer<typeof configSchema>;
export type CoupaConfig = SyncConfig['coupa'];

/**
 * The Coupa config one api-consumer process uses: its rate is its share of the instance budget,
 * so `api.maxConcurrency` Lambdas together stay under `coupa.instanceRatePerSecond`.
 */
export function perProcessCoupaConfig(config: SyncConfig, processes = config.api.maxConcurrency): CoupaConfig {
  const share = config.coupa.instanceRatePerSecond / Math.max(1, processes);
  const ratePerSecond = Math.min(config.coupa.ratePerSecond, share);
  return { ...config.coupa, ratePerSecond, burst: Math.max(1, Math.min(config.coupa.burst, Math.floor(ratePerSecond))) };
}

/** Parses and validates a config object; the error names every bad field. */
export function parseConfig(input: unknown): SyncConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

export const CONFIG_ENV = 'COUPA_SYNC_CONFIG';

/** The Lambdas' config, passed by the stack as JSON in one environment variable. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SyncConfig {
  const raw = env[CONFIG_ENV];
  return parseConfig(raw ? JSON.parse(raw) : {});
}
