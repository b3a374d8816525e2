/** Parses `coupa-sync run` arguments into options, with a UsageError for anything wrong. */
import { parseArgs } from 'node:util';
import { UsageError } from './usage';

export interface RunOptions {
  file: string;
  coupaUrl?: string;
  format?: 'xml' | 'json';
  flavor?: 'core' | 'cso';
  report?: string;
  dryRun: boolean;
  config?: string;
  delivery?: 'api' | 'csv';
  sftpUrl?: string;
  sftpHostKey?: string;
  waitResults?: number;
}

export function parseRunOptions(argv: string[]): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'coupa-url': { type: 'string' },
        format: { type: 'string' },
        flavor: { type: 'string' },
        report: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        config: { type: 'string' },
        delivery: { type: 'string' },
        'sftp-url': { type: 'string' },
        'sftp-host-key': { type: 'string' },
        'wait-results': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`run takes exactly one HR file, got ${positionals.length}`);
  const format = values.format;
  if (format !== undefined && format !== 'xml' && format !== 'json') throw new UsageError(`--format must be xml or json, not "${format}"`);
  const flavor = values.flavor;
  if (flavor !== undefined && flavor !== 'core' && flavor !== 'cso') throw new UsageError(`--flavor must be core or cso, not "${flavor}"`);
  if (flavor === 'cso' && format === 'xml') throw new UsageError('CSO speaks JSON only: use --format json (or leave --format out)');
  const delivery = values.delivery;
  if (delivery !== undefined && delivery !== 'api' && delivery !== 'csv') throw new UsageError(`--delivery must be api or csv, not "${delivery}"`);
  const coupaUrl = values['coupa-url'];
  if (coupaUrl !== undefined && !/^https?:\/\/[^/]+/.test(coupaUrl)) throw new UsageError(`--coupa-url must be an http(s) URL, not "${coupaUrl}"`);
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
    report: values.report,
    dryRun: values['dry-run'] ?? false,
    config: values.config,
    delivery,
    sftpUrl: values['sftp-url'],
    sftpHostKey: values['sftp-host-key'],
    waitResults: wait === undefined ? undefined : Number(wait),
  };
}
