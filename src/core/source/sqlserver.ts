import sql from 'mssql';
import type { DatabaseSettings } from '../config/load.js';
import { SourceLoginError } from '../errors.js';
import type { Logger } from '../logger.js';
import { poolConfig } from './connection.js';
import { LOGIN_FAILED, sqlErrorNumber, translateSqlError } from './errors.js';

export { quoteName } from './describe.js';
export { translateSqlError } from './errors.js';
export type { Row } from './rows.js';
export { type StreamOptions, type StreamStats, streamPages } from './stream.js';

const pools = new Map<string, Promise<sql.ConnectionPool>>();

function poolId(company: string, s: DatabaseSettings): string {
  return [company, s.server, s.port ?? s.instanceName, s.database, s.authentication.type, s.user].join('|');
}

function where(company: string, s: DatabaseSettings): string {
  const at = s.port === undefined ? `${s.server}\\${s.instanceName}` : `${s.server}:${s.port}`;
  return `cannot connect to ${company}'s SQL Server at ${at}`;
}

/** The company's connection pool, created once per container and reused by later invocations. */
export async function getPool(
  company: string,
  settings: DatabaseSettings,
  log?: Pick<Logger, 'warn'>,
): Promise<sql.ConnectionPool> {
  const id = poolId(company, settings);
  let pool = pools.get(id);
  if (!pool) {
    const created = new sql.ConnectionPool(poolConfig(settings));
    // A connection that fails later (server gone, socket reset) is reported here: without a
    // listener the 'error' event would crash the process outside the named-error contract.
    created.on('error', (error: unknown) => {
      log?.warn('SQL Server pool error', {
        company,
        error: translateSqlError(error, where(company, settings)).message,
      });
    });
    pool = created.connect().catch((error: unknown) => {
      pools.delete(id);
      void created.close().catch(() => undefined);
      throw translateSqlError(error, where(company, settings));
    });
    pools.set(id, pool);
  }
  return pool;
}

/** Closes and forgets the company's pool (e.g. after its password was rotated). */
export async function closePool(company: string, settings: DatabaseSettings): Promise<void> {
  const id = poolId(company, settings);
  const pool = pools.get(id);
  pools.delete(id);
  if (pool) await (await pool.catch(() => undefined))?.close().catch(() => undefined);
}

export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map(async (p) => (await p).close()));
}

/** Login failed (18456): the password may have been rotated since the secret was read. */
export function isLoginFailed(error: unknown): boolean {
  return error instanceof SourceLoginError && sqlErrorNumber(error) === LOGIN_FAILED;
}

/**
 * Runs `work` with the company's pool. When the login fails (18456) — a password rotated while
 * this container was warm — the secrets are read again once, the pool is rebuilt with the
 * settings they give, and `work` runs once more.
 */
export async function withPool<T>(
  company: string,
  readSettings: () => DatabaseSettings,
  refreshSecrets: () => Promise<void>,
  work: (pool: sql.ConnectionPool, settings: DatabaseSettings) => Promise<T>,
  log?: Pick<Logger, 'warn'>,
): Promise<T> {
  const settings = readSettings();
  try {
    return await work(await getPool(company, settings, log), settings);
  } catch (error) {
    if (!isLoginFailed(error)) throw error;
    log?.warn('SQL Server login failed; reading the secrets again and rebuilding the pool', { company });
    await closePool(company, settings);
    await refreshSecrets();
    const fresh = readSettings();
    return work(await getPool(company, fresh, log), fresh);
  }
}
