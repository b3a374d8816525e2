/**
 * The S3 bucket HR drops files into (incoming/), where runs keep their files (runs/, state/) and where CSV files
 * wait for the Transfer Family connector (outbox/). Private, encrypted (SSE-S3, or SSE-KMS with a
 * customer-managed key: config storage.encryption), versioned, access-logged, each part kept as
 * long as storage.*RetentionDays says.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { SyncConfig } from '../../lambdas/core/config';

/** Key prefixes, shared by the stack's IAM grants and the handlers' environment. */
export const PREFIX = {
  /** HR files to apply: a new object here starts a run (the splitter starts its execution). */
  incoming: 'incoming/',
  /** Files planned only: a plan and its report, nothing written to Coupa. */
  plan: 'plan/',
  /** The run's files kept between runs: the snapshot of Coupa's users, the last accepted roster. */
  state: 'state/',
  /** A run's unfinished read of Coupa's users, kept while ReadCoupa carries it on (run-plan only). */
  readCheckpoints: 'state/reads/',
  /** The run's integration run in Coupa's monitoring, kept between its phases (both run functions). */
  monitoring: 'state/monitoring/',
  /** Each run's files: runs/<runId>/plan.json, approved.json, outcomes/, report.{json,csv,html}. */
  runs: 'runs/',
  outbox: 'outbox/',
  manifests: 'outbox/manifests/',
  /** Manifests of files whose loader verdict is not recorded yet (S3ManifestStore). */
  pendingManifests: 'outbox/manifests/pending/',
} as const;

/**
 * Object key patterns (IAM wildcards) narrower than a prefix, for roles that write only one kind of
 * object. They follow the key layout of the adapters (test/infra/grants.test.ts checks them against it).
 * What runs share beyond files (counts, marks, the line and its turn) is in the run table (run-table.ts).
 */
export const KEY_PATTERN = {
  /** Row outcomes: runs/<runId>/outcomes/<time>-<random>.json (S3OutcomeLedger). */
  outcomes: `${PREFIX.runs}*/outcomes/*`,
  /** User-import files: outbox/users_<time>Z_<ms>_<batch>_<seq>.csv (importFileName, TransferFileDrop). */
  importFiles: `${PREFIX.outbox}users_*.csv`,
  /** The last full roster a complete run applied (S3StateStore ACCEPTED_ROSTER_KEY): the Report step keeps it. */
  acceptedRoster: `${PREFIX.state}accepted-roster.json`,
} as const;

export class DropBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  /** The bucket's KMS key with storage.encryption "kms" (the grants in grants.ts add its use to each role). */
  readonly key?: kms.IKey;

  constructor(scope: Construct, id: string, storage: SyncConfig['storage']) {
    super(scope, id);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });

    if (storage.encryption === 'kms') {
      this.key = storage.kmsKeyArn
        ? kms.Key.fromKeyArn(this, 'Key', storage.kmsKeyArn)
        : new kms.Key(this, 'Key', {
            description: 'coupa-user-sync drop bucket (HR files, plans, reports)',
            enableKeyRotation: true,
            // The reports and plans it encrypts are retained with the bucket: so is the key.
            removalPolicy: RemovalPolicy.RETAIN,
          });
    }
    const days = (n: number) => Duration.days(n);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // The access-log bucket stays SSE-S3: S3 server access logging cannot deliver to SSE-KMS buckets.
      ...(this.key
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.key, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'drop-bucket/',
      lifecycleRules: [
        // Old versions only matter for a short audit window; HR re-sends full or delta files anyway.
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(30) },
        // HR files carry personal data: keep them no longer than needed to re-run a failed day.
        { id: 'expire-incoming', prefix: PREFIX.incoming, expiration: days(storage.incomingRetentionDays) },
        { id: 'expire-plan-only', prefix: PREFIX.plan, expiration: days(storage.incomingRetentionDays) },
        { id: 'expire-outbox', prefix: PREFIX.outbox, expiration: days(storage.outboxRetentionDays) },
        // runs/ (plans, outcomes, reports) is the audit trail: kept runsRetentionDays, or for ever with 0.
        ...(storage.runsRetentionDays > 0 ? [{ id: 'expire-runs', prefix: PREFIX.runs, expiration: days(storage.runsRetentionDays) }] : []),
        // A continued read lasts hours at most (roster.maxReadContinuations) and removes its checkpoint
        // when done: what is left there is a run that died, and holds users' data.
        { id: 'expire-read-checkpoints', prefix: PREFIX.readCheckpoints, expiration: Duration.days(2), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
