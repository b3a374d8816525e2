/**
 * Coupa's reference lists for one run, read when first asked for and kept between runs beside the
 * users' snapshot (ReferenceListStore) for `preflight.maxAgeHours`. A value a kept copy does not
 * hold may have been created in Coupa since: that list is read again, once per run, before the
 * value is judged unknown. A list read from Coupa in this run is never read again.
 *
 * Why not a generic cache library: the rule that matters ("refresh once per run on a miss, then
 * believe it") is the whole mechanism, and the copy must live in the run's state store (a folder,
 * an S3 object) that the core reaches only through a port.
 */
import type { Clock, ReferenceKind, ReferenceListStore, ReferenceReader, ReferenceRecord } from '../ports';

export interface ReferenceListDeps {
  reader: ReferenceReader;
  /** Where lists are kept between runs; without it each run reads the lists it needs. */
  kept?: ReferenceListStore;
  clock: Clock;
  maxAgeHours: number;
}

interface Header {
  references: 1;
  kind: ReferenceKind;
  readAt: string;
}

interface Loaded {
  keys: Set<string>;
  /** Read from Coupa during this run: a miss is final. */
  fresh: boolean;
}

/** Names match ignoring case and surrounding spaces, as Coupa resolves them. */
const norm = (value: string) => value.trim().toLowerCase();
const entryOf = (key: string, within?: string) => (within === undefined ? norm(key) : `${norm(within)}\u0000${norm(key)}`);

export class ReferenceLists {
  private readonly loaded = new Map<ReferenceKind, Promise<Loaded>>();
  /** Lists read from Coupa this run (a kept copy used is not counted): for the report and the bench. */
  readonly readFromCoupa: ReferenceKind[] = [];

  constructor(private readonly deps: ReferenceListDeps) {}

  /** True when `key` is in the list (an account: within chart `within`, or in any chart when none is known). */
  async has(kind: ReferenceKind, key: string, within?: string): Promise<boolean> {
    const first = await this.load(kind);
    if (lookUp(first.keys, key, within)) return true;
    if (first.fresh) return false;
    // Not in the kept copy: Coupa may have it since. Read it once this run, then believe it.
    const again = this.readAndKeep(kind);
    this.loaded.set(kind, again);
    return lookUp((await again).keys, key, within);
  }

  private load(kind: ReferenceKind): Promise<Loaded> {
    let loading = this.loaded.get(kind);
    if (!loading) {
      loading = this.keptCopy(kind).then((kept) => kept ?? this.readAndKeep(kind));
      this.loaded.set(kind, loading);
    }
    return loading;
  }

  private async keptCopy(kind: ReferenceKind): Promise<Loaded | undefined> {
    const lines = await this.deps.kept?.read(kind);
    if (!lines) return undefined;
    const keys = new Set<string>();
    let header: Header | undefined;
    for await (const line of lines) {
      if (line.trim() === '') continue;
      if (!header) {
        header = JSON.parse(line) as Header;
        const ageHours = (this.deps.clock.now().getTime() - Date.parse(header.readAt)) / 3_600_000;
        if (header.references !== 1 || header.kind !== kind || !(ageHours >= 0 && ageHours <= this.deps.maxAgeHours)) return undefined;
        continue;
      }
      const record = JSON.parse(line) as ReferenceRecord;
      addRecord(keys, record);
    }
    return header ? { keys, fresh: false } : undefined;
  }

  private async readAndKeep(kind: ReferenceKind): Promise<Loaded> {
    const records = await this.deps.reader.readList(kind);
    this.readFromCoupa.push(kind);
    const keys = new Set<string>();
    for (const record of records) addRecord(keys, record);
    if (this.deps.kept) {
      const header: Header = { references: 1, kind, readAt: this.deps.clock.now().toISOString() };
      await this.deps.kept.write(kind, [JSON.stringify(header), ...records.map((r) => JSON.stringify(r))]);
    }
    return { keys, fresh: true };
  }
}

function addRecord(keys: Set<string>, record: ReferenceRecord): void {
  keys.add(entryOf(record.key));
  if (record.within !== undefined) keys.add(entryOf(record.key, record.within));
}

function lookUp(keys: Set<string>, key: string, within?: string): boolean {
  return keys.has(entryOf(key, within));
}
