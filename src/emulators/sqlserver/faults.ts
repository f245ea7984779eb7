/**
 * Deterministic fault injection: each fault is armed for a bounded number of times (default 1) and
 * fires on the next matching query or login, in the order the faults were given.
 *
 * - error:  SQL Server error NUMBER at row ROW of the query (0 = before any row), with SQL Server's
 *           message text, class and state; class 20 and above also closes the connection, as a
 *           fatal error does.
 * - drop:   the connection is cut after BYTES bytes of the reply.
 * - slow:   nothing of the reply is sent for MS milliseconds (a slow first row).
 * - stall:  after row ROW, sending stops for MS milliseconds, or until cancelled ('forever').
 * - login:  the next logins fail with NUMBER (18456, 4060, 40613, ...).
 * Query faults match on `database` (name, any case) and `query` (substring of the request's SQL,
 * any case); only requests with a SELECT count (not SET-only batches).
 */
import { z } from 'zod';

export class FaultError extends Error {
  override readonly name = 'FaultError';
}

interface ErrorTemplate {
  severity: number;
  state: number;
  text: (c: ErrorContext) => string;
}

export interface ErrorContext {
  spid: number;
  database: string;
  serverName: string;
  user: string;
}

/** SQL Server's texts (sys.messages, Azure SQL's documented errors) with their class and state. */
const ERRORS: Record<number, ErrorTemplate> = {
  1205: {
    severity: 13,
    state: 51,
    text: (c) =>
      `Transaction (Process ID ${c.spid}) was deadlocked on lock resources with another process and has been chosen as the deadlock victim. Rerun the transaction.`,
  },
  1222: { severity: 16, state: 51, text: () => 'Lock request time out period exceeded.' },
  8645: {
    severity: 17,
    state: 1,
    text: () =>
      "A timeout occurred while waiting for memory resources to execute the query in resource pool 'default' (2). Rerun the query.",
  },
  40613: {
    severity: 17,
    state: 1,
    text: (c) =>
      `Database '${c.database}' on server '${c.serverName}' is not currently available.  Please retry the connection later.  If the problem persists, contact customer support, and provide them the session tracing ID of '00000000-0000-0000-0000-000000000000'.`,
  },
  40501: {
    severity: 20,
    state: 1,
    text: () =>
      'The service is currently busy. Retry the request after 10 seconds. Incident ID: {00000000-0000-0000-0000-000000000000}. Code: 4.',
  },
  40197: {
    severity: 20,
    state: 1,
    text: () =>
      'The service has encountered an error processing your request. Please try again. Error code 4815.',
  },
  10928: {
    severity: 20,
    state: 1,
    text: () =>
      "Resource ID : 1. The request limit for the database is 30 and has been reached. See 'https://docs.microsoft.com/azure/azure-sql/database/resource-limits-logical-server' for assistance.",
  },
  10929: {
    severity: 20,
    state: 1,
    text: () =>
      "Resource ID : 1. The request minimum guarantee is 0, maximum limit is 30, and the current usage for the database is 30. However, the server is currently too busy to support requests greater than 30 for this database. See 'https://docs.microsoft.com/azure/azure-sql/database/resource-limits-logical-server' for assistance. Otherwise, please try again.",
  },
  4060: {
    severity: 11,
    state: 1,
    text: (c) => `Cannot open database "${c.database}" requested by the login. The login failed.`,
  },
  18456: { severity: 14, state: 1, text: (c) => `Login failed for user '${c.user}'.` },
};

export const FAULT_ERROR_NUMBERS = Object.keys(ERRORS).map(Number);

export interface ServerErrorInfo {
  number: number;
  severity: number;
  state: number;
  message: string;
}

export function faultError(number: number, context: ErrorContext): ServerErrorInfo {
  const t = ERRORS[number];
  if (t === undefined) throw new FaultError(`no error ${number}; known: ${FAULT_ERROR_NUMBERS.join(', ')}`);
  return { number, severity: t.severity, state: t.state, message: t.text(context) };
}

const errorNumber = z
  .number()
  .int()
  .refine((n) => ERRORS[n] !== undefined, { message: `one of ${FAULT_ERROR_NUMBERS.join(', ')}` });
const count = z.number().int().min(0);
const match = {
  database: z.string().min(1).optional(),
  query: z.string().min(1).optional(),
  times: z.number().int().min(1).optional(),
};

export const faultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('error'), number: errorNumber, row: count.optional(), ...match }),
  z.strictObject({ kind: z.literal('drop'), bytes: count, ...match }),
  z.strictObject({ kind: z.literal('slow'), ms: count.max(600_000), ...match }),
  z.strictObject({
    kind: z.literal('stall'),
    row: count,
    ms: z.union([count.max(600_000), z.literal('forever')]),
    ...match,
  }),
  z.strictObject({
    kind: z.literal('login'),
    number: errorNumber,
    database: match.database,
    times: match.times,
  }),
]);

export type SqlFault = z.infer<typeof faultSchema>;
export type QueryFault = Exclude<SqlFault, { kind: 'login' }>;

const ACCEPTED =
  "{kind:'error', number, row?, database?, query?, times?} | {kind:'drop', bytes, ...} | {kind:'slow', ms, ...} | " +
  "{kind:'stall', row, ms | 'forever', ...} | {kind:'login', number, database?, times?}; " +
  `numbers: ${FAULT_ERROR_NUMBERS.join(', ')}`;

export function parseFaults(input: unknown): SqlFault[] {
  const parsed = z.array(faultSchema).safeParse(input ?? []);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(faults)'}: ${i.message}`)
      .join('; ');
    throw new FaultError(`invalid faults: ${issues}. Accepted: ${ACCEPTED}`);
  }
  return parsed.data;
}

/**
 * The `--fault` flag: KIND[:NUMBER][,key=value...], e.g. `error:1205,row=100,query=terceros_view`,
 * `drop,bytes=20000`, `slow,ms=3000`, `stall,row=50,ms=forever`, `login:18456,times=3`.
 */
export function parseFaultSpec(spec: string): SqlFault {
  const [head = '', ...pairs] = spec.split(',');
  const [kind, number] = head.split(':');
  const raw: Record<string, unknown> = { kind };
  if (number !== undefined) raw.number = Number(number);
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new FaultError(`--fault '${spec}': '${pair}' is not key=value`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    raw[key] = ['database', 'query'].includes(key) || value === 'forever' ? value : Number(value);
  }
  const [fault] = parseFaults([raw]);
  return fault as SqlFault;
}

interface Armed {
  fault: SqlFault;
  remaining: number;
}

/** The armed faults of one emulator (per instance, never shared). */
export class FaultSet {
  private armed: Armed[] = [];

  constructor(faults: unknown = []) {
    this.set(faults);
  }

  /** Replaces every armed fault. */
  set(faults: unknown): void {
    this.armed = parseFaults(faults).map((fault) => ({ fault, remaining: fault.times ?? 1 }));
  }

  /** The faults not yet used up, with what is left of `times`. */
  pending(): SqlFault[] {
    return this.armed.filter((a) => a.remaining > 0).map((a) => ({ ...a.fault, times: a.remaining }));
  }

  /** The fault for this query, if one matches; it is used up by this call. */
  takeQuery(database: string, text: string): QueryFault | undefined {
    const found = this.take(
      (f) =>
        f.kind !== 'login' &&
        (f.database === undefined || f.database.toLowerCase() === database.toLowerCase()) &&
        (f.query === undefined || text.toLowerCase().includes(f.query.toLowerCase())),
    );
    return found as QueryFault | undefined;
  }

  takeLogin(database: string): Extract<SqlFault, { kind: 'login' }> | undefined {
    const found = this.take(
      (f) =>
        f.kind === 'login' &&
        (f.database === undefined || f.database.toLowerCase() === database.toLowerCase()),
    );
    return found as Extract<SqlFault, { kind: 'login' }> | undefined;
  }

  private take(matches: (fault: SqlFault) => boolean): SqlFault | undefined {
    const armed = this.armed.find((a) => a.remaining > 0 && matches(a.fault));
    if (armed === undefined) return undefined;
    armed.remaining -= 1;
    return armed.fault;
  }
}
