/**
 * TransferTracker on a Transfer Family SFTP connector: a transfer's status from
 * ListFileTransferResults, and a resend of the same outbox file with StartFileTransfer.
 */
import type { TransferClient } from '@aws-sdk/client-transfer';
import { transferSdk } from './sdk';
import type { TransferTracker } from '../../core/ports';
import { OUTBOX_PREFIX } from './transfer-file-drop';

export class ConnectorTransferTracker implements TransferTracker {
  constructor(
    private readonly transfer: TransferClient,
    private readonly bucket: string,
    private readonly connectorId: string,
  ) {}

  async status({ transferId }: { fileName: string; transferId: string }): Promise<{ state: 'pending' | 'completed' | 'failed'; reason?: string }> {
    const out = await this.transfer.send(new (await transferSdk()).ListFileTransferResultsCommand({ ConnectorId: this.connectorId, TransferId: transferId }));
    const result = out?.FileTransferResults?.[0];
    if (result?.StatusCode === 'COMPLETED') return { state: 'completed' };
    if (result?.StatusCode === 'FAILED') return { state: 'failed', reason: [result.FailureCode, result.FailureMessage].filter(Boolean).join(' ') || undefined };
    return { state: 'pending' };
  }

  async resend({ fileName, remoteDirectory }: { fileName: string; remoteDirectory: string }): Promise<{ transferId: string }> {
    const out = await this.transfer.send(
      new (await transferSdk()).StartFileTransferCommand({ ConnectorId: this.connectorId, SendFilePaths: [`/${this.bucket}/${OUTBOX_PREFIX}${fileName}`], RemoteDirectoryPath: remoteDirectory }),
    );
    if (!out.TransferId) throw new Error(`Transfer Family returned no TransferId for ${fileName}`);
    return { transferId: out.TransferId };
  }
}
