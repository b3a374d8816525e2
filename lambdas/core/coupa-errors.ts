/**
 * What can go wrong when the core talks to Coupa, whatever the transport: the core decides what
 * each means for a row (failed, retried later, run stopped), the Coupa client raises them.
 */

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

/**
 * Coupa answered with a redirect (3xx). The client never follows one (the request carries credentials),
 * and every request would meet it: the configured URL is wrong, or something between us and Coupa
 * rewrites it. Like bad credentials, the run cannot go on until it is fixed.
 */
export class CoupaRedirectError extends CoupaAuthError {}
