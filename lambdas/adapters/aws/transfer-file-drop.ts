/**
 * FileDrop through a Transfer Family SFTP connector: the file is staged in the bucket's outbox/,
 * then the connector is asked to send it to the remote directory. The transfer completes
 * asynchronously; EventBridge reports the result (see lib/constructs/csv-delivery.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { TransferClient } from '@aws-sdk/client-transfer';
import { s3Sdk, transferSdk } from './sdk';
import type { FileDrop } from '../../core/ports';

export const OUTBOX_PREFIX = 'outbox/';

export interface TransferFileDropOptions {
  s3: S3Client;
  transfer: TransferClient;
  bucket: string;
  connectorId: string;
}

export class TransferFileDrop implements FileDrop {
  constructor(private readonly options: TransferFileDropOptions) {}

  async deliver(name: string, body: Buffer, remoteDir: string): Promise<{ transferId: string }> {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`Unsafe file name for the outbox: ${JSON.stringify(name)}`);
    const { s3, transfer, bucket, connectorId } = this.options;
    const key = `${OUTBOX_PREFIX}${name}`;
    await s3.send(new (await s3Sdk()).PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv; charset=utf-8' }));
    const out = await transfer.send(
      new (await transferSdk()).StartFileTransferCommand({
        ConnectorId: connectorId,
        SendFilePaths: [`/${bucket}/${key}`],
        RemoteDirectoryPath: remoteDir,
      }),
    );
    if (!out.TransferId) throw new Error(`Transfer Family returned no TransferId for ${name}`);
    return { transferId: out.TransferId };
  }
}
