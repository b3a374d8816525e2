/**
 * The run reporter: every 5 minutes it assembles the report of each run whose rows all have an
 * outcome (or that waited reports.reportAfterHours), writes runs/<runId>/report.{json,csv,html} and publishes
 * one digest to the topic. It finds open runs through the splitter's runs/pending/ markers.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';
import { REPORT_FORMATS } from '../../lambdas/core/report';
import type { FailureTopic } from './alerts';
import { PREFIX } from './drop-bucket';
import { grantList, grantObjectDelete, grantObjectRead, grantObjectWriteTo, grantPublish } from './grants';
import { acknowledgeObjectGrant, acknowledgePrefixGrant } from './nag';
import { SyncFunction } from './sync-function';

/** The only objects the reporter writes in each run's folder: the report in each format. */
export const REPORT_KEY_PATTERNS = REPORT_FORMATS.map((format) => `${PREFIX.runs}*/report.${format}`);
/** A held run's plan, marked expired when nobody approved it in time. */
export const PLAN_KEY_PATTERN = `${PREFIX.runs}*/plan.json`;

export interface RunReporterProps {
  config: SyncConfig;
  bucket: s3.IBucket;
  alerts: FailureTopic;
}

export class RunReporter extends Construct {
  readonly function: SyncFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: RunReporterProps) {
    super(scope, id);
    const { bucket, alerts } = props;
    this.function = new SyncFunction(this, 'RunReporter', {
      handler: 'run-reporter',
      config: props.config,
      description: 'Writes the report of every finished run under runs/ and publishes one digest per run',
      // Reads every outcome file of the open runs: a big run is a few thousand small objects.
      timeout: Duration.minutes(5),
      environment: { TOPIC_ARN: alerts.topic.topicArn, BUCKET_NAME: bucket.bucketName },
    });
    const role = this.function.role;
    grantList(role, bucket, PREFIX.runs); // runs/pending/ and runs/<runId>/outcomes/
    grantObjectRead(role, bucket, PREFIX.runs);
    grantObjectWriteTo(role, bucket, [...REPORT_KEY_PATTERNS, PLAN_KEY_PATTERN]);
    grantObjectDelete(role, bucket, PREFIX.pendingRuns);
    grantObjectDelete(role, bucket, PREFIX.heldRuns);
    grantPublish(role, alerts.topic, alerts.key);
    acknowledgePrefixGrant(role, bucket, PREFIX.runs, 'Reads split summaries and outcome files under runs/ only.');
    for (const pattern of REPORT_KEY_PATTERNS) acknowledgeObjectGrant(role, bucket, pattern, "Writes only each run's report files.");
    acknowledgeObjectGrant(role, bucket, PLAN_KEY_PATTERN, "Marks a held run's plan.json expired.");
    acknowledgePrefixGrant(role, bucket, PREFIX.pendingRuns, 'Deletes only the pending-run markers of reported runs.');
    acknowledgePrefixGrant(role, bucket, PREFIX.heldRuns, 'Deletes only the markers of held runs approved or expired.');

    // 5 minutes: a report soon after the last row settles, at one LIST of the open runs per pass.
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Reports finished Coupa user sync runs',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.function.fn, { retryAttempts: 0 })],
    });
  }
}
