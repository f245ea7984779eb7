import sql from 'mssql';
import type { DatabaseSettings } from '../config/load.js';
import { SourceLoginError, SourceQueryError, SourceUnavailableError } from '../errors.js';

export type Row = Record<string, unknown>;

const pools = new Map<string, Promise<sql.ConnectionPool>>();

/** Translates mssql/tedious failures into our named errors. */
export function translateSqlError(error: unknown, where: string): Error {
  const e = error as { code?: string; number?: number; message?: string; originalError?: { code?: string } };
  const code = e.code ?? e.originalError?.code ?? '';
  const text = `${where}: ${e.message ?? String(error)}`;
  if (code === 'ELOGIN' || e.number === 18456 || e.number === 4060)
    return new SourceLoginError(text, { cause: error });
  if (
    ['ESOCKET', 'ETIMEOUT', 'ECONNCLOSED', 'ECONNRESET', 'ENOTOPEN', 'EINSTLOOKUP', 'ECONNREFUSED'].includes(
      code,
    )
  ) {
    return new SourceUnavailableError(text, { cause: error });
  }
  if (typeof e.number === 'number' && e.number > 0) return new SourceQueryError(text, { cause: error });
  return new SourceUnavailableError(text, { cause: error });
}

/** The company's connection pool, created once per container and reused by later invocations. */
export async function getPool(company: string, settings: DatabaseSettings): Promise<sql.ConnectionPool> {
  const id = `${company}|${settings.server}|${settings.port}|${settings.database}|${settings.user}`;
  let pool = pools.get(id);
  if (!pool) {
    const created = new sql.ConnectionPool({
      server: settings.server,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      password: settings.password,
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      pool: { max: 4, min: 0, idleTimeoutMillis: 30000 },
      options: { encrypt: settings.encrypt, trustServerCertificate: settings.trustServerCertificate },
    });
    pool = created.connect().catch((error: unknown) => {
      pools.delete(id);
      throw translateSqlError(
        error,
        `cannot connect to ${company}'s SQL Server at ${settings.server}:${settings.port}`,
      );
    });
    pools.set(id, pool);
  }
  return pool;
}

export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map(async (p) => (await p).close()));
}

/** Quotes a name for T-SQL: `dbo.view` → `[dbo].[view]`. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((part) => `[${part.replace(/]/g, ']]')}]`)
    .join('.');
}

/**
 * Streams a query's rows in pages of `pageSize`, pausing the request while the consumer
 * works on a page, so neither side ever holds more than a page or two.
 */
export async function* streamPages(
  pool: sql.ConnectionPool,
  query: string,
  pageSize: number,
  where: string,
): AsyncGenerator<Row[]> {
  const request = new sql.Request(pool);
  request.stream = true;
  let buffer: Row[] = [];
  const ready: Row[][] = [];
  let done = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  request.on('row', (row: Row) => {
    buffer.push(row);
    if (buffer.length >= pageSize) {
      ready.push(buffer);
      buffer = [];
      request.pause();
      notify();
    }
  });
  request.on('error', (error: unknown) => {
    failure ??= translateSqlError(error, where);
    notify();
  });
  request.on('done', () => {
    if (buffer.length > 0) ready.push(buffer);
    buffer = [];
    done = true;
    notify();
  });
  // In stream mode the rows arrive as events; the returned promise only repeats the error event.
  const pending = request.query(query) as unknown;
  if (pending instanceof Promise) pending.catch(() => undefined);
  try {
    for (;;) {
      if (failure) throw failure;
      const page = ready.shift();
      if (page) {
        yield page;
        if (ready.length === 0 && !done) request.resume();
        continue;
      }
      if (done) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!done && !failure) request.cancel();
  }
}
