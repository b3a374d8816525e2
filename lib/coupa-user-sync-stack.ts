/**
 * The whole AWS deployment of coupa-user-sync, composed from one-job constructs.
 * Every setting comes from the one validated SyncConfig.
 */
import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { SyncConfig } from '../lambdas/core/config';
import { DlqNotifier, FailureTopic } from './constructs/alerts';
import { apiConsumerTimeout, ApiConsumer } from './constructs/api-consumer';
import { CSV_BATCHER_TIMEOUT, CsvDelivery } from './constructs/csv-delivery';
import { SyncDashboard } from './constructs/dashboard';
import { DropBucket } from './constructs/drop-bucket';
import { RunEnded, RunPlan, RunTask } from './constructs/run-functions';
import { RunMachine } from './constructs/run-machine';
import { RunTable } from './constructs/run-table';
import { SyncQueues } from './constructs/queues';
import { SyncSecrets } from './constructs/secrets';
import { Splitter } from './constructs/splitter';
import { Writers } from './constructs/writers';
import { secureBaseUrl } from '../lambdas/adapters/coupa/url-policy';
import { csvChannelDeployed } from '../lambdas/core/sync/route';

export interface CoupaUserSyncStackProps extends StackProps {
  config: SyncConfig;
}

export class CoupaUserSyncStack extends Stack {
  readonly drop: DropBucket;
  readonly queues: SyncQueues;
  readonly alerts: FailureTopic;

  constructor(scope: Construct, id: string, props: CoupaUserSyncStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.coupa.url) {
      // The OAuth client secret and a bearer token travel with every request: never in clear text.
      try {
        secureBaseUrl(config.coupa.url);
      } catch (err) {
        Annotations.of(this).addError(`coupa.url must be https://: ${(err as Error).message}`);
      }
    }
    if (!config.coupa.url) {
      Annotations.of(this).addWarningV2(
        'coupa-user-sync:no-coupa-url',
        'coupa.url is not set: the api-consumer and csv-results-poller will fail until it is (see examples/config.json).',
      );
    }

    const withCsv = csvChannelDeployed(config);
    if (withCsv) checkCsvChannel(this, config);

    this.drop = new DropBucket(this, 'Drop', config.storage);
    const bucket = this.drop.bucket;
    this.queues = new SyncQueues(this, 'Queues', {
      maxReceiveCount: config.api.maxReceiveCount,
      apiConsumerTimeout: apiConsumerTimeout(config.coupa),
      csvBatcherTimeout: CSV_BATCHER_TIMEOUT,
      csvBatchingWindow: Duration.seconds(config.csv.batchingWindowSeconds),
    });
    this.alerts = new FailureTopic(this, 'Alerts', { email: config.notifications.email });
    const secrets = new SyncSecrets(this, 'Secrets', config);

    const runTable = new RunTable(this, 'Runs', { key: this.drop.key });
    const runPlan = new RunPlan(this, 'RunPlan', { config, bucket, table: runTable, coupaSecret: secrets.coupa });
    const runTask = new RunTask(this, 'RunTask', {
      config,
      bucket,
      table: runTable,
      coupaSecret: secrets.coupa,
      apiQueue: this.queues.api,
      csvQueue: this.queues.csv,
      alerts: this.alerts,
    });
    const machine = new RunMachine(this, 'RunMachine', { config, functions: { 'run-plan': runPlan.function.fn, 'run-task': runTask.function.fn } });
    const stateMachine = machine.stateMachine;
    const runEnded = new RunEnded(this, 'RunEnded', { config, bucket, table: runTable, stateMachine, alerts: this.alerts });
    const splitter = new Splitter(this, 'Split', { config, bucket, stateMachine });
    const coordination = { table: runTable, stateMachine };

    const dlqNotifier = new DlqNotifier(this, 'DeadLetters', {
      config,
      bucket,
      dlqs: [this.queues.apiDlq, this.queues.csvDlq],
      alerts: this.alerts,
      ...coordination,
    });
    const api = new ApiConsumer(this, 'ApiChannel', {
      config,
      bucket,
      queue: this.queues.api,
      deadLetterQueue: this.queues.apiDlq,
      coupaSecret: secrets.coupa,
      alerts: this.alerts,
      ...coordination,
    });
    // The CSV channel only when configured: an idle connector to a made-up host is attack surface and cost.
    const csv = withCsv
      ? new CsvDelivery(this, 'CsvChannel', {
          config,
          bucket,
          queue: this.queues.csv,
          coupaSecret: secrets.coupa,
          sftpSecret: secrets.sftp!,
          alerts: this.alerts,
          ...coordination,
        })
      : undefined;
    new Writers(this, 'Writers', {
      bucket,
      queues: [this.queues.api, this.queues.csv],
      sender: runTask.function.role,
      redrives: [
        { dlq: this.queues.apiDlq, queue: this.queues.api },
        { dlq: this.queues.csvDlq, queue: this.queues.csv },
      ],
      runTable,
      stateMachine,
      runWriters: {
        all: [runPlan.function.role, runTask.function.role],
        outcomesOnly: [api.function.role, dlqNotifier.function.role, ...(csv ? [csv.batcher.role, csv.poller.role] : [])],
      },
    });

    secrets.onlyReadBy(secrets.coupa, [runPlan.function.role, runTask.function.role, api.function.role, ...(csv ? [csv.poller.role] : [])]);

    new SyncDashboard(this, 'Monitoring', {
      dashboardName: `${config.stackName}-sync`,
      bucketName: bucket.bucketName,
      runTableName: runTable.table.tableName,
      queues: { api: this.queues.api, csv: this.queues.csv },
      deadLetterQueues: { apiDlq: this.queues.apiDlq, csvDlq: this.queues.csvDlq },
      failedInvocations: {
        splitterFailedEvents: {
          queue: splitter.failedEvents,
          description:
            'The splitter gave up on an S3 event after its retries: no run was started for that HR file (it was NOT split). ' +
            'The message in the queue names the bucket, key and error; fix the cause and upload the file again.',
        },
      },
      metricAlarms: {
        coupaCredentialsRefused: {
          metric: api.credentialsRefused,
          description:
            'Coupa refused the OAuth client (or the Coupa secret is not filled in): the api-consumer applies nothing ' +
            'and hands every message back. Rotate the secret: put a valid {"clientId","clientSecret"} (Core) or {"apiKey"} ' +
            '(CSO) in the secret named by the CoupaSecretName output; the next batch re-reads it and the queue drains.',
        },
      },
      functions: {
        splitter: splitter.function,
        apiConsumer: api.function,
        ...(csv ? { csvBatcher: csv.batcher, csvResultsPoller: csv.poller } : {}),
        dlqNotifier: dlqNotifier.function,
        runPlan: runPlan.function,
        runTask: runTask.function,
        runEnded: runEnded.function,
      },
      stateMachine,
      topic: this.alerts.topic,
      transferRules: csv ? { completed: csv.sendCompleted, failed: csv.sendFailed } : undefined,
    });

    new CfnOutput(this, 'DropBucketName', { value: bucket.bucketName, description: 'Put HR files under incoming/' });
    new CfnOutput(this, 'StateMachineArn', {
      value: stateMachine.stateMachineArn,
      description: 'The run state machine: one execution per run, named by the run id (Step Functions console)',
    });
    new CfnOutput(this, 'FailureTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'CoupaSecretName', { value: config.coupa.secretName, description: 'Fill in the Coupa OAuth client' });
    if (csv) {
      new CfnOutput(this, 'SftpSecretName', { value: config.csv.sftp.secretName, description: 'Fill in the Coupa sFTP user' });
      new CfnOutput(this, 'ConnectorId', { value: csv.connector.attrConnectorId });
    }
  }
}

/**
 * A CSV channel needs somewhere to connect and a pinned host key: without one, Transfer Family would
 * send personal data to whichever server answers at that address.
 */
function checkCsvChannel(stack: Stack, config: SyncConfig): void {
  if (!config.csv.sftp.url) {
    Annotations.of(stack).addError('delivery is "csv" but csv.sftp.url is not set: the CSV channel needs the Coupa sFTP address (sftp://user@host).');
  }
  if (config.csv.sftp.trustedHostKeys.length === 0) {
    Annotations.of(stack).addError(
      'csv.sftp.trustedHostKeys is empty: the CSV channel is refused without a pinned host key (add the server\'s ' +
        '`ssh-keyscan <host>` line(s)), or remove csv.sftp.url (and delivery "csv") to deploy without it.',
    );
  }
}

