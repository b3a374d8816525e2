/**
 * What the sync core needs from Coupa, whatever the flavour (core XML/JSON or CSO) and transport.
 * The HTTP client in this folder implements it; tests may use the emulator behind it.
 */
import type { CoupaUser, UserFields } from '../model';

export interface UserDirectory {
  /**
   * Looks users up by login (in bulk where the API allows). Returns only the logins found;
   * a login absent from the map does not exist in Coupa.
   */
  findByLogins(logins: string[]): Promise<Map<string, CoupaUser>>;
  /** Creates a user with `login` and `fields`; returns it as Coupa stored it. */
  create(login: string, fields: UserFields): Promise<CoupaUser>;
  /** Sends only `changes` to the user with `id`; returns it as Coupa stored it. */
  update(id: string, login: string, changes: UserFields): Promise<CoupaUser>;
  /**
   * config.coupa.matchFallback: finds users unknown by login by employee number or e-mail,
   * keyed by the HR login (only unambiguous matches). Absent where the flavour cannot (CSO).
   */
  findByFallback?(records: Array<{ login: string; employeeNumber?: string; email?: string }>): Promise<Map<string, CoupaUser>>;
  /**
   * Bulk writes where the flavour has them (CSO's lenient POST/PUT /api/users): one result per
   * item, in order, with the user as stored or why that item did not apply.
   */
  createMany?(items: Array<{ login: string; fields: UserFields }>): Promise<BulkItemResult[]>;
  updateMany?(items: Array<{ id: string; login: string; changes: UserFields }>): Promise<BulkItemResult[]>;
}

export interface BulkItemResult {
  login: string;
  user?: CoupaUser;
  error?: string;
}

/** Base of every error the Coupa client raises, so callers can tell them from bugs. */
export class CoupaError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Coupa refused this request for this user (400/404/422): permanent, never retried.
 * `messages` are Coupa's own error texts (from `<errors><error>` or `{"errors":{…}}`).
 */
export class CoupaRejectedError extends CoupaError {
  constructor(
    readonly messages: string[],
    status: number,
  ) {
    super(messages.join('; ') || `Coupa answered HTTP ${status}`, status);
  }
}

/** A transient failure (429, 5xx, timeout, reset) that outlived the retry budget: retry later. */
export class CoupaRetryableError extends CoupaError {}

/** Credentials are wrong or were revoked (401 after one token renewal): the run cannot go on. */
export class CoupaAuthError extends CoupaError {}

/** One Coupa CSV load (`GET /api/data_file_sources`), reduced to what the read-back needs. */
export interface DataFileSourceResult {
  fileName: string;
  /** Coupa's status: Done, Failed, Retrying, Loading, Pending, … */
  status: string;
  recordsCreated: number;
  recordsUpdated: number;
  /** Coupa's `result-text` (a summary, or why a whole file failed), when it gives one. */
  resultText?: string;
  /** `row` as Coupa reports it: the file's line number with the header as line 1. */
  errors: Array<{ row: number; field: string; value: string; messages: string[] }>;
}

/** Reads the loader's verdict on a file Coupa picked up from /Incoming/Users. */
export interface DataFileSourceReader {
  /** The latest load of `fileName` (source_for=User), or undefined while Coupa has not seen it. */
  findByFileName(fileName: string): Promise<DataFileSourceResult | undefined>;
}
