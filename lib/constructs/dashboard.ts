/**
 * The operations view and the alarms that page someone (to the failure topic).
 *
 * Dashboard rows: the run funnel (rows read → queued → applied / failed) and user changes by type,
 * Coupa latency p50/p95/p99 with requests, 429s and retries, queue depth and oldest-message age of
 * every queue and DLQ, Lambda errors / throttles / duration, CSV transfers and loads.
 *
 * Widgets are written by hand rather than with cdk-monitoring-constructs: most of what matters here
 * is our own EMF metrics (namespace CoupaUserSync, dimensions service + channel), which that library
 * would need custom segments for anyway; the few AWS metrics are one call each on the constructs;
 * and a dependency that generates dozens of widgets and alarms of its own would make the dashboard
 * snapshot and the alarm list (every alarm says what to do) much harder to review.
 *
 * Alarms (each description says what to do): dead letters (the DeadLetters metric the dlq-notifier
 * emits once per new dead message — DLQ depth would stay in alarm while they wait to be redriven), the age of the api queue's oldest
 * message, errors of every Lambda, Coupa's failure share, a held run, failed sFTP transfers and CSV
 * loads, S3 events the splitter gave up on, refused Coupa credentials, and run executions that failed,
 * timed out or were aborted.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CHANNELS, M, METRICS_NAMESPACE, METRICS_SERVICE, type MetricChannel, type MetricName } from '../../lambdas/adapters/aws/metric-names';
import type { SyncFunction } from './sync-function';

export interface SyncDashboardProps {
  dashboardName: string;
  /** Bucket name the runbook commands in the alarm descriptions use. */
  bucketName: string;
  /** The run table's name: `coupa-sync approve|reject <runId> --table …` finds a held run's task token there. */
  runTableName: string;
  queues: { api: sqs.IQueue; csv: sqs.IQueue };
  deadLetterQueues: Record<string, sqs.IQueue>;
  /** On-failure destinations of asynchronous invocations: every message is an event a Lambda gave up on. */
  failedInvocations: Record<string, { queue: sqs.IQueue; description: string }>;
  /** Further alarms (any datapoint above 0 notifies), e.g. metrics counted from log lines. */
  metricAlarms: Record<string, { metric: cloudwatch.IMetric; description: string }>;
  /** Every Lambda of the sync: all of them alarm on errors. */
  functions: Record<string, SyncFunction>;
  /** The run state machine: its executions that failed, timed out or were aborted alarm. */
  stateMachine: sfn.StateMachine;
  topic: sns.ITopic;
  /** The CSV channel's Transfer rules; absent when the stack has no CSV channel (no CSV widget or alarms then). */
  transferRules?: { completed: events.IRule; failed: events.IRule };
}

const PERIOD = Duration.minutes(5);
/** The api queue's oldest message may wait this long before someone is told (a big file at Coupa's 25 requests/s takes minutes, not this). */
export const API_QUEUE_MAX_AGE = Duration.minutes(30);
/** Share of the rows sent to Coupa that failed, in percent, over FAILURE_SHARE_PERIOD, above which someone is told. */
export const FAILURE_SHARE_PERCENT = 20;
/** Fewer rows than this in the period never alarm on their failure share (one failed row of three is not an incident). */
export const FAILURE_SHARE_MIN_ROWS = 10;
const FAILURE_SHARE_PERIOD = Duration.minutes(15);

/** One of our EMF metrics, in one channel. */
export function syncMetric(name: MetricName, channel: MetricChannel, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRICS_SERVICE, channel },
    statistic: 'Sum',
    period: PERIOD,
    ...props,
  });
}

const idOf = (name: string, channel: string, prefix = '') => `${prefix}${name.charAt(0).toLowerCase()}${name.slice(1)}${channel === 'api' ? 'Api' : 'Csv'}`;

/** The sum of a counter over both channels (a channel that emitted nothing counts 0). */
export function bothChannels(name: MetricName, label: string, period: Duration = PERIOD, prefix = ''): cloudwatch.MathExpression {
  const using = Object.fromEntries(CHANNELS.map((c) => [idOf(name, c, prefix), syncMetric(name, c, { period })]));
  return new cloudwatch.MathExpression({
    expression: Object.keys(using).map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics: using,
    label,
    period,
  });
}

/** Queued changes that Coupa took, over both channels (the funnel's "applied"; unchanged rows are settled when planning, never queued). */
const APPLIED: MetricName[] = [M.usersCreated, M.usersUpdated, M.usersDeactivated, M.usersReactivated, M.usersApplied];

export class SyncDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SyncDashboardProps) {
    super(scope, id);
    const failedQueues = Object.fromEntries(Object.entries(props.failedInvocations).map(([name, f]) => [name, f.queue]));
    const allQueues = { ...props.queues, ...props.deadLetterQueues, ...failedQueues };
    const fns = Object.entries(props.functions);
    const perFunction = (metric: (f: SyncFunction) => cloudwatch.IMetric) => fns.map(([name, f]) => withLabel(metric(f), name));
    const perQueue = (metric: (q: sqs.IQueue) => cloudwatch.IMetric) =>
      Object.entries(allQueues).map(([name, q]) => withLabel(metric(q), name));
    const perChannel = (name: MetricName, statistic: string) =>
      CHANNELS.map((c) => syncMetric(name, c, { statistic, label: `${c} ${statistic}` }));

    const applied = (() => {
      const using: Record<string, cloudwatch.IMetric> = {};
      for (const name of APPLIED) for (const c of CHANNELS) using[idOf(name, c, 'ap')] = syncMetric(name, c);
      return new cloudwatch.MathExpression({
        expression: Object.keys(using).map((k) => `FILL(${k}, 0)`).join(' + '),
        usingMetrics: using,
        label: 'applied',
        period: PERIOD,
      });
    })();

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          graph('Run funnel: rows read → queued → applied / failed', [
            bothChannels(M.rowsRead, 'rows read', PERIOD, 'fr'),
            bothChannels(M.rowsRejected, 'rows rejected', PERIOD, 'fj'),
            bothChannels(M.usersUnchanged, 'unchanged (nothing to send)', PERIOD, 'fu'),
            bothChannels(M.changesQueued, 'changes queued', PERIOD, 'fq'),
            applied,
            bothChannels(M.usersFailed, 'failed', PERIOD, 'ff'),
          ]),
          graph('User changes by type', [
            bothChannels(M.usersCreated, 'created', PERIOD, 'uc'),
            bothChannels(M.usersUpdated, 'updated', PERIOD, 'uu'),
            bothChannels(M.usersDeactivated, 'deactivated', PERIOD, 'ud'),
            bothChannels(M.usersReactivated, 'reactivated', PERIOD, 'ur'),
            bothChannels(M.usersUnchanged, 'unchanged', PERIOD, 'un'),
            bothChannels(M.usersApplied, 'applied by the CSV loader', PERIOD, 'ua'),
            bothChannels(M.usersSkipped, 'skipped on approval', PERIOD, 'us'),
            bothChannels(M.usersFailed, 'failed', PERIOD, 'uf'),
          ]),
          graph('Files and runs', [
            bothChannels(M.filesReceived, 'files received', PERIOD, 'rf'),
            bothChannels(M.filesRejected, 'files rejected', PERIOD, 'rx'),
            bothChannels(M.runsHeld, 'runs held', PERIOD, 'rh'),
            bothChannels(M.deadLetters, 'dead letters', PERIOD, 'rd'),
            bothChannels(M.runsReported, 'runs reported', PERIOD, 'rr'),
            bothChannels(M.runsExpired, 'held runs expired', PERIOD, 're'),
            withLabel(props.stateMachine.metricStarted({ period: PERIOD }), 'run executions started'),
            deadExecutions(props.stateMachine, PERIOD),
            bothChannels(M.planSize, 'plan size (changes)', PERIOD, 'rp'),
          ]),
        ],
        [
          graph('Coupa latency (ms): p50 / p95 / p99', [
            ...perChannel(M.coupaLatency, 'p50'),
            ...perChannel(M.coupaLatency, 'p95'),
            ...perChannel(M.coupaLatency, 'p99'),
          ]),
          graph('Coupa requests, throttles (429) and retries', [
            bothChannels(M.coupaRequests, 'requests', PERIOD, 'cr'),
            bothChannels(M.coupaThrottled, '429 throttled', PERIOD, 'ct'),
            bothChannels(M.coupaRetries, 'retries', PERIOD, 'cy'),
          ]),
        ],
        [
          graph('Messages waiting (queues and DLQs)', perQueue((q) => q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }))),
          graph('Age of oldest message (s)', perQueue((q) => q.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }))),
        ],
        [
          graph('Lambda errors', perFunction((f) => f.fn.metricErrors({ period: PERIOD }))),
          graph('Lambda throttles', perFunction((f) => f.fn.metricThrottles({ period: PERIOD }))),
          graph('Lambda duration p95 (ms)', perFunction((f) => f.fn.metricDuration({ period: PERIOD, statistic: 'p95' }))),
        ],
        [
          ...(props.transferRules ? [csvGraph(props.transferRules)] : []),
          graph('Notifications published', [props.topic.metricNumberOfMessagesPublished({ period: PERIOD })]),
        ],
      ],
    });

    const notify = new actions.SnsAction(props.topic);
    const bucket = props.bucketName;

    const dlqs = props.deadLetterQueues;
    this.addAlarm('DeadLetters', {
      alarmDescription:
        'Changes landed in a dead-letter queue: NOT applied, failed in their run report (runs/<runId>/report.html) with the ' +
        "reason. They stay in the DLQ for 14 days. Find the cause (api-consumer or csv-batcher logs), fix it, then redrive: " +
        `aws sqs start-message-move-task --source-arn ${dlqs.apiDlq.queueArn} --destination-arn ${props.queues.api.queueArn} ` +
        '(changes the api-consumer dead-lettered are re-checked against Coupa; the run is reported again). CSV channel: upload the HR file again to ' +
        `s3://${bucket}/incoming/csv/ (only what still differs is sent).`,
      metric: bothChannels(M.deadLetters, 'dead letters', Duration.minutes(1), 'dl'),
      threshold: 0,
    }, notify);

    this.addAlarm('ApiQueueOldestMessage', {
      alarmDescription:
        `A change has waited more than ${API_QUEUE_MAX_AGE.toMinutes()} minutes in the api queue: the api-consumer is not ` +
        'keeping up or keeps failing. Look at its errors, Coupa 429s/latency and refused credentials on the dashboard; once ' +
        'the cause is fixed the queue drains by itself (what ends in the DLQ is reported as failed: upload the file again).',
      metric: props.queues.api.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
      threshold: API_QUEUE_MAX_AGE.toSeconds(),
    }, notify);

    for (const [name, { queue, description }] of Object.entries(props.failedInvocations)) {
      this.addAlarm(`${name}Depth`, {
        alarmDescription: description,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
      }, notify);
    }
    for (const [name, { metric, description }] of Object.entries(props.metricAlarms)) {
      this.addAlarm(name, { alarmDescription: description, metric, threshold: 0 }, notify);
    }
    for (const [name, f] of fns) {
      this.addAlarm(`${name}Errors`, {
        alarmDescription:
          `The ${name} Lambda failed as a whole (credentials, configuration, AWS or a bug): read the error in its log group ` +
          `${ERROR_ACTIONS[name] ?? 'and fix the cause.'}`,
        metric: f.fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        threshold: 0,
      }, notify);
    }

    this.addAlarm('RunExecutionsDied', {
      alarmDescription:
        'A run execution failed, timed out or was aborted (Step Functions: find it by its run id in the console). The ' +
        "run-ended Lambda released its turn and sent an alert naming the run. Read the execution's failed step and its " +
        'error, fix the cause, then redrive it (aws stepfunctions redrive-execution --execution-arn …) or upload the file again.',
      metric: deadExecutions(props.stateMachine, PERIOD),
      threshold: 0,
    }, notify);

    const share = (() => {
      const using: Record<string, cloudwatch.IMetric> = {};
      const ok = [M.usersCreated, M.usersUpdated, M.usersDeactivated, M.usersReactivated, M.usersUnchanged];
      ok.forEach((name, i) => (using[`ok${i}`] = syncMetric(name, 'api', { period: FAILURE_SHARE_PERIOD })));
      using.failed = syncMetric(M.usersFailed, 'api', { period: FAILURE_SHARE_PERIOD });
      const total = `(${Object.keys(using).map((k) => `FILL(${k}, 0)`).join(' + ')})`;
      return new cloudwatch.MathExpression({
        expression: `IF(${total} >= ${FAILURE_SHARE_MIN_ROWS}, 100 * FILL(failed, 0) / ${total}, 0)`,
        usingMetrics: using,
        label: 'Coupa failure share (%)',
        period: FAILURE_SHARE_PERIOD,
      });
    })();
    this.addAlarm('CoupaFailureShare', {
      alarmDescription:
        `More than ${FAILURE_SHARE_PERCENT}% of the rows sent to Coupa's API in ${FAILURE_SHARE_PERIOD.toMinutes()} minutes failed ` +
        `(at least ${FAILURE_SHARE_MIN_ROWS} rows). The run digest and report (runs/<runId>/report.html) list each failed row with ` +
        "Coupa's message: fix the data in HR (or Coupa), then upload the file again (only what still differs is sent).",
      metric: share,
      threshold: FAILURE_SHARE_PERCENT,
    }, notify);

    this.addAlarm('RunHeld', {
      alarmDescription:
        'A run was held by a guard (too many deactivations or changes, or an incomplete roster): nothing of it was applied. ' +
        'Read the held alert or runs/<runId>/report.html, then approve it with ' +
        `\`coupa-sync approve <runId> --table ${props.runTableName}\`, or reject it with ` +
        `\`coupa-sync reject <runId> --table ${props.runTableName} --why TEXT\` ` +
        '(unanswered, it expires after approval.expireAfterHours and is reported expired) and upload a corrected file.',
      metric: bothChannels(M.runsHeld, 'runs held', Duration.minutes(1), 'hd'),
      threshold: 0,
    }, notify);

    if (props.transferRules) {
      this.addAlarm('TransferFailed', {
        alarmDescription:
          'A Coupa user-import file could NOT be delivered over sFTP (the failure topic got the file and the error). Check the ' +
          `connector, the sFTP secret and Coupa's sFTP, then upload the HR file again to s3://${bucket}/incoming/csv/.`,
        metric: ruleMatches(props.transferRules.failed),
        threshold: 0,
      }, notify);

      this.addAlarm('CsvFileFailed', {
        alarmDescription:
          "A user-import file failed: Coupa's loader rejected it, or the csv-batcher could not send it. The run report lists " +
          "the rows with Coupa's messages: fix the data, then upload the HR file again to " +
          `s3://${bucket}/incoming/csv/.`,
        metric: syncMetric(M.csvFilesFailed, 'csv'),
        threshold: 0,
      }, notify);
    }
  }

  private addAlarm(
    id: string,
    props: Pick<cloudwatch.AlarmProps, 'alarmDescription' | 'metric' | 'threshold'>,
    action: cloudwatch.IAlarmAction,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      ...props,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(action);
    this.alarms.push(alarm);
  }
}

/** What to do after a Lambda's errors, by the name the stack gives it. */
const ERROR_ACTIONS: Record<string, string> = {
  splitter:
    'and fix the cause. Lambda retries the S3 event twice; a file it gave up on raises the failed-events alarm: upload it again.',
  runPlan:
    'and fix the cause (Coupa credentials or reach, an HR file too large for its memory). The state machine retries the ' +
    'step 3 times, then reports the run failed and alerts: redrive the execution (aws stepfunctions redrive-execution) or ' +
    'upload the file again.',
  runTask:
    'and fix the cause. The state machine retries the step 3 times, then reports the run failed and alerts: redrive the ' +
    'execution (aws stepfunctions redrive-execution) or upload the file again.',
  runEnded:
    'and fix the cause. A dead run may still hold its turn (later files wait): once fixed, EventBridge retries; the ' +
    "alert names the run, whose turn item (line#<bucket>) can also be deleted from the run table by hand.",
  apiConsumer: 'and fix the cause. The batch returns to the api queue and is retried; what ends in the DLQ is reported failed.',
  csvBatcher: 'and fix the cause (connector, sFTP secret). The batch returns to the csv queue and is retried.',
  csvResultsPoller:
    'and fix the cause (Coupa credentials, the core.integration.read scope). Delivered files stay pending and are read on the next pass.',
  dlqNotifier:
    'and fix the cause. It never deletes a dead message: what it could not record is recorded on its next look (every 5 minutes).',
};

function csvGraph(rules: { completed: events.IRule; failed: events.IRule }): cloudwatch.GraphWidget {
  return graph('CSV: sFTP transfers and Coupa loads', [
    withLabel(ruleMatches(rules.completed), 'transfers delivered'),
    withLabel(ruleMatches(rules.failed), 'transfers failed'),
    syncMetric(M.csvFilesSent, 'csv', { label: 'files sent' }),
    syncMetric(M.csvFilesLoaded, 'csv', { label: 'files loaded by Coupa' }),
    syncMetric(M.csvFilesFailed, 'csv', { label: 'files failed (send or load)' }),
  ]);
}

function graph(title: string, left: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
}

function withLabel(metric: cloudwatch.IMetric, label: string): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric ? metric.with({ label }) : metric;
}

/** Executions of the run state machine that failed (its RunFailed path ends in a Fail state too), timed out or were aborted. */
function deadExecutions(machine: sfn.StateMachine, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'FILL(xf, 0) + FILL(xt, 0) + FILL(xa, 0)',
    usingMetrics: {
      xf: machine.metricFailed({ period, statistic: 'Sum' }),
      xt: machine.metricTimedOut({ period, statistic: 'Sum' }),
      xa: machine.metricAborted({ period, statistic: 'Sum' }),
    },
    label: 'run executions failed, timed out or aborted',
    period,
  });
}

function ruleMatches(rule: events.IRule): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Events',
    metricName: 'TriggeredRules',
    dimensionsMap: { RuleName: rule.ruleName },
    statistic: 'Sum',
    period: PERIOD,
  });
}
