import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { StoreStateError, StoreUnavailableError } from '../errors.js';
import { tracer } from '../observability/tracer.js';

export type Item = Record<string, AttributeValue>;

const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
]);

/** Translates DynamoDB and network failures into our named errors, so SDK names never reach the definition. */
function translate(error: unknown, what: string): Error {
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode ?? 0;
  const network = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e.code ?? '');
  if (TRANSIENT.has(name) || status >= 500 || network) {
    return new StoreUnavailableError(`DynamoDB ${what} failed: ${name}: ${e.message ?? ''}`, {
      cause: error,
    });
  }
  return new StoreStateError(`DynamoDB ${what} failed: ${name}: ${e.message ?? ''}`, { cause: error });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls made to DynamoDB (one counter per app: read by the run summary and the benchmark). */
export interface StoreMetrics {
  calls: number;
}

/** One DynamoDB table with pk/sk string keys; counts the calls it makes in `metrics`. */
export class Table {
  constructor(
    readonly client: DynamoDBClient,
    readonly name: string,
    readonly metrics: StoreMetrics = { calls: 0 },
  ) {}

  private async send<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.metrics.calls += 1;
    try {
      return await fn();
    } catch (error) {
      throw translate(error, what);
    }
  }

  async get(pk: string, sk: string, consistent = true): Promise<Item | undefined> {
    const out = await this.send('GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.name,
          Key: { pk: { S: pk }, sk: { S: sk } },
          ConsistentRead: consistent,
        }),
      ),
    );
    return out.Item;
  }

  async put(item: Item): Promise<void> {
    await this.send('PutItem', () =>
      this.client.send(new PutItemCommand({ TableName: this.name, Item: item })),
    );
  }

  async update(
    pk: string,
    sk: string,
    input: Omit<UpdateItemCommandInput, 'TableName' | 'Key'>,
  ): Promise<Item | undefined> {
    const out = await this.send('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.name,
          Key: { pk: { S: pk }, sk: { S: sk } },
          ReturnValues: 'ALL_NEW',
          ...input,
        }),
      ),
    );
    return out.Attributes;
  }

  /** All items of a partition (optionally with a sort key prefix), following pagination. */
  async query(pk: string, skPrefix?: string, extra: Partial<QueryCommandInput> = {}): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.name,
        KeyConditionExpression: skPrefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :sk)',
        ExpressionAttributeValues: {
          ':pk': { S: pk },
          ...(skPrefix === undefined ? {} : { ':sk': { S: skPrefix } }),
        },
        ConsistentRead: true,
        ExclusiveStartKey: start,
        ...extra,
      };
      const out = await this.send('Query', () => this.client.send(new QueryCommand(input)));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Gets many items by key, 100 per call, retrying unprocessed keys. */
  async batchGet(keys: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const items: Item[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Item[] = keys.slice(i, i + 100).map((k) => ({ pk: { S: k.pk }, sk: { S: k.sk } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        if (attempt > 8)
          throw new StoreUnavailableError(`DynamoDB BatchGetItem left ${pending.length} keys unprocessed`);
        const request = pending;
        const out = await this.send('BatchGetItem', () =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.name]: { Keys: request, ConsistentRead: true } },
            }),
          ),
        );
        items.push(...(out.Responses?.[this.name] ?? []));
        pending = (out.UnprocessedKeys?.[this.name]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return items;
  }

  /** One BatchWriteItem call (≤ 25 requests); returns the unprocessed requests. */
  async write(requests: WriteRequest[]): Promise<WriteRequest[] | undefined> {
    const out = await this.send('BatchWriteItem', () =>
      this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.name]: requests } })),
    );
    return out.UnprocessedItems?.[this.name];
  }

  /** Writes many items, 25 per call, retrying unprocessed ones. */
  async batchPut(items: Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
        if (attempt > 8)
          throw new StoreUnavailableError(`DynamoDB BatchWriteItem left ${pending.length} items unprocessed`);
        const request = pending;
        const out = await this.send('BatchWriteItem', () =>
          this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.name]: request } })),
        );
        pending = (out.UnprocessedItems?.[this.name] ?? []).filter(
          (r): r is { PutRequest: { Item: Item } } => r.PutRequest?.Item !== undefined,
        );
      }
    }
  }
}

/** Deletes many items by key, 25 per call, retrying unprocessed ones. */
export async function batchDelete(table: Table, keys: Array<{ pk: string; sk: string }>): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    let pending = keys
      .slice(i, i + 25)
      .map((k) => ({ DeleteRequest: { Key: { pk: { S: k.pk }, sk: { S: k.sk } } as Item } }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
      if (attempt > 8)
        throw new StoreUnavailableError(`DynamoDB BatchWriteItem left ${pending.length} deletes unprocessed`);
      const out = await table.write(pending);
      pending = (out ?? []).filter(
        (r): r is { DeleteRequest: { Key: Item } } => r.DeleteRequest?.Key !== undefined,
      );
    }
  }
}

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });
export const str = (item: Item | undefined, name: string): string | undefined => item?.[name]?.S;
export const num = (item: Item | undefined, name: string): number => Number(item?.[name]?.N ?? 0);

/**
 * A DynamoDB client for an environment (the app builds one per container). DYNAMODB_ENDPOINT
 * points it at dynalite locally. Traced by X-Ray in Lambda (a no-op elsewhere).
 */
export function createDynamoClient(env: NodeJS.ProcessEnv = process.env): DynamoDBClient {
  return tracer.captureAWSv3Client(
    new DynamoDBClient({
      endpoint: env.DYNAMODB_ENDPOINT || undefined,
      region: env.AWS_REGION ?? 'us-east-1',
      maxAttempts: 3,
    }),
  );
}

export function tableName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.TABLE_NAME;
  if (!name) throw new StoreStateError('TABLE_NAME is not set: the DynamoDB table of the sync is unknown');
  return name;
}
