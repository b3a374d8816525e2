/**
 * Coupa's CSV user loader over a folder (what the sFTP /Incoming/Users pick-up does), and the
 * data file source records it leaves behind for GET /api/data_file_sources.
 *
 * Like Coupa: `*.csv` files are taken in alphanumeric order and moved to the archive folder before
 * being processed; a bad row becomes an upload error and does not stop the others; a file without a
 * Login column or that cannot be parsed fails whole. Choices where Coupa is undocumented:
 * - `row` is the file's line number at which the record ends (header = 1; the same as the start line
 *   unless a quoted value spans lines). One upload error per (row, column), with all its messages.
 * - Headers match ignoring case, extra spaces and a trailing `*`; unknown columns are ignored.
 * - An empty cell leaves the value unchanged on update; `--NULL--` clears it (and clears roles).
 * - A row matches by `Id` when given, else by `Login`, else by `Employee Number` (which may rename
 *   the login, as Coupa documents); otherwise it creates a user.
 * - `Authentication Method` is matched ignoring case (the CSV spec writes Coupa_Credentials, SAML).
 * - A UTF-8 BOM is tolerated (Coupa asks for none, but Excel writes one).
 * - `records-updated` counts rows that changed something; unchanged rows count as processed only.
 * - `created-at` keeps milliseconds, so `created_at[gt]=<just before upload>` is never ambiguous.
 */
import { copyFile, mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataFileSource } from './server';
import type { CoreUserStore, FieldError, Json } from './store';
import { LICENCE_BOOLEANS } from './elements';

/** Coupa's per-file row limit (header excluded). */
const MAX_ROWS = 5000;

type Column =
  | { kind: 'id' }
  | { kind: 'string' | 'boolean' | 'status' | 'manager' | 'list' | 'method' | 'custom'; element: string }
  | { kind: 'reference'; element: string; key: string };

const LICENCE_COLUMN_NAMES: Record<string, string> = {
  'ai classification user': 'aic-user',
  'contingent workforce user': 'ccw-user',
  'does the user have a contract lifecycle management advanced license?': 'clm-advanced-user',
};

const COLUMNS: Record<string, Column> = {
  id: { kind: 'id' },
  login: { kind: 'string', element: 'login' },
  email: { kind: 'string', element: 'email' },
  'first name': { kind: 'string', element: 'firstname' },
  'last name': { kind: 'string', element: 'lastname' },
  'middle name': { kind: 'string', element: 'middlename' },
  status: { kind: 'status', element: 'active' },
  'employee number': { kind: 'string', element: 'employee-number' },
  'sso identifier': { kind: 'string', element: 'sso-identifier' },
  'authentication method': { kind: 'method', element: 'authentication-method' },
  'approver login': { kind: 'manager', element: 'manager' },
  'default locale': { kind: 'string', element: 'default-locale' },
  'default currency': { kind: 'string', element: 'default-currency' },
  'mention name': { kind: 'string', element: 'mention-name' },
  'user role names': { kind: 'list', element: 'roles' },
  'content groups': { kind: 'list', element: 'content-groups' },
  groups: { kind: 'list', element: 'user-groups' },
  'approval group names': { kind: 'list', element: 'approval-groups' },
  'account group names': { kind: 'list', element: 'account-groups' },
  'phone work': { kind: 'string', element: 'phone-work' },
  'phone mobile': { kind: 'string', element: 'phone-mobile' },
  department: { kind: 'reference', element: 'department', key: 'name' },
  'default chart of accounts name': { kind: 'reference', element: 'default-account-type', key: 'name' },
  'default account code': { kind: 'reference', element: 'default-account', key: 'code' },
  'default address location code': { kind: 'reference', element: 'default-address', key: 'location-code' },
  'legal entity name': { kind: 'reference', element: 'legal-entity', key: 'name' },
  'country of residence code': { kind: 'reference', element: 'country-of-residence', key: 'code' },
  'generate password and notify user': { kind: 'boolean', element: 'generate-password-and-notify' },
  ...Object.fromEntries(
    ['requisition', 'expense', 'invoice'].flatMap((kind) => [
      [`${kind} approval limit`, { kind: 'string', element: `${kind}-approval-limit` } as Column],
      [`${kind} self approval limit`, { kind: 'string', element: `${kind}-self-approval-limit` } as Column],
    ]),
  ),
  ...Object.fromEntries(LICENCE_BOOLEANS.map((e) => [e.replace(/-/g, ' '), { kind: 'boolean', element: e } as Column])),
  ...Object.fromEntries(Object.entries(LICENCE_COLUMN_NAMES).map(([n, e]) => [n, { kind: 'boolean', element: e } as Column])),
};

/** The canonical column of an element, for errors on elements the file has no column for. */
const CANONICAL_HEADER: Record<string, string> = {
  login: 'Login', email: 'Email', firstname: 'First Name', lastname: 'Last Name', active: 'Status',
  'employee-number': 'Employee Number', manager: 'Approver Login', 'authentication-method': 'Authentication Method',
};

function normalizeHeader(header: string): string {
  return header.trim().replace(/\*+$/, '').trim().replace(/\s+/g, ' ').toLowerCase();
}

const CSV_BOOLEAN: Record<string, boolean> = { yes: true, true: true, y: true, t: true, no: false, false: false, n: false, f: false };
const nowIso = () => new Date().toISOString();

/** The loader's results, newest last; ids count from 1. */
export class DataFileSourceLog {
  private readonly entries: DataFileSource[] = [];

  start(fileName: string): DataFileSource {
    const entry: DataFileSource = {
      id: this.entries.length + 1, 'file-file-name': fileName, 'source-for': 'User', status: 'Pending',
      'records-created': 0, 'records-updated': 0, 'upload-errors-count': 0, 'result-text': '', 'created-at': nowIso(),
      'upload-errors': [],
    };
    this.entries.push(entry);
    return entry;
  }

  all(): DataFileSource[] {
    return structuredClone(this.entries);
  }
}

export interface LoaderOptions {
  incomingDir: string;
  archiveDir?: string;
}

export class CsvUserLoader {
  private chain: Promise<unknown> = Promise.resolve();
  readonly archiveDir: string;

  constructor(
    private readonly users: CoreUserStore,
    private readonly log: DataFileSourceLog,
    private readonly options: LoaderOptions,
  ) {
    // Coupa archives /Incoming/Users files under /Incoming/Archive/Users: a sibling of the folder.
    this.archiveDir = options.archiveDir ?? join(dirname(options.incomingDir), 'Archive', 'Users');
  }

  /** Processes every waiting `*.csv` once; runs never overlap (a timer and a test may both call). */
  processIncoming(): Promise<DataFileSource[]> {
    const run = this.chain.then(() => this.processAll());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves when no run is in flight (close() waits for it). */
  idle(): Promise<unknown> {
    return this.chain;
  }

  private async processAll(): Promise<DataFileSource[]> {
    // Only *.csv: uploads land as .tmp/.part and are renamed when complete.
    const names = (await readdir(this.options.incomingDir, { withFileTypes: true }))
      .filter((d) => d.isFile() && /\.csv$/i.test(d.name))
      .map((d) => d.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const results: DataFileSource[] = [];
    for (const name of names) {
      await mkdir(this.archiveDir, { recursive: true });
      const archived = join(this.archiveDir, name);
      try {
        await move(join(this.options.incomingDir, name), archived);
      } catch {
        continue; // taken away meanwhile
      }
      const entry = this.log.start(name);
      entry.status = 'Loading';
      this.load(await readFile(archived), entry);
      results.push(structuredClone(entry));
    }
    return results;
  }

  private load(content: Buffer, entry: DataFileSource): void {
    let records: Array<{ record: string[]; info: { lines: number } }>;
    try {
      records = parse(content, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true }) as never;
    } catch (error) {
      const line = (error as { lines?: number }).lines ?? 0;
      return fail(entry, line, '', `The file could not be parsed: ${(error as Error).message}`);
    }
    if (records.length === 0) return fail(entry, 1, '', 'The file is empty');
    const headers = records[0].record;
    const customFields = new Map(this.users.customFieldNames.map((n) => [normalizeHeader(n), n]));
    const columns = headers.map((h): Column | undefined => {
      const custom = customFields.get(normalizeHeader(h));
      return COLUMNS[normalizeHeader(h)] ?? (custom === undefined ? undefined : { kind: 'custom', element: custom });
    });
    if (!columns.some((c) => c && c.kind === 'string' && c.element === 'login')) {
      return fail(entry, 1, 'Login', 'Missing required column: Login');
    }
    if (records.length - 1 > MAX_ROWS) return fail(entry, 1, '', `The file has more than ${MAX_ROWS} rows`);
    const rows = records.slice(1);
    for (const { record, info } of rows) this.loadRow(record, info.lines, headers, columns, entry);
    entry['upload-errors-count'] = entry['upload-errors'].length;
    entry['result-text'] =
      `${rows.length} rows processed, creating ${entry['records-created']} new rows and updating ${entry['records-updated']} rows`;
    entry.status = 'Done';
  }

  private loadRow(cells: string[], row: number, headers: string[], columns: Array<Column | undefined>, entry: DataFileSource): void {
    const input: Json = {};
    const problems: Array<FieldError & { value: string }> = [];
    const headerOf = new Map<string, { header: string; value: string }>();
    let idCell = '';
    columns.forEach((column, index) => {
      const value = (cells[index] ?? '').trim();
      if (!column) return;
      if (column.kind === 'id') {
        idCell = value;
        return;
      }
      headerOf.set(column.kind === 'custom' ? 'custom-fields' : column.element, { header: headers[index].trim(), value });
      if (value === '') return;
      const cleared = value === '--NULL--';
      const problem = (message: string) => problems.push({ field: column.element, message, value });
      switch (column.kind) {
        case 'boolean': {
          const parsed = CSV_BOOLEAN[value.toLowerCase()];
          if (parsed === undefined) problem(`${headers[index].trim()} must be Yes/No, True/False, Y/N or T/F`);
          else input[column.element] = parsed;
          break;
        }
        case 'status':
          if (/^(active|inactive)$/i.test(value)) input.active = value.toLowerCase() === 'active';
          else problem('Status must be active or inactive');
          break;
        case 'manager':
          input.manager = cleared ? null : { login: value };
          break;
        case 'list':
          input[column.element] = cleared ? [] : value.split(',').map((n) => ({ name: n.trim() })).filter((r) => r.name !== '');
          break;
        case 'method':
          input[column.element] = cleared ? null : value.toLowerCase();
          break;
        case 'reference':
          input[column.element] = cleared ? null : { [column.key]: value };
          break;
        case 'custom':
          input['custom-fields'] = { ...(input['custom-fields'] as Json | undefined), [column.element]: cleared ? null : value };
          break;
        default:
          input[column.element] = cleared ? null : value;
      }
    });

    const target = this.findTarget(idCell, input);
    if (target === 'unknown-id') {
      problems.push({ field: 'id', message: `Id ${idCell} does not match a user`, value: idCell });
    } else {
      // A row with cell problems is still validated (without saving) so it reports every error at once.
      const commit = problems.length === 0;
      const result = target === undefined ? this.users.create(input, commit) : this.users.update(target, input, commit);
      if (result.ok && commit) {
        if (target === undefined) entry['records-created'] += 1;
        else if (result.changed) entry['records-updated'] += 1;
        return;
      }
      if (!result.ok) for (const error of result.errors) problems.push({ ...error, value: headerOf.get(error.field)?.value ?? '' });
    }
    const byField = new Map<string, DataFileSource['upload-errors'][number]>();
    for (const problem of problems) {
      const header = problem.field === 'id' ? 'Id' : (headerOf.get(problem.field)?.header ?? CANONICAL_HEADER[problem.field] ?? problem.field);
      const existing = byField.get(header);
      if (existing) existing['field-errors'].push(problem.message);
      else byField.set(header, { row, 'field-with-error': header, value: problem.value, 'field-errors': [problem.message] });
    }
    // Report in the file's column order, like a person reading the row left to right.
    const columnIndex = (header: string) => headers.findIndex((h) => h.trim() === header);
    entry['upload-errors'].push(...[...byField.values()].sort((a, b) => columnIndex(a['field-with-error']) - columnIndex(b['field-with-error'])));
  }

  /** The id of the user this row updates, undefined to create, or 'unknown-id'. */
  private findTarget(idCell: string, input: Json): number | undefined | 'unknown-id' {
    if (idCell !== '') return this.users.get(Number(idCell)) ? Number(idCell) : 'unknown-id';
    if (typeof input.login === 'string') {
      const byLogin = this.users.findByLogin(input.login);
      if (byLogin) return byLogin.id;
    }
    const employeeNumber = input['employee-number'];
    if (typeof employeeNumber === 'string') return this.users.findBy('employee-number', employeeNumber)?.id;
    return undefined;
  }
}

function fail(entry: DataFileSource, row: number, field: string, message: string): void {
  entry.status = 'Failed';
  entry['upload-errors'] = [{ row, 'field-with-error': field, value: '', 'field-errors': [message] }];
  entry['upload-errors-count'] = 1;
  entry['result-text'] = message;
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await unlink(from);
  }
}
