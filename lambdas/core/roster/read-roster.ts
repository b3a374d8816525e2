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
  onRejected: (outcome: RowOutcome) => void | Promise<void>,
): Promise<RosterRead> {
  const roster = new Roster(options.file, options.mode);
  try {
    for await (const { row, result } of readHrFile(input, options)) {
      if (result.ok) {
        roster.add(result.record);
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
