import { getConfig, type SyncConfig } from '../config/load.js';
import { createLogger, type Logger } from '../logger.js';
import { SyncStore } from '../store/sync-store.js';
import { dynamoClient, Table, tableName } from '../store/table.js';

/** What the sync's steps work with: the config, the store and a logger. Built once per container. */
export interface SyncContext {
  config: SyncConfig;
  store: SyncStore;
  log: Logger;
}

let cached: SyncContext | undefined;
export function defaultContext(): SyncContext {
  if (!cached) {
    const config = getConfig();
    cached = {
      config,
      store: new SyncStore(new Table(dynamoClient(), tableName()), config.stagingTtlHours),
      log: createLogger(),
    };
  }
  return cached;
}

/** Forget the cached context (local runs that change the environment between runs). */
export function resetContext(): void {
  cached = undefined;
}
