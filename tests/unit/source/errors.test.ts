import { SourceLoginError, SourceQueryError, SourceUnavailableError } from '../../../src/core/errors.js';
import { TRANSIENT_SQL_ERRORS, translateSqlError } from '../../../src/core/source/errors.js';

/** Shaped as mssql wraps tedious: an mssql error whose originalError is tedious' error. */
const requestError = (number: number, message = 'boom') => ({
  name: 'RequestError',
  code: 'EREQUEST',
  number,
  message,
  originalError: { name: 'RequestError', code: 'EREQUEST', number, message },
});
const socketError = (code: string, message: string) => ({
  name: 'ConnectionError',
  code: 'ESOCKET',
  message: `Failed to connect to db:1433 - ${message}`,
  originalError: { code: 'ESOCKET', message, cause: Object.assign(new Error(message), { code }) },
});

describe('SQL Server errors, transient or permanent as the table says', () => {
  it.each([1205, 1222, 8645, 4060, 40197, 40501, 40613, 10928, 10929, 49918, 49919, 49920])(
    'error %i is transient (retried)',
    (n) => {
      const e = translateSqlError(requestError(n), 'ITALCOL terceros_view');
      expect(e).toBeInstanceOf(SourceUnavailableError);
      expect(e.message).toBe(
        `ITALCOL terceros_view: boom (error ${n}: ${TRANSIENT_SQL_ERRORS.get(n)}; retried)`,
      );
    },
  );

  it.each([
    [208, SourceQueryError],
    [207, SourceQueryError],
    [102, SourceQueryError],
    [18456, SourceLoginError],
  ])('error %i is permanent', (n, type) => {
    expect(translateSqlError(requestError(n), 'x')).toBeInstanceOf(type);
  });

  it.each([
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'the server presents a self-signed certificate'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', "the server's certificate is signed by a CA the sync does not know"],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "the server's certificate does not carry the host name connected to"],
  ])('a certificate failure (%s) is permanent and says what to set', (code, what) => {
    const e = translateSqlError(socketError(code, 'x'), 'cannot connect');
    expect(e).toBeInstanceOf(SourceLoginError);
    expect(e.message).toBe(
      `cannot connect: ${what} (${code}): set "ca" to the PEM of the CA that signed it (or of the self-signed certificate itself), and "serverName" to the name in the certificate when connecting by IP or alias; "trustServerCertificate": true only as a last resort (it accepts any server)`,
    );
  });

  it('an unknown named instance is permanent and suggests a fixed port', () => {
    const e = translateSqlError(
      { code: 'EINSTLOOKUP', message: 'Port for ERP not found in ServerName;db;' },
      'cannot connect',
    );
    expect(e).toBeInstanceOf(SourceLoginError);
    expect(e.message).toContain('give the instance\'s fixed TCP "port" instead of "instanceName"');
  });

  it('outages stay transient', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']) {
      expect(translateSqlError(socketError(code, 'down'), 'x')).toBeInstanceOf(SourceUnavailableError);
    }
    expect(
      translateSqlError({ code: 'ETIMEOUT', message: 'Failed to connect in 15000ms' }, 'x'),
    ).toBeInstanceOf(SourceUnavailableError);
  });

  it('a login error keeps its number (set by the connection guard) and 18456 says what to check', () => {
    const e = translateSqlError(
      {
        code: 'ELOGIN',
        message: "Login failed for user 'sync'.",
        originalError: { code: 'ELOGIN', number: 18456 },
      },
      'cannot connect',
    );
    expect(e).toBeInstanceOf(SourceLoginError);
    expect(e.message).toBe(
      'cannot connect: Login failed for user \'sync\'. (check "user"/"password" or "authentication", and "database")',
    );
  });
});
