/**
 * The S3 bucket HR drops files into (incoming/), where runs are reported (runs/) and where CSV files
 * wait for the Transfer Family connector (outbox/). Private, encrypted, versioned, access-logged.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Key prefixes, shared by the stack's IAM grants and the handlers' environment. */
export const PREFIX = {
  incoming: 'incoming/',
  /** Files planned only: a plan and its report, nothing written to Coupa. */
  plan: 'plan/',
  /** `approvals/<runId>` approves a held run. */
  approvals: 'approvals/',
  /** The planner's state between runs: the kept snapshot of Coupa's users, the last accepted roster. */
  state: 'state/',
  /** A run's unfinished read of Coupa's users, kept while continuations carry it on (planner only). */
  readCheckpoints: 'state/reads/',
  /** `continue/<runId>`: the planner asks itself to carry on a run's read of Coupa (planner only). */
  continuations: 'continue/',
  runs: 'runs/',
  /** Markers of runs split but not yet reported (the run-reporter lists only these). */
  pendingRuns: 'runs/pending/',
  /** Markers of held runs waiting for approval (the run-reporter expires them). */
  heldRuns: 'runs/held/',
  outbox: 'outbox/',
  manifests: 'outbox/manifests/',
} as const;

export class DropBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string) {
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

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'drop-bucket/',
      lifecycleRules: [
        // Old versions only matter for a short audit window; HR re-sends full or delta files anyway.
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(30) },
        // HR files carry personal data: keep them no longer than needed to re-run a failed day.
        { id: 'expire-incoming', prefix: PREFIX.incoming, expiration: Duration.days(30) },
        { id: 'expire-plan-only', prefix: PREFIX.plan, expiration: Duration.days(30) },
        { id: 'expire-outbox', prefix: PREFIX.outbox, expiration: Duration.days(30) },
        // A continued read lasts hours at most (roster.maxReadContinuations) and removes its checkpoint
        // when done: what is left there is a run that died, and holds users' data.
        { id: 'expire-read-checkpoints', prefix: PREFIX.readCheckpoints, expiration: Duration.days(2), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'expire-continuations', prefix: PREFIX.continuations, expiration: Duration.days(2), noncurrentVersionExpiration: Duration.days(1) },
        // runs/ (reports, outcomes) has no expiry: it is the audit trail.
        // Deleted pending markers leave delete markers (versioned bucket); drop them once alone, so listing stays cheap.
        { id: 'clean-pending-markers', prefix: PREFIX.pendingRuns, expiredObjectDeleteMarker: true },
        { id: 'clean-held-markers', prefix: PREFIX.heldRuns, expiredObjectDeleteMarker: true },
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
