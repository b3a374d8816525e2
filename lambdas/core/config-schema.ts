/**
 * The config's schema and parser: validates a config object (CDK synth, the CLI, tests) and names
 * every bad field in our own words. Every option has a default, so `{}` is a valid config.
 *
 * Written with zod/mini (the functional API): the classic `zod` namespace pulls every locale into
 * each bundle it reaches. Every object is strict, so a misspelt key is refused with its path instead
 * of being dropped silently; messages are our own (describeIssue), naming the path of every bad field.
 *
 * Deployed Lambdas never parse (config.ts configFromEnv): the stack inlines the config it validated
 * at synth. This module is still imported by config.ts (the parse branch outside a bundle), so it
 * must have no side effect at import: every schema is an arrow function, built on the first parse.
 * A module-level `z.strictObject(...)` call would be a side effect esbuild keeps, and zod with it,
 * in every Lambda bundle (test/infra/config-size.test.ts checks no bundle holds zod).
 */
import * as z from 'zod/mini';
import { CSO_SYNC_FIELDS, COLLECTION_FIELDS, isCoreField } from './model';
import { closest, isMappableTarget, isObject } from './hr/hr-config';
import { hrSchema } from './hr/hr-schema';

const positive = () => z.number().check(z.positive());
const positiveInt = () => z.int().check(z.positive());
const share = () => z.number().check(z.minimum(0), z.maximum(1));

const monitoringSchema = () => z.strictObject({
  /** Off by default: the OAuth client then asks for no integration scopes. */
  enabled: z._default(z.boolean(), false),
  /** The Coupa integration's unique code; it is found by it, and created once if missing. */
  integrationCode: z._default(z.string().check(z.minLength(1), z.maxLength(255)), 'coupa-user-sync'),
  /** The name the integration is created with (default: the code). */
  integrationName: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  /** The integration's `end-system`: where the users come from. */
  endSystem: z._default(z.string().check(z.minLength(1), z.maxLength(255)), 'HR'),
  /** Raise errors through create_alert, so Coupa e-mails the integration's contacts. */
  alertContacts: z._default(z.boolean(), false),
});

const coupaSchema = () => z.strictObject({
  /** Base URL of the Coupa instance, e.g. https://acme.coupahost.com (CLI: --coupa-url). */
  url: z.optional(z.url()),
  /** `core`: Coupa Core Users API (OAuth); `cso`: Coupa Sourcing Optimization (X-CSO-API-KEY, JSON). */
  flavor: z._default(z.enum(['core', 'cso']), 'core'),
  format: z._default(z.enum(['xml', 'json']), 'xml'),
  /** core.common.read lets pre-flight read departments, roles, currencies… (preflight.enabled). */
  scopes: z._default(z.string(), 'core.user.read core.user.write core.common.read'),
  /** Requests per second for one process (token bucket); Coupa allows 25/s, burst 20. */
  ratePerSecond: z._default(positive().check(z.maximum(25)), 20),
  burst: z._default(positiveInt().check(z.maximum(20)), 20),
  /**
   * Requests per second this integration may use on the whole instance (Coupa allows 25; the
   * default leaves room for other integrations). Split across concurrent consumers: see perProcessRate.
   */
  instanceRatePerSecond: z._default(positive().check(z.maximum(25)), 20),
  requestTimeoutMs: z._default(positiveInt(), 30_000),
  maxAttempts: z._default(z.int().check(z.minimum(1), z.maximum(10)), 5),
  /** Upper bound on the time one request may spend in retries before it becomes retryable-later. */
  maxRetryMs: z._default(positiveInt(), 60_000),
  /**
   * Requests one process keeps in flight (reads of pages, writes of users). Coupa answers in
   * 200–500 ms, so reaching the rate budget needs rate × latency of them (20/s × 0.25 s = 5).
   */
  maxInFlight: z._default(z.int().check(z.minimum(1), z.maximum(64)), 8),
  /** Logins per `login[in]=` lookup (Coupa pages at 50). */
  lookupBatchSize: z._default(z.int().check(z.minimum(1), z.maximum(50)), 50),
  /**
   * Send `fields=[…]` on user reads to shrink responses (absent = true); set false if an
   * instance rejects it. Optional so hand-built CoupaConfig objects stay valid.
   */
  useFieldsFilter: z.optional(z.boolean()),
  /** Second key to match on when the login is unknown to Coupa. */
  matchFallback: z._default(z.enum(['none', 'employee-number', 'email']), 'none'),
  /** CSO `state` that means "deactivated". */
  csoDeactivatedState: z._default(z.enum(['Disabled', 'Blocked', 'Removed']), 'Disabled'),
  /** Logins the sync must never change (e.g. the OAuth client's own user). */
  protectedLogins: z._default(z.array(z.string()), []),
  /**
   * Collections HR owns, sent by name: `roles`, `content-groups`, `user-groups`, `approval-groups`,
   * `account-groups`. Coupa replaces the WHOLE set on
   * PUT (roles a user got in Coupa by hand are dropped), so they are read, compared and written only
   * when listed here; an HR file with such a column is refused unless it is. Core only (CSO has none).
   */
  ownedCollections: z._default(z.array(z.enum(COLLECTION_FIELDS)), []),
  /** Secrets Manager secret (AWS) holding {"clientId","clientSecret"} or {"apiKey"} for CSO. */
  secretName: z._default(z.string(), 'coupa-user-sync/coupa-oauth-client'),
  /** Every applying run reported into Coupa's own integration monitoring (docs/monitoring.md). */
  monitoring: z.prefault(monitoringSchema(), {}),
}).check(
  z.superRefine((coupa, ctx) => {
    if (coupa.flavor === 'cso' && coupa.ownedCollections.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['ownedCollections'],
        input: coupa.ownedCollections,
        message:
          `CSO (coupa.flavor "cso") has no roles or groups: remove ${coupa.ownedCollections.join(', ')} ` +
          'from coupa.ownedCollections, or sync them with the core flavour',
      });
    }
    if (coupa.flavor === 'cso' && coupa.monitoring.enabled) {
      ctx.addIssue({
        code: 'custom',
        path: ['monitoring', 'enabled'],
        input: true,
        message: 'CSO (coupa.flavor "cso") has no integration monitoring: set coupa.monitoring.enabled false, or use the core flavour',
      });
    }
  }),
);

const apiChannelSchema = () => z.strictObject({
  /** Concurrent api-consumer Lambdas; × coupa.ratePerSecond must stay under the instance budget. */
  maxConcurrency: z._default(z.int().check(z.minimum(2), z.maximum(1000)), 2),
  /** SQS FIFO allows at most 10 messages per batch. */
  batchSize: z._default(z.int().check(z.minimum(1), z.maximum(10)), 10),
  /**
   * Failed attempts before the DLQ (the api-consumer counts only attempts Coupa failed, not untried hand-backs);
   * with the retry backoff (1, 2, 4… 30 min) 10 span about 2.5 h of Coupa outage. Must stay below the api queue's
   * redrive backstop (100 receives, API_REDRIVE_BACKSTOP). The csv queue dead-letters after this many deliveries (≥ 5).
   */
  maxReceiveCount: z._default(z.int().check(z.minimum(1)), 10),
});

const csvChannelSchema = () => z.strictObject({
  remoteDirectory: z._default(z.string(), '/Incoming/Users'),
  maxRowsPerFile: z._default(z.int().check(z.minimum(1), z.maximum(5000)), 5000),
  maxBytesPerFile: z._default(z.int().check(z.minimum(1024), z.maximum(8 * 1024 * 1024)), 8 * 1024 * 1024),
  /** An instance's own user-import template (CSV); its header row gives the column spelling. */
  headerTemplateFile: z.optional(z.string()),
  /**
   * Column spellings (documented name → the instance's), filled from headerTemplateFile when the
   * config is loaded (CLI) or synthesized (CDK), so the Lambdas need no file.
   */
  headerNames: z.optional(z.record(z.string(), z.string())),
  batchSize: z._default(z.int().check(z.minimum(1), z.maximum(10_000)), 1000),
  batchingWindowSeconds: z._default(z.int().check(z.minimum(0), z.maximum(300)), 60),
  /** Seconds to wait for Coupa's loader results (0 = do not wait). */
  waitResultsSeconds: z._default(z.int().check(z.minimum(0)), 600),
  sftp: z.prefault(
    z.strictObject({
      /**
       * sftp://user@host:port — the Coupa sFTP endpoint the Transfer Family connector calls. Setting it
       * (or `delivery: "csv"`) deploys the CSV channel (csvChannelDeployed); unset, the stack has none.
       * The CLI takes its own `--sftp-url` instead.
       */
      url: z.optional(z.string().check(z.regex(/^sftp:\/\/[^\s/]+/, 'must be sftp://host (optionally user@host:port)'))),
      /** ssh-keyscan lines of the server's host key(s); required whenever the CSV channel is deployed. */
      trustedHostKeys: z._default(z.array(z.string()), []),
      /** Secrets Manager secret with {"Username","PrivateKey"} (or "Password") for the connector. */
      secretName: z._default(z.string(), 'coupa-user-sync/coupa-sftp'),
    }),
    {},
  ),
});

/**
 * How the HR file is read against Coupa (the reconcile issue). `delta`: the file lists changes,
 * users it does not name are left alone. `full`: the file is the whole workforce, so every active
 * Coupa user it does not list is deactivated (except API users, protected and exempt logins).
 */
const rosterSchema = () => z.strictObject({
  mode: z._default(z.enum(['delta', 'full']), 'delta'),
  /** Glob patterns (`*`, `?`; case-insensitive) of logins a full roster never deactivates, e.g. "svc-*". */
  exempt: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** Deactivation guard: a run that would deactivate more users than this is held. */
  maxDeactivations: z._default(z.int().check(z.minimum(0)), 100),
  /** … or more than this share of the active users it may deactivate … */
  maxDeactivationShare: z._default(share(), 0.2),
  /** … when that is also more than this many users (a small instance's one leaver is never held). */
  minDeactivationsGuarded: z._default(z.int().check(z.minimum(0)), 5),
  /** Completeness guard: a full roster smaller than the last accepted one by more than this share is held. */
  maxRosterShrink: z._default(share(), 0.1),
  /** A held run writes nothing (`hold-all`), or everything but the deactivations (`apply-rest`). */
  onHold: z._default(z.enum(['hold-all', 'apply-rest']), 'hold-all'),
  /** A kept snapshot of Coupa's users older than this is read again in full instead of refreshed. */
  snapshotMaxAgeHours: z._default(positive(), 168),
  /**
   * AWS: a full read of Coupa's users that does not fit one planner invocation stops and is
   * continued by a fresh one; after this many continuations (8 ≈ 2 h of reading) the run gives up
   * with an alert rather than read on for ever against a Coupa that answers too slowly.
   */
  maxReadContinuations: z._default(z.int().check(z.minimum(0), z.maximum(96)), 8),
});

/**
 * Pre-flight (plan/preflight.ts): every reference a plan would send (department, charts of accounts
 * and accounts, addresses, legal entities, currencies, owned roles and groups) is checked against
 * Coupa's lists, and e-mails against other Coupa users, before anything is written.
 */
const preflightSchema = () => z.strictObject({
  /** false: nothing is checked before writing; Coupa's own refusals then fail the rows at apply. */
  enabled: z._default(z.boolean(), true),
  /** A kept copy of a reference list older than this is read again (a value not in a fresher copy refreshes it once a run). */
  maxAgeHours: z._default(positive().check(z.maximum(24 * 30)), 24),
  /** A row naming an unknown reference: `reject` the row (nothing sent), or `skip-field` (send the rest, with a warning). */
  unknownReference: z._default(z.enum(['reject', 'skip-field']), 'reject'),
});

const applySchema = () => z.strictObject({
  /** Circuit breaker: stop when more than this share of the first `breakerWindow` writes fail. */
  maxFailureShare: z._default(share(), 0.5),
  breakerWindow: z._default(z.int().check(z.minimum(1)), 20),
});

/**
 * The drop bucket (AWS): its encryption and how long each part of it is kept. Retention is the
 * privacy side of the audit trail: HR files and user-import files carry personal data and are only
 * needed to re-run a failed day; runs/ (plans, outcomes, reports) is the audit.
 */
const storageSchema = () => z.strictObject({
  /** `s3`: SSE-S3 (AES-256, AWS-owned keys); `kms`: SSE-KMS with a customer-managed key (kmsKeyArn, or one the stack creates with rotation). */
  encryption: z._default(z.enum(['s3', 'kms']), 's3'),
  /** An existing KMS key for the bucket (`encryption: "kms"` only); its key policy must let this account's IAM policies grant it. */
  kmsKeyArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/, 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)'))),
  /** Days runs/ (plans, outcomes, reports: the audit trail) is kept; 0 = never expire (runs/ only). A year of audit plus slack. */
  runsRetentionDays: z._default(z.int().check(z.minimum(0)), 400),
  /** Days HR files under incoming/ and plan/ are kept (personal data: only to re-run a failed day). */
  incomingRetentionDays: z._default(positiveInt(), 30),
  /** Days user-import files and their manifests under outbox/ are kept. */
  outboxRetentionDays: z._default(positiveInt(), 30),
});

const approvalSchema = () => z.strictObject({
  /** A held run not approved within this many hours expires (with an alert); nothing of it is written. */
  expireAfterHours: z._default(positive().check(z.maximum(24 * 30)), 72),
});

const buildConfigSchema = () => z
  .strictObject({
    stackName: z._default(z.string(), 'CoupaUserSync'),
    /** `api` (Users API) or `csv` (user-import files over sFTP). Keys under incoming/csv/ always go to csv. */
    delivery: z._default(z.enum(['api', 'csv']), 'api'),
    /** Plan only: every run writes its plan and report and changes nothing in Coupa. */
    dryRun: z._default(z.boolean(), false),
    roster: z.prefault(rosterSchema(), {}),
    preflight: z.prefault(preflightSchema(), {}),
    apply: z.prefault(applySchema(), {}),
    approval: z.prefault(approvalSchema(), {}),
    coupa: z.prefault(coupaSchema(), {}),
    api: z.prefault(apiChannelSchema(), {}),
    csv: z.prefault(csvChannelSchema(), {}),
    /** How the HR file is read and mapped to Coupa user elements (lambdas/core/hr/hr-config.ts). */
    hr: z.prefault(hrSchema(), {}),
    /** The drop bucket: encryption and retention (AWS only). */
    storage: z.prefault(storageSchema(), {}),
    notifications: z.prefault(
      z.strictObject({
        /** Optional e-mail address subscribed to the failure topic. */
        email: z.optional(z.email()),
      }),
      {},
    ),
    reports: z.prefault(
      z.strictObject({
        /**
         * Hours after its plan when a run still applying alerts once as overdue (AWS: it keeps its turn
         * until every change has an outcome; a CSV run is then reported with its delivered rows
         * `submitted`), and a run waiting for its turn alerts once.
         */
        reportAfterHours: z._default(positive().check(z.maximum(24 * 14)), 24),
      }),
      {},
    ),
  })
  .check(
    z.superRefine((config, ctx) => {
      const storage = config.storage;
      if (storage.kmsKeyArn && storage.encryption !== 'kms') {
        ctx.addIssue({ code: 'custom', path: ['storage', 'kmsKeyArn'], input: storage.kmsKeyArn, message: 'a key is used only with storage.encryption "kms": set it, or remove the key' });
      }
      // A run's records must outlive its wait: a held run's plan until it expires, outcomes until the report.
      const waitHours = Math.max(config.approval.expireAfterHours, config.reports.reportAfterHours);
      if (storage.runsRetentionDays !== 0 && storage.runsRetentionDays * 24 <= waitHours) {
        ctx.addIssue({
          code: 'custom', path: ['storage', 'runsRetentionDays'], input: storage.runsRetentionDays,
          message: `must be 0 (never expire) or longer than approval.expireAfterHours and reports.reportAfterHours (${waitHours} h): a run's plan and outcomes would expire before its report`,
        });
      }
      // Pending manifests (outbox/manifests/) are read until the run is reported.
      if (storage.outboxRetentionDays * 24 <= config.reports.reportAfterHours) {
        ctx.addIssue({
          code: 'custom', path: ['storage', 'outboxRetentionDays'], input: storage.outboxRetentionDays,
          message: `must be longer than reports.reportAfterHours (${config.reports.reportAfterHours} h): pending user-import manifests would expire before their results are read`,
        });
      }
      // (No `when`: runs only once every section parsed, since it reads their numbers.)
    }),
    z.superRefine((config, ctx) => {
      // A mapped field the flavour's users do not have, or a collection HR does not own, could only be dropped.
      const cso = config.coupa.flavor === 'cso';
      const owned: readonly string[] = Array.isArray(config.coupa.ownedCollections) ? config.coupa.ownedCollections : [];
      for (const target of Object.keys(config.hr.fields ?? {})) {
        const report = (message: string) => ctx.addIssue({ code: 'custom', path: ['hr', 'fields', target], input: target, message });
        if (target === 'login' || target === 'action' || !isMappableTarget(target)) continue;
        if (cso && !(CSO_SYNC_FIELDS as readonly string[]).includes(target)) {
          report(`CSO (coupa.flavor "cso") users have no ${target}: CSO takes ${CSO_SYNC_FIELDS.join(', ')}`);
        } else if (!cso && !isCoreField(target) && !target.startsWith('custom-fields.')) {
          report(`a CSO field: Coupa core users have no ${target} (set coupa.flavor "cso", or map it to a core element)`);
        } else if ((COLLECTION_FIELDS as readonly string[]).includes(target) && !owned.includes(target)) {
          report(`Coupa replaces a user's whole ${target} set when it is sent: add "${target}" to coupa.ownedCollections to let HR own it`);
        }
      }
    }, {
      when: ({ value }) => isObject(value) && isObject(value.coupa) && isObject(value.hr) && (value.hr.fields === undefined || isObject(value.hr.fields)),
    }),
  );

type ConfigSchema = ReturnType<typeof buildConfigSchema>;
export type SyncConfig = z.infer<ConfigSchema>;

let built: ConfigSchema | undefined;
/** The schema, built on first use (see the header: importing this module must cost a bundle nothing). */
const configSchema = (): ConfigSchema => (built ??= buildConfigSchema());

/** Parses and validates a config object; the error names every bad field. */
export function parseConfig(input: unknown): SyncConfig {
  const result = configSchema().safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.flatMap(describeIssue);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

type Issue = z.core.$ZodIssue;

const EXPECTED: Record<string, string> = {
  int: 'a whole number', number: 'a number', string: 'text', boolean: 'true or false', object: 'an object', record: 'an object', array: 'a list',
};

const pathOf = (path: readonly PropertyKey[]): string => (path.length === 0 ? '(root)' : path.map(String).join('.'));

/** What a schema node of zod/mini holds (its internal definition; read only to name known keys). */
interface SchemaDef {
  type: string;
  innerType?: { _zod: { def: SchemaDef } };
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  valueType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  options?: Array<{ _zod: { def: SchemaDef } }>;
}

/**
 * The keys the config schema knows at a path (for "did you mean"): the schema is walked as the
 * issue's path walks the config, through defaults, records' values and lists' items. Empty when
 * the path leads nowhere the schema names keys.
 */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  const objectAt = (def: SchemaDef | undefined): SchemaDef | undefined => {
    while (def && def.innerType && !def.shape) def = def.innerType._zod.def;
    if (def?.type === 'union') return def.options?.map((o) => objectAt(o._zod.def)).find((d) => d?.shape);
    return def;
  };
  let def = objectAt((configSchema() as unknown as { _zod: { def: SchemaDef } })._zod.def);
  for (const step of path) {
    if (!def) return [];
    if (def.shape) def = def.shape[String(step)]?._zod.def;
    else if (def.valueType) def = def.valueType._zod.def;
    else if (def.element) def = def.element._zod.def;
    else return [];
    def = objectAt(def);
  }
  return def?.shape ? Object.keys(def.shape) : [];
}

/** `path: what is wrong`, in our words (zod/mini carries no locale texts). One line per unknown key. */
export function describeIssue(issue: Issue): string[] {
  const at = pathOf(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(issue.path);
      return issue.keys.map((key) => {
        const near = closest(key, known);
        return `${at}: unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}`;
      });
    }
    case 'invalid_type':
      return [`${at}: expected ${EXPECTED[issue.expected] ?? issue.expected}`];
    case 'invalid_value':
      return [`${at}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`];
    case 'too_big':
      return [`${at}: Too big: at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`];
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return [`${at}: must not be empty`];
      if (issue.origin === 'array') return [`${at}: must list at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}`];
      return [`${at}: Too small: at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters' : ''}`];
    case 'invalid_format':
      // A pattern's own message says what is expected (e.g. "must be a KMS key ARN …").
      if (issue.format === 'regex') return [`${at}: ${issue.message}`];
      return [`${at}: not a valid ${issue.format === 'url' ? 'URL' : issue.format === 'email' ? 'e-mail address' : issue.format}`];
    case 'not_multiple_of':
      return [`${at}: must be a whole number`];
    case 'invalid_union':
      return [`${at}: expected ${at.endsWith('map') || /\.map\./.test(at) || /\.(value|default)$/.test(at) ? 'text or true/false' : 'another kind of value'}`];
    default:
      return [`${at}: ${issue.message}`];
  }
}
