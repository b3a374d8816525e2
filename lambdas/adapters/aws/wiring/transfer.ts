/** The sFTP delivery through the Transfer Family connector. Loads @aws-sdk/client-transfer on first use only. */
import { transferSdk } from '../sdk';
import { TransferFileDrop } from '../transfer-file-drop';
import { ConnectorTransferTracker } from '../transfer-tracker';
import { requireEnv, retryableOnce } from './runtime';
import { s3Client } from './s3';

export const transferClient = retryableOnce(async () => new (await transferSdk()).TransferClient({}));
export const fileDrop = retryableOnce(
  async () =>
    new TransferFileDrop({
      s3: await s3Client(),
      transfer: await transferClient(),
      bucket: requireEnv('BUCKET_NAME'),
      connectorId: requireEnv('CONNECTOR_ID'),
    }),
);

/** The connector's transfers, for the results poller: a failed one is sent again, then its rows failed. */
export const transferTracker = retryableOnce(
  async () => new ConnectorTransferTracker(await transferClient(), requireEnv('BUCKET_NAME'), requireEnv('CONNECTOR_ID')),
);
