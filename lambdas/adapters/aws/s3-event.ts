/** The pieces of an S3 event record the splitter needs. */
import type { S3EventRecord } from 'aws-lambda';

/** S3 event keys are URL-encoded with `+` for spaces. */
export function objectKeyOf(record: S3EventRecord): string {
  return decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
}

/** What identifies this exact upload: the version id (versioned bucket) or else the ETag. */
export function objectVersionOf(record: S3EventRecord): string {
  return record.s3.object.versionId ?? record.s3.object.eTag ?? record.s3.object.sequencer;
}
