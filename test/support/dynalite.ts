/**
 * DynamoDB for tests: dynalite (an implementation of DynamoDB's API on an in-memory LevelDB: real
 * condition and update expressions, `ADD`, consistent queries, pagination), served in-process on
 * 127.0.0.1 at a free port, with the run table created from RUN_TABLE_KEYS.
 *
 *   const db = await startDynalite();      // in beforeAll
 *   new DynamoRunLine(db.client, db.tableName, 'bucket');
 *   await db.reset();                       // in beforeEach: a fresh, empty table
 *   await db.close();                       // in afterAll
 *
 * dynalite 4 has no TransactWriteItems, which the run line and the run records use. So this harness
 * adds it in front of dynalite, built from dynalite's own parts: every item of the transaction is
 * validated by dynalite's PutItem/UpdateItem/DeleteItem validation, the items' keys are locked with
 * dynalite's own per-item locks (the same locks its single-item writes take, so a transaction is
 * atomic with respect to every other request), every condition is checked and every new item
 * computed by dynalite's own actions against a staging copy, and only if every condition held are
 * the staged items written. A cancelled transaction answers as DynamoDB does:
 * TransactionCanceledException with one CancellationReasons entry per item (`None` or
 * `ConditionalCheckFailed`). Not modelled: ClientRequestToken idempotency, TransactionConflict (a
 * concurrent transaction waits for the lock instead), items in more than one table, and
 * ReturnValuesOnConditionCheckFailure.
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { RUN_TABLE_KEYS } from '../../lambdas/adapters/aws/run-table';

const require = createRequire(import.meta.url);

/* dynalite is CommonJS without types: the few parts used here, as they are. */
type Callback = (err: DynaliteError | null, data?: unknown) => void;
interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type: string; message?: string };
}
interface ItemDb {
  lock(keys: string | string[], exec: (release: (done: Callback) => Callback) => void): void;
  get(key: string, cb: (err: (Error & { name: string }) | null, item?: unknown) => void): void;
  put(key: string, item: unknown, cb: (err: Error | null) => void): void;
  del(key: string, cb: (err: Error | null) => void): void;
}
interface Store {
  getTable(name: string, cb: (err: DynaliteError | null, table?: unknown) => void): void;
  getItemDb(name: string): ItemDb;
}
type Action = (store: Store, data: Record<string, unknown>, cb: Callback) => void;
interface Validation {
  types: Record<string, unknown>;
  custom?: unknown;
}

const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;
const dynaliteDb = require('dynalite/db') as {
  create: (options: Record<string, unknown>) => Store;
  createKey: (item: unknown, table: unknown) => string;
  checkConditional: (data: unknown, existing: unknown) => DynaliteError | null;
};
const validations = require('dynalite/validations') as {
  checkTypes(data: unknown, types: unknown): Record<string, unknown>;
  checkValidations(data: unknown, types: unknown, custom: unknown, store: Store): void;
};
const OPERATIONS = {
  Put: { action: require('dynalite/actions/putItem') as Action, validation: require('dynalite/validations/putItem') as Validation },
  Update: { action: require('dynalite/actions/updateItem') as Action, validation: require('dynalite/validations/updateItem') as Validation },
  Delete: { action: require('dynalite/actions/deleteItem') as Action, validation: require('dynalite/validations/deleteItem') as Validation },
  // A condition check is a delete's request (key + condition) that writes nothing.
  ConditionCheck: { action: undefined, validation: require('dynalite/validations/deleteItem') as Validation },
} as const;
type Operation = keyof typeof OPERATIONS;

export interface Dynalite {
  client: DynamoDBClient;
  /** The current table (reset() makes a new one). */
  readonly tableName: string;
  endpoint: string;
  /** A fresh, empty table under a new name (the old one is dropped). */
  reset(): Promise<void>;
  close(): Promise<void>;
  /** Transactions served so far, and how many were cancelled (a test can show its race took place). */
  readonly transactions: { served: number; cancelled: number };
}

export async function startDynalite(): Promise<Dynalite> {
  // Capture dynalite's store as it is made: the transaction handler works on it directly.
  let store: Store | undefined;
  const create = dynaliteDb.create;
  dynaliteDb.create = (options) => (store = create(options));
  let server: Server;
  try {
    server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  } finally {
    dynaliteDb.create = create;
  }
  const transactions = { served: 0, cancelled: 0 };
  const [serveDynalite] = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers['x-amz-target'] !== 'DynamoDB_20120810.TransactWriteItems') return serveDynalite(req, res);
    void readBody(req).then((body) => transactWriteItems(store!, body, transactions).then(([status, answer]) => send(res, status, answer)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    // A test asserts what the adapter does, not the SDK's retries of a refused request.
    maxAttempts: 1,
  });

  let count = 0;
  let tableName = '';
  const makeTable = async () => {
    tableName = `run-table-${++count}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: RUN_TABLE_KEYS.partitionKey.name, AttributeType: RUN_TABLE_KEYS.partitionKey.type },
          { AttributeName: RUN_TABLE_KEYS.sortKey.name, AttributeType: RUN_TABLE_KEYS.sortKey.type },
        ],
        KeySchema: [
          { AttributeName: RUN_TABLE_KEYS.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: RUN_TABLE_KEYS.sortKey.name, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    // dynalite accepts the TTL setting as a call but never expires items (tests set the clock instead).
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: RUN_TABLE_KEYS.timeToLiveAttribute, Enabled: true } })).catch(() => undefined);
  };
  await makeTable();

  return {
    client,
    get tableName() {
      return tableName;
    },
    endpoint,
    transactions,
    async reset() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      await makeTable();
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, answer: unknown): void {
  const body = JSON.stringify(answer);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/x-amz-json-1.0');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

const validationError = (message: string) => [400, { __type: 'com.amazon.coral.validate#ValidationException', message }] as const;

/** TransactWriteItems as DynamoDB answers it: all items written, or none and why. */
async function transactWriteItems(store: Store, body: string, counts: { served: number; cancelled: number }): Promise<readonly [number, unknown]> {
  let request: { TransactItems?: Array<Partial<Record<Operation, Record<string, unknown>>>> };
  try {
    request = JSON.parse(body);
  } catch {
    return [400, { __type: 'com.amazon.coral.service#SerializationException' }];
  }
  const items = request.TransactItems ?? [];
  if (items.length === 0 || items.length > 100) return validationError('TransactItems must have between 1 and 100 items');

  // Each item, validated (and its expressions parsed) as its single-item request would be.
  const ops: Array<{ operation: Operation; data: Record<string, unknown> }> = [];
  for (const item of items) {
    const names = Object.keys(item) as Operation[];
    if (names.length !== 1 || !(names[0] in OPERATIONS)) return validationError('each TransactItem holds exactly one of Put, Update, Delete, ConditionCheck');
    const operation = names[0];
    try {
      const data = validations.checkTypes({ ...item[operation] }, OPERATIONS[operation].validation.types);
      validations.checkValidations(data, OPERATIONS[operation].validation.types, OPERATIONS[operation].validation.custom, store);
      ops.push({ operation, data });
    } catch (err) {
      const e = err as DynaliteError;
      if (e.statusCode) return [e.statusCode, e.body];
      throw err;
    }
  }
  const tableName = ops[0].data.TableName as string;
  if (ops.some((op) => op.data.TableName !== tableName)) return validationError('this test harness runs transactions on one table only');

  const table = await new Promise<unknown>((resolve, reject) => store.getTable(tableName, (err, t) => (err ? reject(err) : resolve(t)))).catch((err: DynaliteError) => err);
  if (table instanceof Error) return [(table as DynaliteError).statusCode ?? 500, (table as DynaliteError).body];
  const keys = ops.map((op) => dynaliteDb.createKey(op.data.Item ?? op.data.Key, table));
  if (new Set(keys).size !== keys.length) return validationError('Transaction request cannot include multiple operations on one item');

  const itemDb = store.getItemDb(tableName);
  return new Promise((resolve) => {
    itemDb.lock(keys, (release) => {
      const done = release(() => undefined);
      stageAndCommit(store, itemDb, ops, keys)
        .then((answer) => {
          counts.served++;
          if (answer[1] && (answer[1] as { __type?: string }).__type?.endsWith('TransactionCanceledException')) counts.cancelled++;
          resolve(answer);
        })
        .catch((err: DynaliteError) => resolve([err.statusCode ?? 500, err.body ?? { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(err) }]))
        .finally(() => done(null));
    });
  });
}

/**
 * With every key locked: runs each item's own dynalite action against a staging store (reads go
 * to the table, writes to the stage, locks are already held), then writes the stage if every
 * condition held.
 */
async function stageAndCommit(store: Store, itemDb: ItemDb, ops: Array<{ operation: Operation; data: Record<string, unknown> }>, keys: string[]): Promise<readonly [number, unknown]> {
  const staged = new Map<string, unknown | null>();
  const stagingDb: ItemDb = {
    lock: (_keys, exec) => exec((done) => done),
    get: (key, cb) => itemDb.get(key, cb),
    put: (key, item, cb) => {
      staged.set(key, item);
      cb(null);
    },
    del: (key, cb) => {
      staged.set(key, null);
      cb(null);
    },
  };
  const stagingStore: Store = Object.assign(Object.create(store) as Store, { getItemDb: () => stagingDb });

  const reasons: Array<{ Code: string; Message?: string }> = [];
  for (const [i, { operation, data }] of ops.entries()) {
    const failed = await new Promise<DynaliteError | null>((resolve) => {
      const action = OPERATIONS[operation].action;
      if (action) return action(stagingStore, data, (err) => resolve(err));
      itemDb.get(keys[i], (err, existing) => (err && err.name !== 'NotFoundError' ? resolve(err) : resolve(dynaliteDb.checkConditional(data, existing))));
    });
    if (!failed) reasons.push({ Code: 'None' });
    else if (failed.body?.__type?.endsWith('ConditionalCheckFailedException')) reasons.push({ Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' });
    else throw failed;
  }
  if (reasons.some((r) => r.Code !== 'None')) {
    return [
      400,
      {
        __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      },
    ];
  }
  for (const [key, item] of staged) {
    await new Promise<void>((resolve, reject) => (item === null ? itemDb.del(key, (e) => (e ? reject(e) : resolve())) : itemDb.put(key, item, (e) => (e ? reject(e) : resolve()))));
  }
  return [200, {}];
}
