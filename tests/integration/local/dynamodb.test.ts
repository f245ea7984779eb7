import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import {
  ensureSyncTable,
  type LocalDynamo,
  localDynamoClient,
  startLocalDynamo,
} from '../../../src/local/dynamodb.js';

describe('startLocalDynamo in memory', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    client = localDynamoClient(dynamo.endpoint);
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.stop();
  });

  it('listens on a free loopback port', () => {
    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.endpoint).not.toBe('http://127.0.0.1:0');
  });

  it('creates the sync table once, on demand, with pk/sk keys and on-demand billing', async () => {
    await ensureSyncTable(client, 'sync-memory');
    await ensureSyncTable(client, 'sync-memory');

    const tables = await client.send(new ListTablesCommand({}));
    expect(tables.TableNames?.filter((name) => name === 'sync-memory')).toHaveLength(1);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'sync-memory' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('stores a batch and queries it back in sort key order', async () => {
    await ensureSyncTable(client, 'sync-query');
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          'sync-query': Array.from({ length: 25 }, (_, i) => ({
            PutRequest: {
              Item: {
                pk: { S: 'run#1' },
                sk: { S: `page#${String(24 - i).padStart(3, '0')}` },
                n: { N: String(i) },
              },
            },
          })),
        },
      }),
    );
    await client.send(
      new PutItemCommand({ TableName: 'sync-query', Item: { pk: { S: 'run#2' }, sk: { S: 'page#000' } } }),
    );

    const result = await client.send(
      new QueryCommand({
        TableName: 'sync-query',
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': { S: 'run#1' }, ':prefix': { S: 'page#' } },
      }),
    );
    expect(result.Count).toBe(25);
    expect(result.Items?.[0]?.sk?.S).toBe('page#000');
    expect(result.Items?.[24]?.sk?.S).toBe('page#024');
  });

  it('refuses a table of that name with another key schema', async () => {
    await client.send(
      new CreateTableCommand({
        TableName: 'not-sync',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );

    await expect(ensureSyncTable(client, 'not-sync')).rejects.toThrow(
      'Table not-sync exists with key schema [id:HASH]; the sync table needs [pk:HASH, sk:RANGE]',
    );
    await expect(ensureSyncTable(client, 'x')).rejects.toThrow('Table name "x" is invalid');
  });
});

describe('startLocalDynamo with a data folder', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-dynamo-'));
  });
  afterEach(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps tables and items across stop and start', async () => {
    const first = await startLocalDynamo({ dataDir, port: 0 });
    const firstClient = localDynamoClient(first.endpoint);
    try {
      await ensureSyncTable(firstClient, 'sync-persisted');
      await firstClient.send(
        new PutItemCommand({
          TableName: 'sync-persisted',
          Item: { pk: { S: 'mark#ITALCOL' }, sk: { S: 'accounts' }, hash: { S: 'abc' } },
        }),
      );
    } finally {
      firstClient.destroy();
      await first.stop();
    }

    const second = await startLocalDynamo({ dataDir });
    const secondClient = localDynamoClient(second.endpoint);
    try {
      await ensureSyncTable(secondClient, 'sync-persisted');
      const { Item } = await secondClient.send(
        new GetItemCommand({
          TableName: 'sync-persisted',
          Key: { pk: { S: 'mark#ITALCOL' }, sk: { S: 'accounts' } },
        }),
      );
      expect(Item?.hash?.S).toBe('abc');
    } finally {
      secondClient.destroy();
      await second.stop();
    }
  });

  it('says so when the folder is already in use', async () => {
    const running = await startLocalDynamo({ dataDir });
    try {
      await expect(startLocalDynamo({ dataDir })).rejects.toThrow(
        /Cannot open the DynamoDB folder .*\(is another sf-sync or dynalite using it\?\): .*LOCK/,
      );
    } finally {
      await running.stop();
    }
    // Once stopped, the folder can be opened again; stop is idempotent.
    const again = await startLocalDynamo({ dataDir });
    await again.stop();
    await again.stop();
  });

  it('rejects an invalid port', async () => {
    await expect(startLocalDynamo({ port: 70000 })).rejects.toThrow(
      'port must be an integer from 0 to 65535',
    );
  });
});
