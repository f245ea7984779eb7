/**
 * A local Salesforce for local runs and tests: OAuth 2.0 (password, client credentials, JWT
 * bearer), REST (describe, records, sObject Collections, SOQL query, limits), Bulk API 2.0
 * ingest, the daily API limit, faults on demand and persistence. See README.md beside this file.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulkJobs } from './bulk.js';
import { Faults, type SalesforceFaults } from './faults.js';
import { loadIdentity } from './keys.js';
import { Sessions } from './oauth.js';
import { Persistence } from './persistence.js';
import { QueryEngine } from './query.js';
import type { RestContext } from './rest.js';
import { DEFAULT_SCHEMA_PATH, loadSchema } from './schema.js';
import { createHandler } from './server.js';
import { loadOrgSettings, type OrgSettings, type OrgSettingsInput, parseOrgSettings } from './settings.js';
import { Store } from './store.js';
import { Usage } from './usage.js';

export type { SalesforceFaults } from './faults.js';
export type { OrgSettings, OrgSettingsInput } from './settings.js';

export interface SalesforceEmulatorOptions {
  host?: string;
  port?: number; // default 127.0.0.1, 0
  dataDir?: string; // default '.data/salesforce'; persists records, jobs, keys, usage
  reset?: boolean;
  schemaPath?: string; // default the org-schema.json above
  apiVersion?: string; // default '62.0'; accept any vXX.X >= the minimum each endpoint needs
  dailyApiLimit?: number; // default 100000 (+ licences not modelled)
  tokenLifetimeSeconds?: number; // default 7200
  faults?: SalesforceFaults;
  /** Org settings: a JSON file path or the settings (default org-settings.json here: a new org, all on). */
  orgSettings?: string | OrgSettingsInput;
}

export interface SalesforceEmulator {
  url: string;
  loginUrl: string;
  instanceUrl: string;
  apiVersion: string;
  credentials: {
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    privateKeyPath: string;
  };
  /** API usage in the rolling 24 h and requests per endpoint key (keys listed in README.md). */
  counters(): { apiUsage: number; byEndpoint: Record<string, number> };
  /** Clears the per-endpoint counters and the daily API usage. */
  resetCounters(): void;
  /** Replaces the org settings (omitted keys: on, as in a new org); answers the settings now in force. */
  setOrgSettings(settings: OrgSettingsInput): OrgSettings;
  /** The org settings in force. */
  orgSettings(): OrgSettings;
  /** Replaces the fault configuration (and restarts its PRNG from the seed). */
  setFaults(faults: SalesforceFaults): void;
  stop(): Promise<void>;
}

export class EmulatorOptionsError extends Error {
  override readonly name = 'EmulatorOptionsError';
}

function checkOptions(options: SalesforceEmulatorOptions): void {
  const { port, apiVersion, dailyApiLimit, tokenLifetimeSeconds } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new EmulatorOptionsError(`port must be an integer 0..65535 (0 = a free port), got ${port}`);
  }
  if (apiVersion !== undefined && !/^\d{2,3}\.0$/.test(apiVersion)) {
    throw new EmulatorOptionsError(`apiVersion must look like '62.0', got '${apiVersion}'`);
  }
  if (dailyApiLimit !== undefined && (!Number.isInteger(dailyApiLimit) || dailyApiLimit < 0)) {
    throw new EmulatorOptionsError(`dailyApiLimit must be an integer >= 0, got ${dailyApiLimit}`);
  }
  if (tokenLifetimeSeconds !== undefined && !(tokenLifetimeSeconds > 0)) {
    throw new EmulatorOptionsError(`tokenLifetimeSeconds must be > 0, got ${tokenLifetimeSeconds}`);
  }
}

/** Starts the emulator and resolves once it listens. */
export async function startSalesforceEmulator(
  options: SalesforceEmulatorOptions = {},
): Promise<SalesforceEmulator> {
  checkOptions(options);
  const host = options.host ?? '127.0.0.1';
  const apiVersion = options.apiVersion ?? '62.0';
  const schema = loadSchema(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  schema.rules.settings =
    typeof options.orgSettings === 'object'
      ? parseOrgSettings(options.orgSettings, 'orgSettings option')
      : loadOrgSettings(options.orgSettings);
  const faults = new Faults(options.faults ?? {});
  const persistence = new Persistence(options.dataDir ?? '.data/salesforce', options.reset ?? false);
  let usage: Usage | undefined;
  let bulk: BulkJobs | undefined;
  try {
    const identity = loadIdentity(persistence.dataDir);
    const store = new Store(schema, persistence);
    store.load();
    usage = new Usage(options.dailyApiLimit ?? 100000, persistence);
    const urls = { loginUrl: '', instanceUrl: '' };
    const sessions = new Sessions(identity, persistence, options.tokenLifetimeSeconds ?? 7200, () => urls);
    const dml = { schema, store, faults };
    bulk = new BulkJobs(dml, persistence, identity.credentials.userId);
    const rest: RestContext = { ...dml, query: new QueryEngine(schema, store), bulk, usage };
    let stopping = false;
    const handler = createHandler({
      rest,
      sessions,
      faults,
      apiVersion,
      log: (message) => process.stderr.write(`${message}\n`),
      stopping: () => stopping,
    });
    const server: Server = createServer(handler);
    // Longer than common client pools keep idle sockets, so a reused socket is not closed under a request.
    server.keepAliveTimeout = 65000;
    server.headersTimeout = 66000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const shownHost =
      host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `http://${shownHost}:${port}`;
    urls.loginUrl = url;
    urls.instanceUrl = url;
    const { clientId, clientSecret, username, password } = identity.credentials;
    let stopped: Promise<void> | undefined;
    const usageRef = usage;
    const bulkRef = bulk;
    return {
      url,
      loginUrl: url,
      instanceUrl: url,
      apiVersion,
      credentials: { clientId, clientSecret, username, password, privateKeyPath: identity.privateKeyPath },
      counters: () => ({ apiUsage: usageRef.used(), byEndpoint: usageRef.byEndpoint() }),
      resetCounters: () => usageRef.reset(),
      setFaults: (next) => faults.set(next),
      setOrgSettings: (next) => {
        schema.rules.settings = parseOrgSettings(next, 'org settings');
        return schema.rules.settings;
      },
      orgSettings: () => schema.rules.settings,
      stop: () => {
        stopped ??= new Promise<void>((resolve) => {
          stopping = true;
          bulkRef.stop();
          server.close(() => {
            usageRef.stop();
            persistence.close();
            resolve();
          });
          server.closeAllConnections();
        });
        return stopped;
      },
    };
  } catch (error) {
    bulk?.stop();
    usage?.stop();
    persistence.close();
    throw error;
  }
}
