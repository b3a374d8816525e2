/**
 * The state store that also writes reports: the run-task function's (Report, ReportHeld and the
 * endings). A module of its own so that only that bundle carries the three report renderers.
 */
import { renderReportChunks } from '../../../core/report';
import { S3StateStore } from '../s3-state-store';
import { retryableOnce } from './runtime';
import { bucket, objectStore } from './s3';

export const reportingStateStore = /* @__PURE__ */ retryableOnce(async () => new S3StateStore(await objectStore(), bucket(), undefined, renderReportChunks));
