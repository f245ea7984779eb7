import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { authenticationTypes, databaseSchema, EnvRef, isolationLevels } from './schema.js';

export type Authentication =
  | { type: 'sql'; user: string; password: string }
  | { type: 'ntlm'; user: string; password: string; domain: string }
  | {
      type: 'azure-active-directory-password';
      user: string;
      password: string;
      clientId: string;
      tenantId?: string;
    }
  | {
      type: 'azure-active-directory-service-principal-secret';
      clientId: string;
      clientSecret: string;
      tenantId: string;
    }
  | { type: 'azure-active-directory-msi-vm' | 'azure-active-directory-default'; clientId?: string };

/** One company's SQL Server connection, with every value resolved from literals, env and secrets. */
export interface DatabaseSettings {
  server: string;
  /** The fixed TCP port; absent when `instanceName` is to be looked up through SQL Server Browser. */
  port?: number;
  instanceName?: string;
  database: string;
  authentication: Authentication;
  /** The SQL login or user name, when the authentication has one (for messages and pool identity). */
  user: string;
  /** The password of `authentication`, or "" when it has none (kept for older callers). */
  password: string;
  encrypt: boolean | 'strict';
  trustServerCertificate: boolean;
  ca?: string;
  serverName?: string;
  timeZone: string;
  poolMax: number;
  connectTimeoutMs: number;
  firstRowTimeoutMs: number;
  /** Older name of firstRowTimeoutMs (kept for older callers). */
  requestTimeoutMs: number;
  idleRowTimeoutMs: number;
  isolationLevel: (typeof isolationLevels)[number];
}

type Raw = z.infer<typeof databaseSchema>;
type Text = string | EnvRef;
type Resolve = (value: Text, key: string) => string;

/** A value that may be absent: an env ref whose variables are unset and whose default is "" counts as absent. */
function optional(resolve: Resolve, value: Text | undefined, key: string): string | undefined {
  if (value === undefined) return undefined;
  const v = resolve(value, key);
  return v === '' ? undefined : v;
}

function required(resolve: Resolve, value: Text | undefined, key: string, why: string): string {
  const v = optional(resolve, value, key);
  if (v === undefined) throw new ConfigError(`${key}: required ${why}`);
  return v;
}

function parsePort(resolve: Resolve, value: Raw['port'], key: string): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'number' ? String(value) : resolve(value, key);
  if (text === '') return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`${key}: "${text}" is not a TCP port (1-65535)`);
  }
  return port;
}

function parseFlag(resolve: Resolve, value: boolean | EnvRef, key: string): boolean {
  if (typeof value === 'boolean') return value;
  const t = resolve(value, key).trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw new ConfigError(`${key}: "${t}" is not a boolean (accepted: true, false)`);
}

function parseEncrypt(resolve: Resolve, value: Raw['encrypt'], key: string): boolean | 'strict' {
  if (typeof value === 'boolean' || value === 'strict') return value;
  const t = resolve(value, key).trim().toLowerCase();
  if (t === 'strict') return 'strict';
  if (t === 'true' || t === 'false') return t === 'true';
  throw new ConfigError(`${key}: "${t}" is not an encryption mode (accepted: true, false, strict)`);
}

/** Checks an IANA time zone name with Intl; a typo would silently shift every datetime. */
export function checkTimeZone(zone: string, key: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new ConfigError(
      `${key}: "${zone}" is not an IANA time zone (e.g. America/Bogota, America/New_York, UTC)`,
    );
  }
}

function readCa(resolve: Resolve, value: Raw['ca'], key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && 'file' in value) {
    const file = optional(resolve, value.file, `${key}.file`);
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`${key}.file: cannot read the CA file ${file}: ${(error as Error).message}`);
    }
  }
  const pem = optional(resolve, value, key);
  if (pem !== undefined && !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(
      `${key}: not a PEM certificate (expected "-----BEGIN CERTIFICATE-----"; or give { "file": path })`,
    );
  }
  return pem;
}

function readAuthentication(resolve: Resolve, d: Raw, key: string): Authentication {
  const type: (typeof authenticationTypes)[number] = d.authentication;
  const need = (v: Text | undefined, name: string) =>
    required(resolve, v, `${key}.${name}`, `for authentication "${type}"`);
  const opt = (v: Text | undefined, name: string) => optional(resolve, v, `${key}.${name}`);
  switch (type) {
    case 'sql':
      return { type, user: need(d.user, 'user'), password: need(d.password, 'password') };
    case 'ntlm':
      return {
        type,
        user: need(d.user, 'user'),
        password: need(d.password, 'password'),
        domain: need(d.domain, 'domain'),
      };
    case 'azure-active-directory-password': {
      const tenantId = opt(d.tenantId, 'tenantId');
      return {
        type,
        user: need(d.user, 'user'),
        password: need(d.password, 'password'),
        clientId: need(d.clientId, 'clientId'),
        ...(tenantId ? { tenantId } : {}),
      };
    }
    case 'azure-active-directory-service-principal-secret':
      return {
        type,
        clientId: need(d.clientId, 'clientId'),
        clientSecret: need(d.clientSecret, 'clientSecret'),
        tenantId: need(d.tenantId, 'tenantId'),
      };
    default: {
      const clientId = opt(d.clientId, 'clientId');
      return { type, ...(clientId ? { clientId } : {}) };
    }
  }
}

/** Resolves a company's `database` block (key is its config path, for messages). */
export function resolveDatabase(d: Raw, key: string, resolve: Resolve): DatabaseSettings {
  const instanceName = optional(resolve, d.instanceName, `${key}.instanceName`);
  const port = parsePort(resolve, d.port, `${key}.port`) ?? (instanceName ? undefined : 1433);
  const authentication = readAuthentication(resolve, d, key);
  const serverName = optional(resolve, d.serverName, `${key}.serverName`);
  const ca = readCa(resolve, d.ca, `${key}.ca`);
  const encrypt = parseEncrypt(resolve, d.encrypt, `${key}.encrypt`);
  const trustServerCertificate = parseFlag(
    resolve,
    d.trustServerCertificate,
    `${key}.trustServerCertificate`,
  );
  if (encrypt === 'strict' && trustServerCertificate) {
    throw new ConfigError(
      `${key}.trustServerCertificate: ignored with encrypt "strict" (TDS 8 always checks the certificate); give "ca" instead`,
    );
  }
  return {
    server: resolve(d.host, `${key}.host`),
    ...(port === undefined ? {} : { port }),
    ...(instanceName ? { instanceName } : {}),
    database: resolve(d.database, `${key}.database`),
    authentication,
    user: 'user' in authentication ? authentication.user : (authentication.clientId ?? authentication.type),
    password: 'password' in authentication ? authentication.password : '',
    encrypt,
    trustServerCertificate,
    ...(ca ? { ca } : {}),
    ...(serverName ? { serverName } : {}),
    timeZone: checkTimeZone(resolve(d.timeZone, `${key}.timeZone`), `${key}.timeZone`),
    poolMax: d.poolMax,
    connectTimeoutMs: d.connectTimeoutMs,
    firstRowTimeoutMs: d.firstRowTimeoutMs ?? d.requestTimeoutMs,
    requestTimeoutMs: d.firstRowTimeoutMs ?? d.requestTimeoutMs,
    idleRowTimeoutMs: d.idleRowTimeoutMs,
    isolationLevel: d.isolationLevel,
  };
}
