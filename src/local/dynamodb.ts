/**
 * DynamoDB for local runs: dynalite (pure JS on LevelDB) in-process on 127.0.0.1, in memory or
 * persisted in a folder, and the sync table created as serverless.yml declares it.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  type TableDescription,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

export interface LocalDynamo {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  stop(): Promise<void>;
}

export interface LocalDynamoOptions {
  /** LevelDB folder for persistence (created if missing); in memory when omitted. */
  dataDir?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

type Dynalite = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A DynamoDB client for a local endpoint (fixed region and dummy credentials). */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // In-flight requests get a moment to finish; then every socket is closed.
    const force = setTimeout(() => server.closeAllConnections(), 2000);
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Opens and closes the LevelDB folder once: dynalite crashes the process (an unhandled stream
 * error) when the folder is locked by another process or another dynalite in this one.
 */
async function checkFolderIsFree(dataDir: string): Promise<void> {
  const requireFromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const { Level } = requireFromDynalite('level') as { Level: new (location: string) => LevelDatabase };
  const db = new Level(dataDir);
  try {
    await db.open();
  } catch (error) {
    const reason =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new Error(
      `Cannot open the DynamoDB folder ${dataDir} (is another sf-sync or dynalite using it?): ${reason}`,
    );
  }
  await db.close();
}

/**
 * Starts dynalite on 127.0.0.1 with no CREATING/DELETING/UPDATING delays. With `dataDir`, tables
 * and items persist in that LevelDB folder across stop/start (one process at a time).
 */
export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `port must be an integer from 0 to 65535 (0 picks a free port), got ${String(options.port)}`,
    );
  }
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    await checkFolderIsFree(dataDir);
  }
  const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;
  const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${bound}`;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= closeServer(server);
    return stopped;
  };
  // LevelDB opens in the background: a store that cannot work fails here rather than mid-run.
  const client = localDynamoClient(endpoint);
  try {
    await client.send(new ListTablesCommand({ Limit: 1 }));
  } catch (error) {
    await stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `dynalite at ${endpoint} (${dataDir ?? 'in memory'}) does not answer ListTables: ${reason}`,
    );
  } finally {
    client.destroy();
  }
  return { endpoint, stop };
}

const KEY_SCHEMA = [
  { AttributeName: 'pk', KeyType: 'HASH' as const },
  { AttributeName: 'sk', KeyType: 'RANGE' as const },
];
const TTL_ATTRIBUTE = 'ttl';

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

async function waitUntilActive(
  client: DynamoDBClient,
  tableName: string,
  timeoutMs = 120_000,
): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  let delay = 25;
  for (;;) {
    const table = await describe(client, tableName);
    if (table?.TableStatus === 'ACTIVE') return table;
    if (Date.now() > deadline) {
      throw new Error(
        `Table ${tableName} is not ACTIVE after ${timeoutMs / 1000} s (status ${table?.TableStatus ?? 'missing'})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 2000);
  }
}

/**
 * Creates the sync table if it is missing (PAY_PER_REQUEST, pk (S, HASH) + sk (S, RANGE)), waits
 * until it is ACTIVE and turns on TTL on `ttl` (dynalite has no UpdateTimeToLive: skipped there).
 * Idempotent; fails clearly if a table of that name exists with another key schema.
 */
export async function ensureSyncTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new TypeError(`Table name "${tableName}" is invalid: use 3-255 characters from A-Z a-z 0-9 _ - .`);
  }
  if (!(await describe(client, tableName))) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: KEY_SCHEMA,
        }),
      );
    } catch (error) {
      // Someone else created it in the meantime: fine, it is checked below.
      if (errorName(error) !== 'ResourceInUseException') throw error;
    }
  }
  const table = await waitUntilActive(client, tableName);
  const keys = (table.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).join(', ');
  if (keys !== 'pk:HASH, sk:RANGE') {
    throw new Error(
      `Table ${tableName} exists with key schema [${keys}]; the sync table needs [pk:HASH, sk:RANGE]`,
    );
  }

  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName })))
    .TimeToLiveDescription;
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') {
    if (ttl.AttributeName && ttl.AttributeName !== TTL_ATTRIBUTE) {
      throw new Error(
        `Table ${tableName} has TTL on "${ttl.AttributeName}"; the sync table expects it on "${TTL_ATTRIBUTE}"`,
      );
    }
    return;
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
      }),
    );
  } catch (error) {
    // dynalite does not implement UpdateTimeToLive (items never expire locally).
    if (errorName(error) !== 'UnknownOperationException') throw error;
  }
}
