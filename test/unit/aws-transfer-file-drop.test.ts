import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { StartFileTransferCommand, TransferClient } from '@aws-sdk/client-transfer';
import { TransferFileDrop } from '../../lambdas/adapters/aws/transfer-file-drop';

const s3Mock = mockClient(S3Client);
const transferMock = mockClient(TransferClient);

function drop() {
  return new TransferFileDrop({
    s3: new S3Client({}),
    transfer: new TransferClient({}),
    bucket: 'drop-bucket',
    connectorId: 'c-0123456789abcdef0',
  });
}

beforeEach(() => {
  s3Mock.reset();
  transferMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  transferMock.on(StartFileTransferCommand).resolves({ TransferId: 'tr-42' });
});

describe('TransferFileDrop', () => {
  it('stages the file in outbox/ and asks the connector to send that path to the remote directory', async () => {
    // Prepare
    const body = Buffer.from('"Login","Email"\n"jane.doe","jane@example.com"\n');
    // Act
    const result = await drop().deliver('users20261123_044000Z_ab12cd34.csv', body, '/Incoming/Users');
    // Assess
    expect(result).toEqual({ transferId: 'tr-42' });
    const put = s3Mock.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(put).toMatchObject({ Bucket: 'drop-bucket', Key: 'outbox/users20261123_044000Z_ab12cd34.csv', Body: body });
    expect(transferMock.commandCalls(StartFileTransferCommand)[0].args[0].input).toEqual({
      ConnectorId: 'c-0123456789abcdef0',
      SendFilePaths: ['/drop-bucket/outbox/users20261123_044000Z_ab12cd34.csv'],
      RemoteDirectoryPath: '/Incoming/Users',
    });
  });

  it('starts no transfer when staging fails', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    // Act / Assess
    await expect(drop().deliver('users.csv', Buffer.from('x'), '/Incoming/Users')).rejects.toThrow('AccessDenied');
    expect(transferMock.commandCalls(StartFileTransferCommand)).toHaveLength(0);
  });

  it('refuses a name that could leave the outbox', async () => {
    // Act / Assess
    await expect(drop().deliver('../runs/x.csv', Buffer.from('x'), '/Incoming/Users')).rejects.toThrow(/Unsafe file name/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
