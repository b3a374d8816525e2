/**
 * The Coupa client: transport (auth, rate governor, retries), Core and CSO user directories,
 * the CSV-load result reader and the payload codecs.
 */
import type { DataFileSourceReader, IntegrationMonitoring, ReferenceReader, UserDirectory } from '../../core/ports';
import type { ClientOptions } from './client-options';
import { CoupaHttp } from './http';
import { CoreUserDirectory } from './core-directory';
import { CsoUserDirectory } from './cso-directory';
import { CoupaDataFileSourceReader } from './data-file-sources';
import { CoupaIntegrationMonitoring } from './monitoring-client';
import { CoreReferenceReader } from './reference-reader';

export * from '../../core/coupa-errors';
export type { BulkItemResult, DataFileSourceReader, DataFileSourceResult, UserDirectory } from '../../core/ports';
export type { ClientOptions, CoupaCredentials, RequestEvent } from './client-options';
export { CoupaHttp, encodeQuery, parseRetryAfter, MONITORING_SCOPES } from './http';
export { CoupaIntegrationMonitoring } from './monitoring-client';
export type { CoupaResponse, Query, QueryValue, RequestOptions, RetryReason, WireFormat } from './http';
export { TokenBucket } from './token-bucket';
export type { TokenBucketOptions } from './token-bucket';
export { parseCoupaErrors } from './errors';
export { parseCoupaXml, buildCoupaXml } from './xml-codec';
export { parseJsonKeepingLongIds } from './json-codec';
export { OAuthTokenCache } from './oauth-token';
export { CoreUserDirectory } from './core-directory';
export type { FallbackRecord } from './core-directory';
export { CsoUserDirectory } from './cso-directory';
export type { CsoItemResult } from './cso-directory';
export { CoupaDataFileSourceReader } from './data-file-sources';
export { CoreReferenceReader, REFERENCE_LIST_SPECS } from './reference-reader';
export { fromCoupaUser, toCreatePayload, toUpdatePayload, userList, userFieldsFilter } from './user-mapping';
export { fromCsoUser, toCsoPayload, csoUserList } from './cso-mapping';
export { chunkValues, MAX_IN_LIST_CHARS } from './lookup';

/**
 * The directory for config.flavor: CoreUserDirectory (OAuth, XML/JSON) or CsoUserDirectory.
 * Pass `http` to share one transport (and so one rate budget) with other readers.
 */
export function createUserDirectory(options: ClientOptions, http = new CoupaHttp(options)): UserDirectory {
  return options.config.flavor === 'cso' ? new CsoUserDirectory(http) : new CoreUserDirectory(http);
}

/** Core only (CSO users have no reference elements): GET /api/departments, /api/roles, … for pre-flight. */
export function createReferenceReader(options: ClientOptions, http = new CoupaHttp(options)): ReferenceReader | undefined {
  return options.config.flavor === 'cso' ? undefined : new CoreReferenceReader(http);
}

/** Core only: GET /api/data_file_sources?source_for=User&file_file_name=… */
export function createDataFileSourceReader(options: ClientOptions, http = new CoupaHttp(options)): DataFileSourceReader {
  if (options.config.flavor === 'cso') throw new Error('CSO has no CSV user loader: data_file_sources is Coupa Core only');
  return new CoupaDataFileSourceReader(http);
}

/** Core only: Coupa's integration monitoring, sharing `http` (and so the rate budget) with the users. */
export function createIntegrationMonitoring(options: ClientOptions, http = new CoupaHttp(options)): IntegrationMonitoring {
  if (options.config.flavor === 'cso') throw new Error('CSO has no integration monitoring: coupa.monitoring is Coupa Core only');
  return new CoupaIntegrationMonitoring(http);
}
