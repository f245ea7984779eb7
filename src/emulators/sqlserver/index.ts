/**
 * A SQL Server emulator: TDS 7.4 on a real socket, one database per company over SQLite files, so the
 * real `mssql` driver (and other TDS clients) can run the sync's view queries locally.
 */
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { type ChangeCounts, type ChangeRowsOptions, changeRows as changeRowsImpl } from './data/change.js';
import { DEFAULT_DATA_DIR, prepareData } from './data/store.js';
import { COMPANIES, type CompanySizes, isCompany } from './data/views.js';
import { FaultSet, type SqlFault } from './faults.js';
import {
  type DatabaseEntry,
  emptyStats,
  PRODUCT_VERSION,
  type ServerContext,
  type ServerStats,
} from './server/connection.js';
import { listenTds } from './server/server.js';
import { DEFAULT_TIE_SEED } from './sql/translate.js';

export { DEFAULT_TIE_SEED };

import { type CertificateOverride, loadTlsFiles } from './tls/certificates.js';
import { TLS_MODES, type TlsMode } from './tls/negotiate.js';
import type { TlsContexts } from './tls/transport.js';

export type { ChangeCounts, ChangeRowsOptions } from './data/change.js';
export { changeRowsSync } from './data/change.js';
export { nitCheckDigit } from './data/colombia.js';
export type { CsvCompany, CsvView } from './data/csv.js';
export { CsvError, listCsvCompanies } from './data/csv.js';
export {
  ACUERDO_ID_BASE,
  type AcuerdoRow,
  acuerdoRow,
  DEFAULT_SEED,
  DIRTY_TERCERO_INDEX,
  type DirtyKind,
  type DirtyRow,
  dirtyRows,
  type GeneratedCompany,
  generateCompany,
  generatedRow,
  LOCAL_TIME_TERCERO,
  type LocalTimeRow,
  localTimeRows,
  nitForIndex,
  ORPHAN_SUCURSAL_INDEX,
  orphanNit,
  type Row,
  resolveSizes,
  type SucursalRow,
  sucursalCode,
  sucursalRow,
  type TerceroRow,
  terceroRow,
  VARIANT_KEY_SUCURSALES,
} from './data/generator.js';
export { DEFAULT_DATA_DIR } from './data/store.js';
export { TYPES_VIEW, TYPES_VIEW_COLUMNS, TYPES_VIEW_KEY, typesViewRows } from './data/tipos.js';
export {
  COMPANIES,
  type Company,
  type CompanySizes,
  DATABASE_NAMES,
  DEFAULT_SIZES,
  VIEW_COLUMNS,
  VIEW_KEYS,
  VIEWS,
  type ViewName,
} from './data/views.js';
export { FAULT_ERROR_NUMBERS, FaultError, parseFaultSpec, type SqlFault } from './faults.js';
export type { ServerStats } from './server/connection.js';
export {
  type ColumnDescription,
  describeColumns,
  describeType,
  formatSqlType,
  type SqlType,
  type SqlValue,
  type TypeDescription,
} from './sql-type.js';
export type { CertificateOverride } from './tls/certificates.js';
export { TLS_MODES, type TlsMode } from './tls/negotiate.js';

export const DEFAULT_USER = 'sfsync';
/** A fixed demo password: the emulator listens on loopback and holds generated data only. */
export const DEFAULT_PASSWORD = 'SfSync-Demo-2024!';
export const DEFAULT_HOST = '127.0.0.1';

export interface SqlServerEmulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default '.data/sqlserver' (relative to the working directory); state persists here. */
  dataDir?: string;
  /** Wipe the data folder and regenerate (or reload the CSV files). */
  reset?: boolean;
  /**
   * Generator knobs. The data is generated when the folder holds none, on reset, or when sizes are
   * given for a company and differ from those its data was generated with; without sizes, whatever
   * the folder holds is served.
   */
  sizes?: Partial<
    Record<
      'ITALCOL' | 'CASABLANCA' | 'SANTA_REYES',
      { terceros?: number; sucursales?: number; acuerdos?: number }
    >
  >;
  /** Load the companies from CSV files instead (layout: see data/csv.ts or `--help`). */
  csvDir?: string;
  user?: string;
  password?: string;
  /** Generator seed (default DEFAULT_SEED). */
  seed?: number;
  /** Where progress and server problems are reported (default: nowhere). */
  log?: (message: string) => void;
  /**
   * PRELOGIN encryption, as SQL Server's certificate and Force Encryption settings (default 'on'):
   * 'off' = no certificate (answers ENCRYPT_NOT_SUP), 'on' = encrypts when the client asks (login-only
   * for ENCRYPT_OFF), 'required' = Force Encryption (a client that cannot encrypt is disconnected).
   */
  tls?: TlsMode;
  /** Use this certificate instead of the one issued by the data folder's CA. */
  certificate?: CertificateOverride;
  /** Extra DNS names / IPv4 addresses for the server certificate's subjectAltName. */
  certificateNames?: string[];
  /**
   * The server's time zone, IANA (default America/Bogota): GETDATE(), SYSDATETIME() and
   * CURRENT_TIMESTAMP are its wall-clock time; also passed to the data generator as `timeZone`.
   */
  timeZone?: string;
  /** Faults armed from the start (see faults.ts; also `setFaults()`). */
  faults?: SqlFault[];
  /**
   * Seed of the order in which ORDER BY returns rows it leaves tied (integer 0 to 4294967295, default
   * DEFAULT_TIE_SEED): another seed, another order of the ties, as SQL Server promises none.
   */
  orderSeed?: number;
}

/** The orderSeed option, checked: an integer from 0 to 4294967295. */
export function checkOrderSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`orderSeed must be an integer from 0 to 4294967295, got ${String(seed)}`);
  return seed;
}

export const DEFAULT_TIME_ZONE = 'America/Bogota';

/** The zone's canonical name, or a RangeError naming what is accepted. */
export function checkTimeZoneOption(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new RangeError(`timeZone must be an IANA time zone such as America/Bogota or UTC, got '${zone}'`);
  }
}

export interface SqlServerEmulatorTls {
  mode: TlsMode;
  /** The CA certificate clients must trust ('' when TLS is off or a certificate override has no CA). */
  caPath: string;
  /** The same CA certificate, PEM ('' likewise): pass as mssql `options.cryptoCredentialsDetails.ca`. */
  ca: string;
}

export interface SqlServerEmulator {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Company -> database name. */
  databases: Record<string, string>;
  tls: SqlServerEmulatorTls;
  /** The server's time zone (IANA). */
  timeZone: string;
  /** Replaces the armed faults (validated: a FaultError names what is wrong and what is accepted). */
  setFaults(faults: SqlFault[]): void;
  /** The faults not used up yet, `times` being what is left. */
  pendingFaults(): SqlFault[];
  /** Changes the login's password (a rotation): later logins need the new one; open connections stay. */
  setPassword(user: string, password: string): void;
  /** Waits the server saw since start or the last resetStats(): e.g. the longest a client kept it waiting. */
  stats(): ServerStats;
  resetStats(): void;
  /** Closes the listener and every connection (and with them their SQLite handles). */
  stop(): Promise<void>;
}

export async function startSqlServerEmulator(
  options: SqlServerEmulatorOptions = {},
): Promise<SqlServerEmulator> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer from 0 (a free port) to 65535, got ${String(port)}`);
  }
  for (const company of Object.keys(options.sizes ?? {})) {
    if (!isCompany(company))
      throw new RangeError(`sizes: unknown company ${company}; known: ${COMPANIES.join(', ')}`);
  }
  const user = options.user ?? DEFAULT_USER;
  const password = options.password ?? DEFAULT_PASSWORD;
  const log = options.log ?? (() => undefined);
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const tls = prepareTls(options, dataDir);
  const timeZone = checkTimeZoneOption(options.timeZone ?? DEFAULT_TIME_ZONE);
  const tieSeed = checkOrderSeed(options.orderSeed ?? DEFAULT_TIE_SEED);
  const dataOptions = {
    dataDir,
    reset: options.reset === true,
    sizes: options.sizes as Partial<Record<string, Partial<CompanySizes>>> | undefined,
    ...(options.csvDir === undefined ? {} : { csvDir: options.csvDir }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    // The generator writes DATETIME values as this zone's wall-clock time (engineer sqltypes).
    timeZone,
    log,
  };
  const companies = prepareData(dataOptions);
  const databases = new Map<string, DatabaseEntry>();
  databases.set('master', { name: 'master', file: null, catalog: new Map() });
  for (const c of companies)
    databases.set(c.database.toLowerCase(), { name: c.database, file: c.file, catalog: c.catalog });
  const ctx: ServerContext = {
    user,
    password,
    databases,
    defaultDatabase: 'master',
    serverName: 'SFSYNC-SQLSERVER',
    version:
      `Microsoft SQL Server 2022 (RTM) - ${PRODUCT_VERSION.join('.')} (X64) \n\tsf-sync SQL Server emulator ` +
      `(TDS 7.4 over SQLite, data in ${path.resolve(dataDir)})`,
    tls: { mode: tls.info.mode, ...(tls.contexts === undefined ? {} : { contexts: tls.contexts }) },
    timeZone,
    tieSeed,
    faults: new FaultSet(options.faults ?? []),
    stats: emptyStats(),
    log,
  };
  const server = await listenTds(ctx, host, port);
  const emulator: SqlServerEmulator = {
    host,
    port: server.port,
    user,
    password,
    databases: Object.fromEntries(companies.map((c) => [c.company, c.database])),
    tls: tls.info,
    timeZone,
    setFaults: (faults) => ctx.faults.set(faults),
    pendingFaults: () => ctx.faults.pending(),
    stats: () => ({ ...ctx.stats }),
    resetStats: () => {
      ctx.stats = emptyStats();
    },
    setPassword: (login, newPassword) => {
      if (login.toLowerCase() !== ctx.user.toLowerCase())
        throw new RangeError(
          `setPassword: unknown login '${login}'; the emulator has one login, '${ctx.user}'`,
        );
      if (typeof newPassword !== 'string' || newPassword === '')
        throw new RangeError('setPassword: the password must be a non-empty string');
      ctx.password = newPassword;
      emulator.password = newPassword;
    },
    stop: () => server.close(),
  };
  return emulator;
}

function prepareTls(
  options: SqlServerEmulatorOptions,
  dataDir: string,
): { info: SqlServerEmulatorTls; contexts?: TlsContexts } {
  const mode = options.tls ?? 'on';
  if (!TLS_MODES.includes(mode))
    throw new RangeError(`tls must be one of ${TLS_MODES.join(', ')}, got ${String(mode)}`);
  if (mode === 'off') return { info: { mode, caPath: '', ca: '' } };
  const files =
    options.certificate === undefined
      ? loadTlsFiles(dataDir, options.certificateNames ?? [])
      : { ...options.certificate, ca: options.certificate.ca ?? '', caPath: '' };
  const context = (maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
    createSecureContext({ cert: files.cert, key: files.key, minVersion: 'TLSv1.2', maxVersion });
  return {
    info: { mode, caPath: files.caPath, ca: files.ca },
    contexts: { inband: context('TLSv1.2'), strict: context('TLSv1.3') },
  };
}

/**
 * Change a share of rows of one company's view(s) in the data folder; works while a server runs on it
 * (same process) or not. Updated rows change a mapped value (telefono / cupo_credito, telefono /
 * nombre, valor / descripcion) and fecha_modificacion; new rows are clean and reference existing
 * parents; deleted rows are removed (never a row others point at, never a dirty row). Deterministic
 * given the seed and the folder's state. Returns counts.
 */
export function changeRows(options: ChangeRowsOptions): Promise<ChangeCounts> {
  return changeRowsImpl(options);
}
