/**
 * The business metrics the Lambdas emit (CloudWatch EMF through Powertools Metrics) and the stack's
 * dashboard and alarms read. Plain constants: the CDK code imports them without Powertools.
 *
 * Dimensions are low-cardinality only: `service` (always `coupa-user-sync`) and `channel`
 * (`api` or `csv`) — never a login, a run id or a file name.
 */
export const METRICS_NAMESPACE = 'CoupaUserSync';
export const METRICS_SERVICE = 'coupa-user-sync';
export const CHANNELS = ['api', 'csv'] as const;
export type MetricChannel = (typeof CHANNELS)[number];

export const M = {
  // the run funnel (run-task, from what the run's steps return: adapters/aws/run-task-metrics.ts)
  filesReceived: 'FilesReceived',
  filesRejected: 'FilesRejected',
  rowsRead: 'RowsRead',
  rowsRejected: 'RowsRejected',
  changesQueued: 'ChangesQueued',
  planSize: 'PlanSize',
  runsHeld: 'RunsHeld',
  // what happened to users (from the outcomes every stage records)
  usersCreated: 'UsersCreated',
  usersUpdated: 'UsersUpdated',
  usersDeactivated: 'UsersDeactivated',
  usersReactivated: 'UsersReactivated',
  usersUnchanged: 'UsersUnchanged',
  usersApplied: 'UsersApplied',
  usersSkipped: 'UsersSkipped',
  usersFailed: 'UsersFailed',
  // Coupa (the HTTP client's onRequest hook)
  coupaRequests: 'CoupaRequests',
  coupaLatency: 'CoupaLatency',
  coupaThrottled: 'CoupaThrottled',
  coupaRetries: 'CoupaRetries',
  // the CSV channel
  csvFilesSent: 'CsvFilesSent',
  csvFilesFailed: 'CsvFilesFailed',
  csvFilesLoaded: 'CsvFilesLoaded',
  // dead letters (dlq-notifier); runs reported and held runs expired (run-task's Report and Expire steps)
  deadLetters: 'DeadLetters',
  runsReported: 'RunsReported',
  runsExpired: 'RunsExpired',
} as const;
export type MetricName = (typeof M)[keyof typeof M];

/** The outcome of a row → the metric that counts it (held rows are counted as RunsHeld, not here). */
export const OUTCOME_METRIC: Partial<Record<string, MetricName>> = {
  created: M.usersCreated,
  updated: M.usersUpdated,
  deactivated: M.usersDeactivated,
  reactivated: M.usersReactivated,
  unchanged: M.usersUnchanged,
  applied: M.usersApplied,
  skipped: M.usersSkipped,
  rejected: M.rowsRejected,
  failed: M.usersFailed,
};
