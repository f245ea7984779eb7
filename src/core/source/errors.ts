import { SourceLoginError, SourceQueryError, SourceUnavailableError, SyncError } from '../errors.js';

/**
 * SQL Server error numbers that clear with time, as Microsoft's guidance for retry logic lists
 * them (deadlocks, lock and memory-grant timeouts, databases recovering or failing over, Azure SQL
 * throttling and reconfiguration). Every other numbered error is permanent.
 */
export const TRANSIENT_SQL_ERRORS: ReadonlyMap<number, string> = new Map([
  [1205, 'deadlock victim'],
  [1222, 'lock request time out'],
  [8645, 'timeout waiting for a memory grant'],
  [4060, 'database unavailable (recovering or failing over)'],
  [4221, 'login to a read-secondary failed while it is being reconfigured'],
  [40143, 'the service has encountered an error processing your request'],
  [40197, 'the service has encountered an error processing your request'],
  [40501, 'the service is busy'],
  [40540, 'the service has encountered an error processing your request'],
  [40613, 'database not currently available'],
  [10928, 'resource limit reached'],
  [10929, 'resource limit reached (minimum guarantee)'],
  [10053, 'transport-level error'],
  [10054, 'transport-level error'],
  [10060, 'network error'],
  [49918, 'not enough resources to process the request'],
  [49919, 'too many create or update operations in progress'],
  [49920, 'too many operations in progress'],
  [233, 'connection closed by the server'],
  [64, 'connection dropped by the server'],
]);

export const LOGIN_FAILED = 18456;

/** Socket-level outages from tedious and Node: the server may well be back later. */
const TRANSIENT_CODES = [
  'ESOCKET',
  'ETIMEOUT',
  'ECONNCLOSED',
  'ECONNRESET',
  'ENOTOPEN',
  'ECONNREFUSED',
  'ECANCEL',
];

/** Node's certificate verification failures, with what the config should say instead. */
const CERTIFICATE_CODES: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server presents a self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a CA the sync does not know",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is signed by a CA the sync does not know",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is signed by a CA the sync does not know",
  UNABLE_TO_GET_ISSUER_CERT: "the server's certificate is signed by a CA the sync does not know",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not carry the host name connected to",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet",
  CERT_SIGNATURE_FAILURE: "the server's certificate signature does not verify",
};
const CERTIFICATE_ADVICE =
  'set "ca" to the PEM of the CA that signed it (or of the self-signed certificate itself), ' +
  'and "serverName" to the name in the certificate when connecting by IP or alias; ' +
  '"trustServerCertificate": true only as a last resort (it accepts any server)';

interface ErrorFacts {
  /** One of ours, thrown inside tedious (the connection guard) and wrapped by it and mssql. */
  ours?: SyncError;
  codes: string[];
  numbers: number[];
  messages: string[];
}

/** Collects codes, error numbers and messages along the cause chain mssql and tedious build. */
function facts(error: unknown): ErrorFacts {
  const out: ErrorFacts = { codes: [], numbers: [], messages: [] };
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift() as
      | {
          code?: unknown;
          number?: unknown;
          message?: unknown;
          cause?: unknown;
          originalError?: unknown;
          errors?: unknown;
        }
      | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if ((e as unknown) instanceof SyncError) out.ours ??= e as unknown as SyncError;
    if (typeof e.code === 'string') out.codes.push(e.code);
    if (typeof e.number === 'number' && e.number > 0) out.numbers.push(e.number);
    if (typeof e.message === 'string') out.messages.push(e.message);
    queue.push(e.cause, e.originalError);
    if (Array.isArray(e.errors)) queue.push(...e.errors);
  }
  return out;
}

/** The SQL Server error number of a failure, if it carries one (logins included, see connection.ts). */
export function sqlErrorNumber(error: unknown): number | undefined {
  return facts(error).numbers[0];
}

/** Translates mssql/tedious failures into our named errors: transient ones are retried by the workflow. */
export function translateSqlError(error: unknown, where: string): Error {
  if (error instanceof SyncError) return error;
  const f = facts(error);
  if (f.ours) {
    const Same = f.ours.constructor as new (message: string, options: { cause: unknown }) => SyncError;
    return new Same(`${where}: ${f.ours.message}`, { cause: error });
  }
  const text = `${where}: ${f.messages[0] ?? String(error)}`;
  const cert = f.codes.find((c) => CERTIFICATE_CODES[c]);
  if (cert) {
    return new SourceLoginError(`${where}: ${CERTIFICATE_CODES[cert]} (${cert}): ${CERTIFICATE_ADVICE}`, {
      cause: error,
    });
  }
  if (f.codes.includes('EINSTLOOKUP')) {
    return new SourceLoginError(
      `${text}. The named instance could not be looked up through SQL Server Browser (UDP 1434): ` +
        'check "instanceName", or give the instance\'s fixed TCP "port" instead of "instanceName"',
      { cause: error },
    );
  }
  if (f.codes.includes('EENCRYPT')) {
    return new SourceLoginError(`${text}. Set "encrypt" to true (or "strict") for this server`, {
      cause: error,
    });
  }
  const number = f.numbers[0];
  if (number !== undefined && TRANSIENT_SQL_ERRORS.has(number)) {
    return new SourceUnavailableError(
      `${text} (error ${number}: ${TRANSIENT_SQL_ERRORS.get(number)}; retried)`,
      {
        cause: error,
      },
    );
  }
  if (f.codes.includes('ELOGIN') || number === LOGIN_FAILED || number === 18452) {
    return new SourceLoginError(`${text} (check "user"/"password" or "authentication", and "database")`, {
      cause: error,
    });
  }
  if (number !== undefined) return new SourceQueryError(`${text} (error ${number})`, { cause: error });
  if (f.codes.some((c) => TRANSIENT_CODES.includes(c)))
    return new SourceUnavailableError(text, { cause: error });
  return new SourceUnavailableError(text, { cause: error });
}
