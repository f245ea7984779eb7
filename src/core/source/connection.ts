import sql from 'mssql';
import type { Authentication, DatabaseSettings } from '../config/database.js';
import { SourceLoginError } from '../errors.js';

/** tedious' `authentication` option for our settings (mssql passes it through unchanged). */
export function tediousAuthentication(a: Authentication): { type: string; options: Record<string, string> } {
  switch (a.type) {
    case 'sql':
      return { type: 'default', options: { userName: a.user, password: a.password } };
    case 'ntlm':
      return { type: 'ntlm', options: { userName: a.user, password: a.password, domain: a.domain } };
    case 'azure-active-directory-password':
      return {
        type: a.type,
        options: {
          userName: a.user,
          password: a.password,
          clientId: a.clientId,
          ...(a.tenantId ? { tenantId: a.tenantId } : {}),
        },
      };
    case 'azure-active-directory-service-principal-secret':
      return {
        type: a.type,
        options: { clientId: a.clientId, clientSecret: a.clientSecret, tenantId: a.tenantId },
      };
    default:
      return { type: a.type, options: a.clientId ? { clientId: a.clientId } : {} };
  }
}

/** What a PRELOGIN answer looks like to tedious (`prelogin-payload`): ON, OFF, REQ or NOT_SUP. */
interface PreloginAnswer {
  encryptionString?: string;
}

/** The parts of a tedious Connection the guards below use (tedious 19, lib/connection.js). */
interface TediousConnection {
  performTlsNegotiation?: (payload: PreloginAnswer, signal: AbortSignal) => Promise<void>;
  loginError?: { number?: number };
  on(event: 'errorMessage', listener: (token: { number: number }) => void): unknown;
}

export function plainTextRefusal(server: string): SourceLoginError {
  return new SourceLoginError(
    `${server} does not support encryption (its PRELOGIN answer offered no TLS) although "encrypt" asks for it; ` +
      'the sync refuses to log in in plain text. Enable TLS on the server (a certificate in SQL Server ' +
      'Configuration Manager), or, only on a trusted private network, set "encrypt": false for this company',
  );
}

/**
 * Hooks a tedious connection before it connects:
 * - tedious goes on in plain text when a server answers PRELOGIN with NOT_SUP or OFF even though
 *   `encrypt` is true (MS-TDS says the client must close): refuse before LOGIN7 is sent;
 * - tedious wraps every login error as ELOGIN without its number: keep the number, so that
 *   18456 (login failed) and the transient ones (4060, 40613...) can be told apart.
 */
export function guardConnection(connection: unknown, settings: DatabaseSettings): void {
  const c = connection as TediousConnection;
  const negotiate = c.performTlsNegotiation;
  if (settings.encrypt === true && typeof negotiate === 'function') {
    c.performTlsNegotiation = async function (this: unknown, payload, signal) {
      const answer = payload.encryptionString;
      if (answer !== 'ON' && answer !== 'REQ')
        throw plainTextRefusal(`${settings.server} (answered ${answer})`);
      return negotiate.call(this, payload, signal);
    };
  }
  c.on('errorMessage', (token) => {
    // tedious sets loginError right after emitting errorMessage.
    queueMicrotask(() => {
      if (c.loginError && c.loginError.number === undefined) c.loginError.number = token.number;
    });
  });
}

const ISOLATION: Record<DatabaseSettings['isolationLevel'], number> = {
  READ_UNCOMMITTED: sql.ISOLATION_LEVEL.READ_UNCOMMITTED,
  READ_COMMITTED: sql.ISOLATION_LEVEL.READ_COMMITTED,
  REPEATABLE_READ: sql.ISOLATION_LEVEL.REPEATABLE_READ,
  SNAPSHOT: sql.ISOLATION_LEVEL.SNAPSHOT,
  SERIALIZABLE: sql.ISOLATION_LEVEL.SERIALIZABLE,
};

/** The mssql pool configuration for one company. Datetimes are read as UTC fields and reinterpreted in the company's zone. */
export function poolConfig(settings: DatabaseSettings): sql.config {
  const lookup = settings.port === undefined && settings.instanceName !== undefined;
  return {
    server: settings.server,
    ...(lookup ? {} : { port: settings.port ?? 1433 }),
    database: settings.database,
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: settings.firstRowTimeoutMs,
    pool: { max: settings.poolMax, min: 0, idleTimeoutMillis: 30000 },
    authentication: tediousAuthentication(settings.authentication) as sql.config['authentication'],
    options: {
      encrypt: settings.encrypt as boolean,
      trustServerCertificate: settings.trustServerCertificate,
      ...(lookup ? { instanceName: settings.instanceName } : {}),
      ...(settings.serverName ? { serverName: settings.serverName } : {}),
      ...(settings.ca ? { cryptoCredentialsDetails: { ca: settings.ca } } : {}),
      useUTC: true,
      connectionIsolationLevel: ISOLATION[settings.isolationLevel],
      appName: 'sf-sync',
    },
    beforeConnect: ((connection: unknown) =>
      guardConnection(connection, settings)) as sql.config['beforeConnect'],
  };
}
