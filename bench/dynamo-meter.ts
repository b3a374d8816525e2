/**
 * A meter in front of dynalite: an HTTP proxy the handlers' DynamoDB client talks to (set
 * AWS_ENDPOINT_URL_DYNAMODB to `endpoint`), counting the requests dynalite serves by operation and
 * the capacity units DynamoDB on-demand would bill for them.
 *
 * Units are dynalite's own arithmetic where it has one: the proxy asks every single-item and batch
 * request for `ReturnConsumedCapacity: TOTAL` (1 write unit per started KB of the larger of the old and
 * new item, 1 read unit per started 4 KB of a consistent read, half for an eventually consistent one).
 * Transactions are served by the harness in test/support/dynalite.ts, which reports no capacity: for
 * those the meter reads each item before and after (straight from dynalite, not counted) and bills
 * 2 write units per started KB of the larger, as DynamoDB bills transactional writes (condition
 * checks included).
 */
import { createRequire } from 'node:module';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const require = createRequire(import.meta.url);
const { itemSize } = require('dynalite/db') as { itemSize: (item: Record<string, unknown>) => number };

type WireItem = Record<string, unknown>;

export interface DynamoUsage {
  /** Requests served, by operation (GetItem, UpdateItem, Query, TransactWriteItems…). */
  requests: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

export interface DynamoMeter {
  endpoint: string;
  /** What was served since the last reset. */
  usage(): DynamoUsage;
  reset(): void;
  close(): Promise<void>;
}

const CAPACITY_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

export async function startDynamoMeter(target: string): Promise<DynamoMeter> {
  const upstream = new URL(target);
  let usage: DynamoUsage = { requests: {}, readUnits: 0, writeUnits: 0 };

  /** One request to dynalite, as the SDK sent it (the signature is not checked by dynalite). */
  const forward = (headers: IncomingMessage['headers'], body: string) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: 'POST', path: '/', headers: { ...headers, 'content-length': Buffer.byteLength(body), host: upstream.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  /** The item's size in bytes as DynamoDB counts it, read straight from dynalite (0 when absent). */
  const sizeOf = async (headers: IncomingMessage['headers'], table: string, key: WireItem): Promise<number> => {
    const answer = await forward({ ...headers, 'x-amz-target': 'DynamoDB_20120810.GetItem' }, JSON.stringify({ TableName: table, Key: key, ConsistentRead: true }));
    const item = (JSON.parse(answer.body) as { Item?: WireItem }).Item;
    return item ? itemSize(item) : 0;
  };

  type TransactItem = Record<string, { TableName: string; Key?: WireItem; Item?: WireItem }>;
  const transactionUnits = async (headers: IncomingMessage['headers'], items: TransactItem[], run: () => Promise<boolean>): Promise<void> => {
    const before = await Promise.all(items.map(async (entry) => {
      const [kind, op] = Object.entries(entry)[0];
      return { kind, op, size: op.Key ? await sizeOf(headers, op.TableName, op.Key) : 0 };
    }));
    const committed = await run();
    for (const { kind, op, size } of before) {
      let larger = size;
      if (committed && kind === 'Put' && op.Item) larger = Math.max(larger, itemSize(op.Item));
      if (committed && kind === 'Update' && op.Key) larger = Math.max(larger, await sizeOf(headers, op.TableName, op.Key));
      usage.writeUnits += 2 * Math.max(1, Math.ceil(larger / 1024));
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? 'unknown';
        const request = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        usage.requests[operation] = (usage.requests[operation] ?? 0) + 1;
        if (CAPACITY_OPERATIONS.has(operation) && !request.ReturnConsumedCapacity) request.ReturnConsumedCapacity = 'TOTAL';
        let answer!: Awaited<ReturnType<typeof forward>>;
        const send = async () => {
          answer = await forward(req.headers, JSON.stringify(request));
          return answer.status === 200;
        };
        if (operation === 'TransactWriteItems') {
          await transactionUnits(req.headers, (request.TransactItems ?? []) as TransactItem[], send);
        } else {
          await send();
          if (answer.status === 200) {
            const consumed = (JSON.parse(answer.body) as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> }).ConsumedCapacity;
            const units = [consumed ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
            if (READS.has(operation)) usage.readUnits += units;
            else usage.writeUnits += units;
          } else if (!READS.has(operation) && operation !== 'CreateTable' && operation !== 'DeleteTable') {
            // A refused conditional write still costs its write unit.
            usage.writeUnits += 1;
          }
        }
        res.writeHead(answer.status, { 'content-type': answer.headers['content-type'] ?? 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
      })().catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: err.message }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    usage: () => structuredClone(usage),
    reset: () => {
      usage = { requests: {}, readUnits: 0, writeUnits: 0 };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
