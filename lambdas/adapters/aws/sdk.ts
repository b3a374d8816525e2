/**
 * The AWS SDK v3 packages, loaded on first use rather than at import. Importing a client package
 * costs 50–90 ms of cold start each; a handler should pay only for the services its invocation
 * actually calls (the csv-results-poller with nothing pending touches no SDK but S3). Node caches
 * the module, so every later call is a resolved promise. Adapters import SDK *types* statically
 * (erased) and SDK *values* (clients, commands) only through these.
 */
export const s3Sdk = () => import('@aws-sdk/client-s3');
export const snsSdk = () => import('@aws-sdk/client-sns');
export const sqsSdk = () => import('@aws-sdk/client-sqs');
export const secretsSdk = () => import('@aws-sdk/client-secrets-manager');
export const transferSdk = () => import('@aws-sdk/client-transfer');
export const dynamoSdk = () => import('@aws-sdk/client-dynamodb');
export const sfnSdk = () => import('@aws-sdk/client-sfn');
