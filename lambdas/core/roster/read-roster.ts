/**
 * Streams an HR file into a Roster. Rows rejected as input leave at once through `onRejected`
 * (with file, row and field, never a personal value) instead of piling up in memory: a million
 * bad rows must not cost a million kept objects.
 */
import type { Readable } from 'node:stream';
import { HrFileError, readHrFile, type ReadOptions } from '../hr/read-hr-file';
import type { RowOutcome } from '../model';
import { Roster } from './roster';

export interface RosterRead {
  roster: Roster;
  /** The file could not be read to its end; the rows before the break are in the roster. */
  broken?: HrFileError;
}

export interface RosterReadOptions extends ReadOptions {
  mode: 'delta' | 'full';
}

/** A row an hr.rows.skip rule left out; `skippedBy` tells it from a failure (the exit status ignores it). */
export function skippedOutcome(row: number, login: string, rule: string): RowOutcome {
  return { row, login, outcome: 'skipped', skippedBy: 'hr.rows.skip', errors: [`skipped by ${rule}`] };
}

export function rejectedOutcome(file: string, row: number, login: string, errors: string[]): RowOutcome {
  return { row, login, outcome: 'rejected', errors: errors.map((e) => `${file}, row ${row}: ${e}`) };
}

/**
 * Reads the whole file. A problem with the file as a whole before any data row (no header, an
 * unknown column, a binary file) throws HrFileError: nothing was read.
 */
export async function readRoster(
  input: Readable,
  options: RosterReadOptions,
  /** Rows settled by reading: rejected as input, or skipped by hr.rows.skip. */
  onRejected: (outcome: RowOutcome) => void | Promise<void>,
): Promise<RosterRead> {
  const roster = new Roster(options.file, options.mode, options.hr?.duplicates);
  try {
    for await (const { row, result } of readHrFile(input, options)) {
      if (result.ok) {
        roster.add(result.record);
      } else if ('skipped' in result) {
        roster.addSkipped(result.login || undefined);
        await onRejected(skippedOutcome(row, result.login, result.skipped));
      } else {
        roster.addRejected(result.login || undefined);
        await onRejected(rejectedOutcome(options.file, row, result.login, result.errors));
      }
    }
  } catch (err) {
    if (!(err instanceof HrFileError) || roster.rows === 0) throw err;
    return { roster, broken: err };
  }
  return { roster };
}
