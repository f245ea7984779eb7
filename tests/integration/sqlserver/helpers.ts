import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import sql from 'mssql';
import type { SqlServerEmulator, SqlType, SqlValue } from '../../../src/emulators/sqlserver/index.js';

export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sfsync-sqlserver-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An `mssql` pool with the driver's default options (encrypt: true, the certificate verified): only
 * where to connect, who to be, and the emulator's CA to trust.
 */
export function connect(
  emulator: SqlServerEmulator,
  database: string,
  extra: Partial<sql.config> = {},
): Promise<sql.ConnectionPool> {
  return new sql.ConnectionPool({
    server: emulator.host,
    port: emulator.port,
    user: emulator.user,
    password: emulator.password,
    database,
    ...extra,
    options: { ...trustEmulator(emulator), ...extra.options },
  }).connect();
}

/** Client options that trust the emulator's CA (tedious/mssql `options`). */
export function trustEmulator(emulator: SqlServerEmulator): { cryptoCredentialsDetails: { ca: string } } {
  return { cryptoCredentialsDetails: { ca: emulator.tls.ca } };
}

/** What `mssql` returns for a generated value of a declared type. */
export function asReturned(value: SqlValue, type: SqlType): unknown {
  if (value === null) return null;
  switch (type.kind) {
    case 'decimal':
      return Number(value);
    case 'bigint':
      return String(value);
    case 'date':
      return new Date(`${String(value)}T00:00:00.000Z`);
    case 'datetime2':
    case 'datetime':
      return new Date(`${String(value).slice(0, 23).replace(' ', 'T')}Z`);
    default:
      return value;
  }
}

/** The `mssql` data type constructor a declared type comes back as. */
export function mssqlType(type: SqlType): unknown {
  switch (type.kind) {
    case 'nvarchar':
      return sql.NVarChar;
    case 'int':
      return sql.Int;
    case 'bigint':
      return sql.BigInt;
    case 'float':
      return sql.Float;
    case 'bit':
      return sql.Bit;
    case 'decimal':
      return sql.Decimal;
    case 'date':
      return sql.Date;
    case 'datetime2':
      return sql.DateTime2;
    case 'datetime':
      return sql.DateTime;
  }
}

/** Memory the process holds outside garbage it could collect soon: heap in use plus Buffers. */
/** A full garbage collection: without it heapUsed counts rows already dropped, and varies with GC timing. */
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

/** Memory the process still holds (heap + buffers) after a full garbage collection. */
export function heldMemory(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
