/**
 * A local Salesforce for local runs and tests, on two hosts as a real org: a login host and a My
 * Domain host. OAuth 2.0 (JWT bearer, client credentials, password when allowed), REST
 * (describe, records, sObject Collections, SOQL query, limits), Bulk API 2.0 ingest, parent row
 * locks, the daily and concurrent API limits, faults on demand and persistence. See README.md beside this file.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulkJobs, DEFAULT_BULK_SETTINGS } from './bulk.js';
import { type BulkFaults, parseBulkFaults } from './bulk-rules.js';
import { Faults, type SalesforceFaults } from './faults.js';
import { type Identity, loadIdentity } from './keys.js';
import { DEFAULT_LOCK_SETTINGS, type LockSettings, ParentLocks } from './locks.js';
import { type Host, Sessions } from './oauth.js';
import { Persistence } from './persistence.js';
import { QueryEngine } from './query.js';
import type { RestContext } from './rest.js';
import { DEFAULT_SCHEMA_PATH, loadSchema } from './schema.js';
import { createHandler } from './server.js';
import { loadOrgSettings, type OrgSettings, type OrgSettingsInput, parseOrgSettings } from './settings.js';
import { Store } from './store.js';
import { LongRequests, Usage } from './usage.js';

export type { BulkFaults } from './bulk-rules.js';
export type { SalesforceFaults } from './faults.js';
export type { LockSettings } from './locks.js';
export type { OrgSettings, OrgSettingsInput } from './settings.js';

export interface SalesforceEmulatorOptions {
  host?: string;
  /** The login host's port (login.salesforce.com, or test.salesforce.com in sandbox mode); 0 = a free port. */
  port?: number;
  /** The My Domain (instance) host's port, where the REST API lives; 0 = a free port. */
  instancePort?: number;
  dataDir?: string; // default '.data/salesforce'; persists records, jobs, keys, usage
  reset?: boolean;
  schemaPath?: string; // default the org-schema.json above
  apiVersion?: string; // default '62.0'; accept any vXX.X >= the minimum each endpoint needs
  dailyApiLimit?: number; // default 100000 (+ licences not modelled)
  tokenLifetimeSeconds?: number; // default 7200
  /** A sandbox org: JWT `aud` must be https://test.salesforce.com (default false: production). */
  sandbox?: boolean;
  /** "Allow OAuth Username-Password Flows" (default false, as in orgs created since Summer '23). */
  allowPasswordFlow?: boolean;
  /** How long a write waits for a parent row lock another request holds (default 200 ms; a real org ~10 s). */
  lockWaitMs?: number;
  /** Processing time of every write request, parent locks held throughout (default 5 ms). */
  lockHoldMs?: number;
  /** Processing time added per written record (default 0.05 ms). */
  recordCostMs?: number;
  /** Concurrent long-running requests allowed before 403 ConcurrentRequests (default 25). */
  concurrentLongRequests?: number;
  /** How long a request runs before it counts as long-running (default 20000 ms). */
  longRequestMs?: number;
  faults?: SalesforceFaults;
  /** Bulk API 2.0: largest upload measured base64-encoded (default 150 MB, Salesforce's limit). */
  bulkMaxUploadBase64Bytes?: number;
  /** Bulk API 2.0: records per internal batch (default 10,000, as Salesforce). */
  bulkBatchSize?: number;
  /** Bulk API 2.0 faults applied to jobs when they are closed (see bulk-rules.ts). */
  bulkFaults?: BulkFaults;
  /** Org settings: a JSON file path or the settings (default org-settings.json here: a new org, all on). */
  orgSettings?: string | OrgSettingsInput;
}

export interface SalesforceCounters {
  /** API usage in the rolling 24 h. */
  apiUsage: number;
  /** Requests received per endpoint key (keys listed in README.md). */
  byEndpoint: Record<string, number>;
  /** Records that failed UNABLE_TO_LOCK_ROW because another request held their parent. */
  lockConflicts: number;
  /** Requests refused 403 ConcurrentRequests (Concurrent API Requests) Limit exceeded. */
  concurrentRequestRefusals: number;
}

export interface SalesforceEmulator {
  /** The My Domain (instance) URL, kept for compatibility: same as instanceUrl. */
  url: string;
  /** The login host: the token endpoint (JWT, password when allowed); no REST API. */
  loginUrl: string;
  /** The My Domain host: the token endpoint (every grant, client credentials only here) and the REST API. */
  instanceUrl: string;
  sandbox: boolean;
  apiVersion: string;
  credentials: {
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    privateKeyPath: string;
  };
  counters(): SalesforceCounters;
  /** Clears the per-endpoint counters, the conflict counts and the daily API usage. */
  resetCounters(): void;
  /** Replaces the org settings (omitted keys: on, as in a new org); answers the settings now in force. */
  setOrgSettings(settings: OrgSettingsInput): OrgSettings;
  /** The org settings in force. */
  orgSettings(): OrgSettings;
  /** Replaces the fault configuration (and restarts its PRNG from the seed). */
  setFaults(faults: SalesforceFaults): void;
  /** Replaces the Bulk API 2.0 faults for jobs closed from now on. */
  setBulkFaults(faults: BulkFaults): void;
  /** Changes row-lock timing while running (keys left out keep their value); answers the settings now in force. */
  setLockSettings(settings: Partial<LockSettings>): LockSettings;
  stop(): Promise<void>;
}

export class EmulatorOptionsError extends Error {
  override readonly name = 'EmulatorOptionsError';
}

function checkNumber(name: string, value: number | undefined, min: number, integer: boolean): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new EmulatorOptionsError(
      `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${value}`,
    );
  }
}

function checkOptions(options: SalesforceEmulatorOptions): void {
  const { apiVersion, tokenLifetimeSeconds } = options;
  for (const name of ['port', 'instancePort'] as const) {
    const port = options[name];
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new EmulatorOptionsError(`${name} must be an integer 0..65535 (0 = a free port), got ${port}`);
    }
  }
  if (options.port && options.port === options.instancePort) {
    throw new EmulatorOptionsError(
      `port and instancePort must differ (the login host and the My Domain host), both are ${options.port}`,
    );
  }
  if (apiVersion !== undefined && !/^\d{2,3}\.0$/.test(apiVersion)) {
    throw new EmulatorOptionsError(`apiVersion must look like '62.0', got '${apiVersion}'`);
  }
  checkNumber('dailyApiLimit', options.dailyApiLimit, 0, true);
  if (tokenLifetimeSeconds !== undefined && !(tokenLifetimeSeconds > 0)) {
    throw new EmulatorOptionsError(`tokenLifetimeSeconds must be > 0, got ${tokenLifetimeSeconds}`);
  }
  checkNumber('lockWaitMs', options.lockWaitMs, 0, false);
  checkNumber('lockHoldMs', options.lockHoldMs, 0, false);
  checkNumber('recordCostMs', options.recordCostMs, 0, false);
  checkNumber('concurrentLongRequests', options.concurrentLongRequests, 1, true);
  checkNumber('longRequestMs', options.longRequestMs, 0, false);
  checkNumber('bulkMaxUploadBase64Bytes', options.bulkMaxUploadBase64Bytes, 1, true);
  checkNumber('bulkBatchSize', options.bulkBatchSize, 1, true);
}

async function listen(handler: ReturnType<typeof createHandler>, port: number, host: string) {
  const server: Server = createServer(handler);
  // Longer than common client pools keep idle sockets, so a reused socket is not closed under a request.
  server.keepAliveTimeout = 65000;
  server.headersTimeout = 66000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shownHost}:${(server.address() as AddressInfo).port}` };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

interface Org {
  rest: RestContext;
  sessions: Sessions;
  faults: Faults;
  longRequests: LongRequests;
  urls: { loginUrl: string; instanceUrl: string };
  identity: Identity;
}

function buildOrg(
  options: SalesforceEmulatorOptions,
  persistence: Persistence,
  usage: Usage,
  bulkRef: { bulk?: BulkJobs },
): Org {
  const schema = loadSchema(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  schema.rules.settings =
    typeof options.orgSettings === 'object'
      ? parseOrgSettings(options.orgSettings, 'orgSettings option')
      : loadOrgSettings(options.orgSettings);
  const faults = new Faults(options.faults ?? {});
  const identity = loadIdentity(persistence.dataDir);
  const store = new Store(schema, persistence);
  store.load();
  const urls = { loginUrl: '', instanceUrl: '' };
  const sessions = new Sessions(
    identity,
    persistence,
    {
      lifetimeSeconds: options.tokenLifetimeSeconds ?? 7200,
      sandbox: options.sandbox ?? false,
      allowPasswordFlow: options.allowPasswordFlow ?? false,
    },
    () => urls,
  );
  const dml = { schema, store, faults };
  const locks = new ParentLocks({
    lockWaitMs: options.lockWaitMs ?? DEFAULT_LOCK_SETTINGS.lockWaitMs,
    lockHoldMs: options.lockHoldMs ?? DEFAULT_LOCK_SETTINGS.lockHoldMs,
    recordCostMs: options.recordCostMs ?? DEFAULT_LOCK_SETTINGS.recordCostMs,
  });
  const bulk = new BulkJobs(dml, persistence, identity.credentials.userId, locks, {
    maxUploadBase64Bytes: options.bulkMaxUploadBase64Bytes ?? DEFAULT_BULK_SETTINGS.maxUploadBase64Bytes,
    batchSize: options.bulkBatchSize ?? DEFAULT_BULK_SETTINGS.batchSize,
    faults: parseBulkFaults(options.bulkFaults),
  });
  bulkRef.bulk = bulk;
  const rest: RestContext = { ...dml, query: new QueryEngine(schema, store), bulk, usage, locks };
  const longRequests = new LongRequests(options.concurrentLongRequests ?? 25, options.longRequestMs ?? 20000);
  return { rest, sessions, faults, longRequests, urls, identity };
}

/** The counters tests and benchmarks read, and their reset. */
function orgCounters({ rest, longRequests }: Org) {
  return {
    counters: (): SalesforceCounters => ({
      apiUsage: rest.usage.used(),
      byEndpoint: rest.usage.byEndpoint(),
      lockConflicts: rest.locks.conflicts,
      concurrentRequestRefusals: longRequests.refused,
    }),
    resetCounters: (): void => {
      rest.usage.reset();
      rest.locks.resetCounters();
      longRequests.resetCounters();
    },
  };
}

/** stop(): once; requests still in flight then fail quietly. */
function stopper(
  state: { stopping: boolean },
  servers: Server[],
  parts: { bulk?: BulkJobs; usage: Usage; persistence: Persistence },
): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () => {
    state.stopping = true;
    stopped ??= (async () => {
      parts.bulk?.stop();
      await Promise.all(servers.map(close));
      parts.usage.stop();
      parts.persistence.close();
    })();
    return stopped;
  };
}

/** Starts the emulator and resolves once both hosts listen. */
export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<SalesforceEmulator> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const apiVersion = options.apiVersion ?? '62.0';
  const persistence = new Persistence(options.dataDir ?? '.data/salesforce', options.reset ?? false);
  let usage: Usage | undefined;
  const bulkRef: { bulk?: BulkJobs } = {};
  const servers: Server[] = [];
  try {
    usage = new Usage(options.dailyApiLimit ?? 100000, persistence);
    const org = buildOrg(options, persistence, usage, bulkRef);
    const { rest } = org;
    const { counters, resetCounters } = orgCounters(org);
    const state = { stopping: false };
    const handler = (role: Host) =>
      createHandler({
        ...org,
        host: role,
        apiVersion,
        counters,
        resetCounters,
        log: (message) => process.stderr.write(`${message}\n`),
        stopping: () => state.stopping,
      });
    const login = await listen(handler('login'), options.port ?? 0, host);
    servers.push(login.server);
    const instance = await listen(handler('instance'), options.instancePort ?? 0, host);
    servers.push(instance.server);
    org.urls.loginUrl = login.url;
    org.urls.instanceUrl = instance.url;
    const { clientId, clientSecret, username, password } = org.identity.credentials;
    const credentials = {
      clientId,
      clientSecret,
      username,
      password,
      privateKeyPath: org.identity.privateKeyPath,
    };
    return {
      url: instance.url,
      loginUrl: login.url,
      instanceUrl: instance.url,
      sandbox: options.sandbox ?? false,
      apiVersion,
      credentials,
      counters,
      resetCounters,
      setFaults: (next) => org.faults.set(next),
      setBulkFaults: (next) => {
        rest.bulk.settings.faults = parseBulkFaults(next);
      },
      setOrgSettings: (next) => {
        rest.schema.rules.settings = parseOrgSettings(next, 'org settings');
        return rest.schema.rules.settings;
      },
      orgSettings: () => rest.schema.rules.settings,
      setLockSettings: (next) => {
        rest.locks.configure(next);
        return rest.locks.settings;
      },
      stop: stopper(state, servers, { bulk: bulkRef.bulk, usage, persistence }),
    };
  } catch (error) {
    await Promise.all(servers.map(close));
    bulkRef.bulk?.stop();
    usage?.stop();
    persistence.close();
    throw error;
  }
}
