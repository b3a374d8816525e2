/** Usage text and the error type for bad command lines (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage:
  coupa-sync run <hr-file> [--coupa-url URL] [--format xml|json] [--report FILE]... [--dry-run]
                           [--roster full|delta] [--state-dir DIR]
                           [--config FILE] [--flavor core|cso] [--delivery api|csv]
                           [--sftp-url sftp://user@host:port/Incoming/Users] [--sftp-host-key KEY]
                           [--wait-results SECONDS]
  coupa-sync plan <hr-file> [same options as run]      (= run --dry-run: the plan, written nowhere in Coupa)
  coupa-sync approve <runId> --coupa-url URL [--config FILE] [--state-dir DIR] [--report FILE]...
                           [--bucket NAME]             (AWS: approve a run the deployed stack holds)
  coupa-sync emulator [--port N] [--flavor core|cso] [--seed demo|none] [--incoming DIR]
  coupa-sync demo        (what npm start runs: the example HR file against the embedded emulator)

Environment:
  COUPA_CLIENT_ID, COUPA_CLIENT_SECRET   OAuth 2.0 client (client credentials) of the Coupa instance
  COUPA_SCOPES                           default "core.user.read core.user.write"
  COUPA_CSO_API_KEY                      API key when the config says coupa.flavor = "cso"
  COUPA_SFTP_KEY_FILE | COUPA_SFTP_PASSWORD   sFTP credentials for --delivery csv

Exit codes: 0 every row applied or unchanged · 1 some rows rejected, failed or skipped (see the report)
            2 the run could not start (bad arguments, unreadable file, bad credentials): nothing changed
            3 a guard held the run: nothing (or, with roster.onHold "apply-rest", only the rest) written;
              check the plan and run coupa-sync approve <runId>`;
