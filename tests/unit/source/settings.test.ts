import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sql from 'mssql';
import { databaseSettings, loadConfig, parseConfig } from '../../../src/core/config/load.js';
import { poolConfig } from '../../../src/core/source/connection.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function withDatabase(database: Record<string, unknown>) {
  const raw = JSON.parse(JSON.stringify(loadConfig('config/sync.config.json').raw));
  raw.companies = { NUEVA: { database: { host: 'db.nueva', database: 'erp', ...database } } };
  return parseConfig(raw);
}

const settings = (database: Record<string, unknown>, env: Record<string, string> = {}) =>
  databaseSettings(withDatabase(database), 'NUEVA', (n) => env[n]);

describe('per-company database settings', () => {
  it('defaults: encrypted, certificate checked, Bogotá, pool of 4, READ COMMITTED', () => {
    expect(settings({ user: 'u', password: 'p' })).toEqual({
      server: 'db.nueva',
      port: 1433,
      database: 'erp',
      authentication: { type: 'sql', user: 'u', password: 'p' },
      user: 'u',
      password: 'p',
      encrypt: true,
      trustServerCertificate: false,
      timeZone: 'America/Bogota',
      poolMax: 4,
      connectTimeoutMs: 15000,
      firstRowTimeoutMs: 120000,
      requestTimeoutMs: 120000,
      idleRowTimeoutMs: 60000,
      isolationLevel: 'READ_COMMITTED',
    });
  });

  it('reads TLS settings from env refs: encrypt "strict", the CA PEM from a secret, serverName', () => {
    const s = settings(
      {
        user: 'u',
        password: 'p',
        encrypt: { env: 'DB_ENCRYPT' },
        ca: { env: 'DB_CA' },
        serverName: 'erp.italcol.local',
      },
      { DB_ENCRYPT: 'strict', DB_CA: PEM },
    );
    expect(s).toMatchObject({ encrypt: 'strict', ca: PEM, serverName: 'erp.italcol.local' });
    const config = poolConfig(s);
    expect(config.options).toMatchObject({
      encrypt: 'strict',
      serverName: 'erp.italcol.local',
      cryptoCredentialsDetails: { ca: PEM },
      useUTC: true,
    });
  });

  it('reads the CA from a file, and says so when it cannot', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-'));
    try {
      writeFileSync(path.join(dir, 'ca.pem'), PEM);
      expect(settings({ user: 'u', password: 'p', ca: { file: path.join(dir, 'ca.pem') } }).ca).toBe(PEM);
      expect(() => settings({ user: 'u', password: 'p', ca: { file: path.join(dir, 'nope.pem') } })).toThrow(
        `config.companies.NUEVA.database.ca.file: cannot read the CA file ${path.join(dir, 'nope.pem')}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('treats an env ref with an empty default as "not set" for the CA', () => {
    expect(settings({ user: 'u', password: 'p', ca: { env: 'DB_CA', default: '' } }).ca).toBeUndefined();
  });

  it('refuses what cannot work, naming the key and what is accepted', () => {
    expect(() => settings({ user: 'u', password: 'p', timeZone: 'America/Bogata' })).toThrow(
      'config.companies.NUEVA.database.timeZone: "America/Bogata" is not an IANA time zone (e.g. America/Bogota, America/New_York, UTC)',
    );
    expect(() => settings({ user: 'u', password: 'p', encrypt: { env: 'E' } }, { E: 'yes' })).toThrow(
      'config.companies.NUEVA.database.encrypt: "yes" is not an encryption mode (accepted: true, false, strict)',
    );
    expect(() =>
      settings({ user: 'u', password: 'p', encrypt: 'strict', trustServerCertificate: true }),
    ).toThrow('trustServerCertificate: ignored with encrypt "strict"');
    expect(() => settings({ user: 'u', password: 'p', ca: 'not a pem' })).toThrow('not a PEM certificate');
    expect(() => settings({ authentication: 'ntlm', user: 'u', password: 'p' })).toThrow(
      'config.companies.NUEVA.database.domain: required for authentication "ntlm"',
    );
    expect(() => withDatabase({ user: 'u', password: 'p', authentication: 'kerberos' })).toThrow(
      /config.companies.NUEVA.database.authentication: Invalid (enum value|option)/,
    );
  });

  it('maps NTLM and Entra ID to tedious authentication options', () => {
    const ntlm = settings({ authentication: 'ntlm', user: 'sync', password: 'p', domain: 'ITALCOL' });
    expect(poolConfig(ntlm).authentication).toEqual({
      type: 'ntlm',
      options: { userName: 'sync', password: 'p', domain: 'ITALCOL' },
    });
    const sp = settings({
      authentication: 'azure-active-directory-service-principal-secret',
      clientId: 'c',
      clientSecret: 's',
      tenantId: 't',
    });
    expect(poolConfig(sp).authentication).toEqual({
      type: 'azure-active-directory-service-principal-secret',
      options: { clientId: 'c', clientSecret: 's', tenantId: 't' },
    });
    const msi = settings({ authentication: 'azure-active-directory-msi-vm' });
    expect(poolConfig(msi).authentication).toEqual({ type: 'azure-active-directory-msi-vm', options: {} });
  });

  it('looks a named instance up through SQL Server Browser unless a fixed port is given', () => {
    const lookup = poolConfig(settings({ user: 'u', password: 'p', instanceName: 'ERP' }));
    expect(lookup.port).toBeUndefined();
    expect(lookup.options?.instanceName).toBe('ERP');
    const fixed = poolConfig(settings({ user: 'u', password: 'p', instanceName: 'ERP', port: 51433 }));
    expect(fixed.port).toBe(51433);
    expect(fixed.options?.instanceName).toBeUndefined();
  });

  it('sets the pool size, timeouts and the session isolation level', () => {
    const c = poolConfig(
      settings({ user: 'u', password: 'p', poolMax: 2, firstRowTimeoutMs: 5000, isolationLevel: 'SNAPSHOT' }),
    );
    expect(c.pool).toEqual({ max: 2, min: 0, idleTimeoutMillis: 30000 });
    expect(c.requestTimeout).toBe(5000);
    expect(c.options?.connectionIsolationLevel).toBe(sql.ISOLATION_LEVEL.SNAPSHOT);
  });
});
