import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultConfigPath, type EntityConfig, loadConfig, type SyncConfig } from './config/load.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { newSalesforceMetrics, type SalesforceClient, type SalesforceMetrics } from './salesforce/client.js';
import { Secrets } from './secrets.js';
import { SqlPools } from './source/sqlserver.js';
import { SyncStore, type Token } from './store/sync-store.js';
import { createDynamoClient, type StoreMetrics, Table, tableName } from './store/table.js';
import { authenticate, salesforceClient } from './sync/auth.js';

/** The calls an app made: to Salesforce (auth and data) and to DynamoDB. */
export interface SyncCounters {
  salesforce: SalesforceMetrics;
  store: StoreMetrics;
}

/** What an app may be given instead of building it from the environment (tests, tools). */
export interface SyncAppOverrides {
  config?: SyncConfig;
  store?: SyncStore;
  log?: Logger;
  dynamo?: DynamoDBClient;
}

/**
 * The composition root: everything the sync's steps work with, built once per Lambda container
 * (in the handler files) and once per local run, and handed to every step as `step(app, event)`.
 * Config, store and logger are built on first use, so a missing setting fails the step that needs
 * it with a named error rather than the container's start.
 */
export interface SyncApp {
  /** The environment the app was built from (read here only; never written). */
  readonly env: NodeJS.ProcessEnv;
  readonly config: SyncConfig;
  readonly store: SyncStore;
  readonly log: Logger;
  readonly counters: SyncCounters;
  readonly pools: SqlPools;
  /** Salesforce tokens held in memory by reference (the table holds them sealed). */
  readonly tokens: Map<string, Token>;
  readonly secrets: Secrets;
  /** A setting: the app's secrets overlaid on its environment. */
  lookup(name: string): string | undefined;
  /** The company's entity config, or the ConfigError a step throws for an unknown or disabled one. */
  entityOf(task: { company: string; entity: string }): EntityConfig;
  /** Gets a token into the token cache; returns only its reference. */
  authenticate(): Promise<{ tokenRef: string; expiresAt: string }>;
  /** A Salesforce client on the cached token, counting its calls in this app's counters. */
  salesforceClient(maxInFlight: number): Promise<SalesforceClient>;
  /** The same app (pools, clients, tokens, secrets, counters) with another config, store or logger. */
  with(overrides: Omit<SyncAppOverrides, 'dynamo'>): SyncApp;
  /** Closes the SQL pools and destroys the DynamoDB client; the app is not used after. */
  close(): Promise<void>;
}

/** What every view of one app shares. */
class Shared {
  readonly counters: SyncCounters = { salesforce: newSalesforceMetrics(), store: { calls: 0 } };
  readonly pools = new SqlPools();
  readonly tokens = new Map<string, Token>();
  readonly secrets: Secrets;
  private client: DynamoDBClient | undefined;

  constructor(
    readonly env: NodeJS.ProcessEnv,
    private readonly given: DynamoDBClient | undefined,
  ) {
    this.secrets = new Secrets(env);
  }

  dynamo(): DynamoDBClient {
    this.client ??= this.given ?? createDynamoClient(this.env);
    return this.client;
  }

  async close(): Promise<void> {
    await this.pools.closeAll();
    if (!this.given) this.client?.destroy();
    this.client = undefined;
    this.tokens.clear();
  }
}

/** The entity a task names, for its company; the guard every step shares. */
export function entityOf(config: SyncConfig, task: { company: string; entity: string }): EntityConfig {
  const entity = config.companyEntity(task.company, task.entity);
  if (!entity)
    throw new ConfigError(`Entity ${task.entity} is not configured or is disabled for ${task.company}`);
  return entity;
}

/** Builds an app from an environment (Lambda: process.env, once per container; locally: once per run). */
export function createSyncApp(
  env: NodeJS.ProcessEnv = process.env,
  overrides: SyncAppOverrides = {},
): SyncApp {
  return view(new Shared({ ...env }, overrides.dynamo), overrides);
}

/** One view of the shared resources; a derived view (`with`) reads what it does not override from its parent. */
function view(shared: Shared, parts: Omit<SyncAppOverrides, 'dynamo'>, parent?: SyncApp): SyncApp {
  let config = parts.config;
  let store = parts.store;
  let log = parts.log;
  const app: SyncApp = {
    env: shared.env,
    counters: shared.counters,
    pools: shared.pools,
    tokens: shared.tokens,
    secrets: shared.secrets,
    get config() {
      config ??= parent ? parent.config : loadConfig(defaultConfigPath(shared.env));
      return config;
    },
    get store() {
      store ??=
        parent && !parts.config
          ? parent.store
          : new SyncStore(
              new Table(shared.dynamo(), tableName(shared.env), shared.counters.store),
              app.config.stagingTtlHours,
            );
      return store;
    },
    get log() {
      log ??= parent ? parent.log : createLogger();
      return log;
    },
    lookup: (name) => shared.secrets.lookup(name),
    entityOf: (task) => entityOf(app.config, task),
    authenticate: () => authenticate(access(app)),
    salesforceClient: (maxInFlight) => salesforceClient(access(app), maxInFlight),
    with: (more) => view(shared, more, app),
    close: () => shared.close(),
  };
  return app;
}

function access(app: SyncApp) {
  return {
    store: app.store,
    config: app.config,
    lookup: app.lookup,
    tokens: app.tokens,
    metrics: app.counters.salesforce,
  };
}

/** A getter of one app built on first call: what a Lambda handler file keeps for its container. */
export function appOnce(build: () => SyncApp = () => createSyncApp()): () => SyncApp {
  let app: SyncApp | undefined;
  return () => {
    app ??= build();
    return app;
  };
}
