import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSyncApp, type SyncApp } from '../core/app.js';
import type { SyncConfig } from '../core/config/load.js';
import type { EnvRef } from '../core/config/schema.js';
import { SANDBOX_LOGIN_URL } from '../core/salesforce/client.js';
import {
  type SalesforceEmulator,
  type SalesforceEmulatorOptions,
  type SalesforceFaults,
  startSalesforceEmulator,
} from '../emulators/salesforce/index.js';
import {
  type SqlServerEmulator,
  type SqlServerEmulatorOptions,
  startSqlServerEmulator,
} from '../emulators/sqlserver/index.js';
import { startDynamoProcess } from './dynamo-process.js';
import { ensureSyncTable, type LocalDynamo, startLocalDynamo } from './dynamodb.js';

export type ServiceChoice = 'local' | 'real';

/** The DNS name in the SQL Server emulator's certificate (beside IP 127.0.0.1). */
const EMULATOR_TLS_NAME = 'localhost';

export interface LocalEnvironmentOptions {
  config: SyncConfig;
  /** Folder for the stand-ins' state (git-ignored). */
  dataDir?: string;
  reset?: boolean;
  sqlserver?: ServiceChoice;
  salesforce?: ServiceChoice;
  dynamodb?: ServiceChoice;
  sizes?: SqlServerEmulatorOptions['sizes'];
  faults?: SalesforceFaults;
  /** More settings of the Salesforce stand-in (its org schema, sandbox mode, lock timings...). */
  salesforceOptions?: Omit<SalesforceEmulatorOptions, 'port' | 'dataDir' | 'faults'>;
  tableName?: string;
  /** Run dynalite inside this process instead of a child process. */
  dynamoInProcess?: boolean;
}

/** The stand-ins a local run talks to, and the environment that points the handlers at them. */
export interface LocalEnvironment {
  dataDir: string;
  sqlserver?: SqlServerEmulator;
  salesforce?: SalesforceEmulator;
  dynamo?: LocalDynamo;
  env: Record<string, string>;
  /**
   * An app over this environment, for reading what runs left (store, failures, tokens) and for
   * runs that pass it; runSync without one builds its own per run. Closed by stop().
   */
  app: SyncApp;
  stop(): Promise<void>;
}

function firstEnvName(value: string | EnvRef | number | undefined): string | undefined {
  if (value === undefined || typeof value !== 'object') return undefined;
  return Array.isArray(value.env) ? value.env[0] : value.env;
}

/**
 * Points a company's `ca` at the emulator's CA: the PEM for an env ref (as a secret would hold
 * it), the file path for `{ "file": ... }`.
 */
function setCa(
  ca: string | EnvRef | { file: string | EnvRef } | undefined,
  tls: SqlServerEmulator['tls'],
  env: Record<string, string>,
): void {
  if (!tls.ca) return;
  if (ca !== undefined && typeof ca === 'object' && 'file' in ca) {
    const name = firstEnvName(ca.file);
    if (name) env[name] = tls.caPath;
    return;
  }
  const name = firstEnvName(ca);
  if (name) env[name] = tls.ca;
}

/**
 * Starts the SQL Server emulator, the Salesforce emulator and dynalite on free loopback ports
 * (each can be swapped for the real service), and sets the environment the handlers read.
 */
export async function startLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const dataDir = path.resolve(options.dataDir ?? '.data');
  if (options.reset) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // Handlers log JSON lines for CloudWatch; locally the progress lines and the summary tell the
  // story, so they are off unless LOG_LEVEL asks for them.
  const env: Record<string, string> = { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
  // Local runs may be on Node 20 (Lambda runs 22); the AWS SDK's notice about it is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    let sqlserver: SqlServerEmulator | undefined;
    if ((options.sqlserver ?? 'local') === 'local') {
      sqlserver = await startSqlServerEmulator({
        port: 0,
        dataDir: path.join(dataDir, 'sqlserver'),
        sizes: options.sizes,
      });
      const running = sqlserver;
      started.push(() => running.stop());
      for (const [company, c] of Object.entries(options.config.raw.companies)) {
        const db = running.databases[company];
        const set = (v: string | EnvRef | number | undefined, value: string) => {
          const name = firstEnvName(v);
          if (name) env[name] = value;
        };
        set(c.database.host, running.host);
        set(c.database.port, String(running.port));
        set(c.database.user, running.user);
        set(c.database.password, running.password);
        if (db) set(c.database.database, db);
        // Encrypted, with the emulator's CA: never "trust any certificate", never plain text.
        setCa(c.database.ca, running.tls, env);
        // The name the certificate is verified against (its SAN has DNS localhost): as TLS SNI,
        // an IP address is refused by RFC 6066 and Node warns (DEP0123) when tedious sends one.
        if (running.tls.ca) set(c.database.serverName, EMULATOR_TLS_NAME);
      }
    }

    let salesforce: SalesforceEmulator | undefined;
    if ((options.salesforce ?? 'local') === 'local') {
      salesforce = await startSalesforceEmulator({
        ...options.salesforceOptions,
        port: 0,
        dataDir: path.join(dataDir, 'salesforce'),
        faults: options.faults,
      });
      const running = salesforce;
      started.push(() => running.stop());
      const sf = options.config.raw.salesforce;
      const a = sf.auth;
      const set = (v: string | EnvRef | undefined, value: string) => {
        const name = firstEnvName(v);
        if (name) env[name] = value;
      };
      // Two hosts, as a real org: token requests for JWT and password to the login host, client
      // credentials (and the REST API, through the token's instance_url) to the My Domain host.
      set(sf.loginUrl, running.loginUrl);
      set(sf.instanceUrl, running.instanceUrl);
      // The emulator's hosts are loopback addresses, from which no audience can be derived: a
      // sandbox-mode emulator wants the sandbox audience, as test.salesforce.com would give.
      if (running.sandbox) set(a.audience, SANDBOX_LOGIN_URL);
      set(a.clientId, running.credentials.clientId);
      set(a.clientSecret, running.credentials.clientSecret);
      set(a.username, running.credentials.username);
      set(a.password, running.credentials.password);
      env.SF_PRIVATE_KEY_PATH = running.credentials.privateKeyPath;
    }

    let dynamo: LocalDynamo | undefined;
    const table = options.tableName ?? process.env.TABLE_NAME ?? 'sf-sync-local';
    env.TABLE_NAME = table;
    if ((options.dynamodb ?? 'local') === 'local') {
      const where = { dataDir: path.join(dataDir, 'dynamodb'), port: 0 };
      // In its own process by default: its LevelDB work then runs on another core than the handlers.
      dynamo = options.dynamoInProcess ? await startLocalDynamo(where) : await startDynamoProcess(where);
      const running = dynamo;
      started.push(() => running.stop());
      env.DYNAMODB_ENDPOINT = running.endpoint;
      env.AWS_ACCESS_KEY_ID = 'local';
      env.AWS_SECRET_ACCESS_KEY = 'local';
      env.AWS_REGION = 'us-east-1';
      const client = new DynamoDBClient({
        endpoint: running.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      await ensureSyncTable(client, table);
      client.destroy();
    }

    const previous = new Map<string, string | undefined>();
    for (const [k, v] of Object.entries(env)) {
      previous.set(k, process.env[k]);
      process.env[k] = v;
    }
    const app = createSyncApp(process.env);
    return {
      dataDir,
      sqlserver,
      salesforce,
      dynamo,
      env,
      app,
      async stop() {
        await app.close();
        await stopAll();
        for (const [k, v] of previous) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
