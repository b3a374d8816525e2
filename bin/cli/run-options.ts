/** Parses `coupa-sync run` arguments into options, with a UsageError for anything wrong. */
import { secureBaseUrl } from '../../lambdas/adapters/coupa/url-policy';
import { parseCommandLine, UsageError } from './usage';

export interface RunOptions {
  file: string;
  coupaUrl?: string;
  format?: 'xml' | 'json';
  flavor?: 'core' | 'cso';
  /** Report files, each written in the format of its extension (.json, .csv, .html). */
  reports: string[];
  dryRun: boolean;
  roster?: 'delta' | 'full';
  /** Where plans, reports, the snapshot and the accepted roster are kept (default .coupa-sync/). */
  stateDir?: string;
  config?: string;
  delivery?: 'api' | 'csv';
  sftpUrl?: string;
  sftpHostKey?: string;
  waitResults?: number;
}

/** The flags `run`, `plan` and `approve` share: which Coupa, how, where the state and reports go. */
const TARGET_OPTIONS = {
  'coupa-url': { type: 'string' },
  format: { type: 'string' },
  flavor: { type: 'string' },
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  report: { type: 'string', multiple: true },
  delivery: { type: 'string' },
  'sftp-url': { type: 'string' },
  'sftp-host-key': { type: 'string' },
  'wait-results': { type: 'string' },
} as const;

/** The parsed values of TARGET_OPTIONS. */
type TargetValues = { [K in keyof typeof TARGET_OPTIONS]?: K extends 'report' ? string[] : string };

export function parseRunOptions(argv: string[], command = 'run'): RunOptions {
  const { values: raw, positionals } = parseCommandLine(command, argv, {
    options: { ...TARGET_OPTIONS, ...(command === 'plan' ? {} : { 'dry-run': { type: 'boolean' } }), roster: { type: 'string' } },
  });
  const values = raw as TargetValues & { 'dry-run'?: boolean; roster?: string };
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one HR file, got ${positionals.length}`);
  const roster = values.roster;
  if (roster !== undefined && roster !== 'delta' && roster !== 'full') throw new UsageError(`--roster must be full or delta, not "${roster}"`);
  const format = values.format;
  if (format !== undefined && format !== 'xml' && format !== 'json') throw new UsageError(`--format must be xml or json, not "${format}"`);
  const flavor = values.flavor;
  if (flavor !== undefined && flavor !== 'core' && flavor !== 'cso') throw new UsageError(`--flavor must be core or cso, not "${flavor}"`);
  if (flavor === 'cso' && format === 'xml') throw new UsageError('CSO speaks JSON only: use --format json (or leave --format out)');
  const delivery = values.delivery;
  if (delivery !== undefined && delivery !== 'api' && delivery !== 'csv') throw new UsageError(`--delivery must be api or csv, not "${delivery}"`);
  const coupaUrl = values['coupa-url'];
  if (coupaUrl !== undefined) {
    try {
      secureBaseUrl(coupaUrl);
    } catch (err) {
      throw new UsageError(`--coupa-url: ${(err as Error).message}`);
    }
  }
  const wait = values['wait-results'];
  if (wait !== undefined && !/^\d+$/.test(wait)) throw new UsageError(`--wait-results takes whole seconds, not "${wait}"`);
  if (delivery === 'csv' && !values['sftp-url'] && coupaUrl) {
    throw new UsageError('--delivery csv against a real Coupa needs --sftp-url sftp://user@host:port/Incoming/Users');
  }
  return {
    file: positionals[0],
    coupaUrl: coupaUrl?.replace(/\/+$/, ''),
    format,
    flavor,
    reports: values.report ?? [],
    dryRun: values['dry-run'] ?? false,
    roster,
    stateDir: values['state-dir'],
    config: values.config,
    delivery,
    sftpUrl: values['sftp-url'],
    sftpHostKey: values['sftp-host-key'],
    waitResults: wait === undefined ? undefined : Number(wait),
  };
}

export interface ApproveOptions {
  runId: string;
  coupaUrl?: string;
  format?: 'xml' | 'json';
  flavor?: 'core' | 'cso';
  config?: string;
  stateDir?: string;
  reports: string[];
  /** AWS: approve a run held in the deployed stack; its run table (the stack's RunTableName output) holds the token. */
  table?: string;
  delivery?: 'api' | 'csv';
  sftpUrl?: string;
  sftpHostKey?: string;
  waitResults?: number;
  roster?: 'delta' | 'full';
}

export interface RejectOptions {
  runId: string;
  /** Why the run is rejected: kept in its report and digest. */
  why?: string;
  /** AWS: reject a run held in the deployed stack (its run table, the stack's RunTableName output). */
  table?: string;
  stateDir?: string;
  reports: string[];
}

/**
 * `coupa-sync reject <runId> [--why TEXT] [--state-dir DIR] [--report FILE]...`. The approve and reject
 * options are parsed here, in one place: an AWS form (a table or bucket to write the decision to)
 * is one more option in REJECT_OPTIONS.
 */
const REJECT_OPTIONS = {
  why: { type: 'string' },
  table: { type: 'string' },
  'state-dir': { type: 'string' },
  report: { type: 'string', multiple: true },
} as const;

export function parseRejectOptions(argv: string[]): RejectOptions {
  const { values: raw, positionals } = parseCommandLine('reject', argv, { options: REJECT_OPTIONS });
  const values = raw as { why?: string; table?: string; 'state-dir'?: string; report?: string[] };
  if (positionals.length !== 1) throw new UsageError(`reject takes exactly one run id, got ${positionals.length}`);
  return { runId: positionals[0], why: values.why, table: values.table, stateDir: values['state-dir'], reports: values.report ?? [] };
}

/** `coupa-sync approve <runId> [--coupa-url URL] [--config FILE] [--state-dir DIR] [--report FILE] [--table NAME]`. */
export function parseApproveOptions(argv: string[]): ApproveOptions {
  const { values: raw, positionals } = parseCommandLine('approve', argv, { options: { ...TARGET_OPTIONS, table: { type: 'string' } } });
  const values = raw as TargetValues & { table?: string };
  if (positionals.length !== 1) throw new UsageError(`approve takes exactly one run id, got ${positionals.length}`);
  // The run options' checks apply to the flags both commands share.
  const shared = parseRunOptions([
    'approval',
    ...Object.entries({ 'coupa-url': values['coupa-url'], format: values.format, flavor: values.flavor, delivery: values.delivery, 'sftp-url': values['sftp-url'], 'sftp-host-key': values['sftp-host-key'], 'wait-results': values['wait-results'] })
      .flatMap(([k, v]) => (v === undefined ? [] : [`--${k}`, v])),
  ], 'approve');
  return {
    runId: positionals[0],
    coupaUrl: shared.coupaUrl,
    format: shared.format,
    flavor: shared.flavor,
    config: values.config,
    stateDir: values['state-dir'],
    reports: values.report ?? [],
    table: values.table,
    delivery: shared.delivery,
    sftpUrl: shared.sftpUrl,
    sftpHostKey: shared.sftpHostKey,
    waitResults: shared.waitResults,
  };
}
