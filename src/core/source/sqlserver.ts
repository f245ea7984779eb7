import sql from 'mssql';
import type { DatabaseSettings } from '../config/load.js';
import { SourceLoginError, SourceUnavailableError } from '../errors.js';
import type { Logger } from '../logger.js';
import { poolConfig } from './connection.js';
import { LOGIN_FAILED, sqlErrorNumber, translateSqlError } from './errors.js';

export { quoteName } from './describe.js';
export { translateSqlError } from './errors.js';
export type { Row } from './rows.js';
export { type StreamOptions, type StreamStats, streamPages } from './stream.js';

function poolId(company: string, s: DatabaseSettings): string {
  return [company, s.server, s.port ?? s.instanceName, s.database, s.authentication.type, s.user].join('|');
}

function where(company: string, s: DatabaseSettings): string {
  const at = s.port === undefined ? `${s.server}\\${s.instanceName}` : `${s.server}:${s.port}`;
  return `cannot connect to ${company}'s SQL Server at ${at}`;
}

/** Builds and connects a pool; a failed connect is translated into our named errors. */
function connectPool(
  company: string,
  settings: DatabaseSettings,
  log: Pick<Logger, 'warn'> | undefined,
  forget: () => void,
): Promise<sql.ConnectionPool> {
  const created = new sql.ConnectionPool(poolConfig(settings));
  // A connection that fails later (server gone, socket reset) is reported here: without a
  // listener the 'error' event would crash the process outside the named-error contract.
  created.on('error', (error: unknown) => {
    log?.warn('SQL Server pool error', {
      company,
      error: translateSqlError(error, where(company, settings)).message,
    });
  });
  return created.connect().catch((error: unknown) => {
    forget();
    void created.close().catch(() => undefined);
    const translated = translateSqlError(error, where(company, settings));
    if (settings.port === undefined && translated instanceof SourceUnavailableError) {
      // Looked up through SQL Server Browser (UDP 1434): often blocked by firewalls.
      throw new SourceUnavailableError(
        `${translated.message} (the named instance is looked up through SQL Server Browser on UDP 1434; if that is blocked, give the instance's fixed TCP "port" instead of "instanceName")`,
        { cause: error },
      );
    }
    throw translated;
  });
}

/** Login failed (18456): the password may have been rotated since the secret was read. */
export function isLoginFailed(error: unknown): boolean {
  return error instanceof SourceLoginError && sqlErrorNumber(error) === LOGIN_FAILED;
}

/** The SQL Server pools of one app, by company and settings: created once and reused by later invocations. */
export class SqlPools {
  private readonly pools = new Map<string, Promise<sql.ConnectionPool>>();

  /** How many pools are open or opening (tests and diagnostics). */
  get size(): number {
    return this.pools.size;
  }

  /** The company's connection pool, created on first use. */
  get(company: string, settings: DatabaseSettings, log?: Pick<Logger, 'warn'>): Promise<sql.ConnectionPool> {
    const id = poolId(company, settings);
    let pool = this.pools.get(id);
    if (!pool) {
      pool = connectPool(company, settings, log, () => this.pools.delete(id));
      this.pools.set(id, pool);
    }
    return pool;
  }

  /** Closes and forgets the company's pool (e.g. after its password was rotated). */
  async close(company: string, settings: DatabaseSettings): Promise<void> {
    const id = poolId(company, settings);
    const pool = this.pools.get(id);
    this.pools.delete(id);
    if (pool) await (await pool.catch(() => undefined))?.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }

  /**
   * Runs `work` with the company's pool. When the login fails (18456) — a password rotated while
   * this container was warm — the secrets are read again once, the pool is rebuilt with the
   * settings they give, and `work` runs once more.
   */
  async withPool<T>(
    company: string,
    readSettings: () => DatabaseSettings,
    refreshSecrets: () => Promise<void>,
    work: (pool: sql.ConnectionPool, settings: DatabaseSettings) => Promise<T>,
    log?: Pick<Logger, 'warn'>,
  ): Promise<T> {
    const settings = readSettings();
    try {
      return await work(await this.get(company, settings, log), settings);
    } catch (error) {
      if (!isLoginFailed(error)) throw error;
      log?.warn('SQL Server login failed; reading the secrets again and rebuilding the pool', { company });
      await this.close(company, settings);
      await refreshSecrets();
      const fresh = readSettings();
      return work(await this.get(company, fresh, log), fresh);
    }
  }
}
