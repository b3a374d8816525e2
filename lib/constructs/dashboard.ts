/**
 * A first operations view: how much is waiting, how old it is, whether the Lambdas fail, and
 * alarms (to the failure topic) for what needs a person: dead messages, S3 events the splitter
 * gave up on, a consumer that keeps failing, and Coupa refusing the credentials.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SyncFunction } from './sync-function';

export interface SyncDashboardProps {
  dashboardName: string;
  queues: Record<string, sqs.IQueue>;
  deadLetterQueues: Record<string, sqs.IQueue>;
  /** On-failure destinations of asynchronous invocations: every message is an event a Lambda gave up on. */
  failedInvocations: Record<string, { queue: sqs.IQueue; description: string }>;
  /** Further alarms (any datapoint above 0 notifies), e.g. metrics counted from log lines. */
  metricAlarms: Record<string, { metric: cloudwatch.IMetric; description: string }>;
  functions: Record<string, SyncFunction>;
  /** Functions whose errors page someone (the splitter and the channel consumers). */
  alarmOnErrors: Record<string, SyncFunction>;
  topic: sns.ITopic;
  transferRules: { completed: events.IRule; failed: events.IRule };
}

const PERIOD = Duration.minutes(5);

export class SyncDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: SyncDashboardProps) {
    super(scope, id);
    const failedQueues = Object.fromEntries(Object.entries(props.failedInvocations).map(([name, f]) => [name, f.queue]));
    const allQueues = { ...props.queues, ...props.deadLetterQueues, ...failedQueues };
    const fns = Object.entries(props.functions);
    const perFunction = (metric: (f: SyncFunction) => cloudwatch.IMetric) =>
      fns.map(([name, f]) => withLabel(metric(f), name));
    const perQueue = (metric: (q: sqs.IQueue) => cloudwatch.IMetric) =>
      Object.entries(allQueues).map(([name, q]) => withLabel(metric(q), name));

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          graph('Messages waiting', perQueue((q) => q.metricApproximateNumberOfMessagesVisible({ period: PERIOD }))),
          graph('Age of oldest message (s)', perQueue((q) => q.metricApproximateAgeOfOldestMessage({ period: PERIOD }))),
        ],
        [
          graph('Lambda errors', perFunction((f) => f.fn.metricErrors({ period: PERIOD }))),
          graph('Lambda throttles', perFunction((f) => f.fn.metricThrottles({ period: PERIOD }))),
          graph('Lambda duration p95 (ms)', perFunction((f) => f.fn.metricDuration({ period: PERIOD, statistic: 'p95' }))),
        ],
        [
          graph('sFTP deliveries', [
            withLabel(ruleMatches(props.transferRules.completed), 'delivered'),
            withLabel(ruleMatches(props.transferRules.failed), 'failed'),
          ]),
          graph('Notifications published', [props.topic.metricNumberOfMessagesPublished({ period: PERIOD })]),
        ],
      ],
    });

    const notify = new actions.SnsAction(props.topic);
    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      this.addAlarm(`${name}Depth`, {
        alarmDescription: `Messages in the ${name} dead-letter queue: rows that could not be applied.`,
        metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
      }, notify);
    }
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
    for (const [name, f] of Object.entries(props.alarmOnErrors)) {
      this.addAlarm(`${name}Errors`, {
        alarmDescription: `The ${name} Lambda is failing as a whole (credentials, configuration, AWS or a bug).`,
        metric: f.fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
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

function graph(title: string, left: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
}

function withLabel(metric: cloudwatch.IMetric, label: string): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric ? metric.with({ label }) : metric;
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
