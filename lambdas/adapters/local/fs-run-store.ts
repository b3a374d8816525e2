/**
 * RunStore and SnapshotStore on a local state folder (`--state-dir`, default `.coupa-sync/`):
 *
 *   runs/<runId>/plan.json, runs/<runId>/report.json     every run's plan and report
 *   runs/<runId>/outcomes.jsonl                          its row outcomes as decided (the report's rows)
 *   instances/<instance>/accepted-roster.json            the last full roster applied or approved
 *   instances/<instance>/users.ndjson                    the kept snapshot of Coupa's users
 *   instances/<instance>/references/<kind>.ndjson        kept reference lists (pre-flight: departments, roles, …)
 *
 * State that depends on the Coupa instance is kept per instance (its URL), so a run against a test
 * instance never moves the figures of production. Writes go to a temp file and are renamed: a
 * crash never leaves half a plan.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile, access } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { RunReport } from '../../core/model';
import type { AcceptedRoster, ReferenceKind, ReferenceListStore, RunStore, SnapshotStore, StoredPlan } from '../../core/ports';
import { reportJsonChunks } from '../../core/report';
import { FsLineSpool } from './fs-line-spool';
import { writeChunks } from './write-chunks';
import { indentedJsonChunks } from './json-chunks';

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, 'utf8');
  await rename(temp, path);
}

function* withNewline(chunks: Iterable<string>): Iterable<string> {
  yield* chunks;
  yield '\n';
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** A folder name for a Coupa instance: readable host, plus a hash so two URLs never share one. */
export function instanceFolder(baseUrl: string): string {
  const host = baseUrl.replace(/^\w+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 60);
  return `${host}-${createHash('sha256').update(baseUrl).digest('hex').slice(0, 8)}`;
}

export class FsRunStore implements RunStore {
  constructor(
    readonly dir: string,
    private readonly instance: string,
  ) {}

  private runDir(runId: string): string {
    if (!/^[\w.-]+$/.test(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
    return join(this.dir, 'runs', runId);
  }

  private acceptedPath(): string {
    return join(this.dir, 'instances', instanceFolder(this.instance), 'accepted-roster.json');
  }

  async savePlan(plan: StoredPlan): Promise<void> {
    const stored: StoredPlan = { ...plan, instance: plan.instance ?? this.instance };
    const path = join(this.runDir(plan.run.runId), 'plan.json');
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    // In pieces, as the report: a first load's plan (100,000 changes) is never one 30 MB string.
    await writeChunks(temp, withNewline(indentedJsonChunks(stored as unknown as Record<string, unknown>)));
    await rename(temp, path);
  }

  loadPlan(runId: string): Promise<StoredPlan | undefined> {
    return readJson<StoredPlan>(join(this.runDir(runId), 'plan.json'));
  }

  outcomeSpool(runId: string): FsLineSpool {
    return new FsLineSpool(join(this.runDir(runId), 'outcomes.jsonl'));
  }

  async saveReport(report: RunReport): Promise<string[]> {
    const path = join(this.runDir(report.runId), 'report.json');
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    // Row by row: a spooled report of a million rows is never one string in memory.
    await writeChunks(temp, reportJsonChunks(report));
    await rename(temp, path);
    return [path];
  }

  loadReport(runId: string): Promise<RunReport | undefined> {
    return readJson<RunReport>(join(this.runDir(runId), 'report.json'));
  }

  acceptedRoster(): Promise<AcceptedRoster | undefined> {
    return readJson<AcceptedRoster>(this.acceptedPath());
  }

  async acceptRoster(accepted: AcceptedRoster): Promise<void> {
    await writeAtomically(this.acceptedPath(), `${JSON.stringify(accepted, null, 2)}\n`);
  }
}

export class FsSnapshotStore implements SnapshotStore {
  private readonly path: string;

  constructor(dir: string, instance: string) {
    this.path = join(dir, 'instances', instanceFolder(instance), 'users.ndjson');
  }

  async read(): Promise<AsyncIterable<string> | undefined> {
    try {
      await access(this.path);
    } catch {
      return undefined;
    }
    return createInterface({ input: createReadStream(this.path, 'utf8'), crlfDelay: Infinity });
  }

  async write(lines: Iterable<string>): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    // Line by line: a snapshot of a million users is never one string in memory.
    const out = createWriteStream(temp, 'utf8');
    for (const line of lines) if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await rename(temp, this.path);
  }
}

/** Reference lists kept per instance (a small file each, written whole through a temp file). */
export class FsReferenceListStore implements ReferenceListStore {
  private readonly dir: string;

  constructor(dir: string, instance: string) {
    this.dir = join(dir, 'instances', instanceFolder(instance), 'references');
  }

  async read(kind: ReferenceKind): Promise<AsyncIterable<string> | undefined> {
    const path = join(this.dir, `${kind}.ndjson`);
    try {
      await access(path);
    } catch {
      return undefined;
    }
    return createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  }

  async write(kind: ReferenceKind, lines: Iterable<string>): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeAtomically(join(this.dir, `${kind}.ndjson`), `${[...lines].join('\n')}\n`);
  }
}
