import { createSign } from 'node:crypto';
import got, { type Got, type Response } from 'got';
import pLimit from 'p-limit';
import {
  SalesforceAuthError,
  SalesforceLimitExceededError,
  SalesforceRateLimitError,
  SalesforceRequestError,
  SalesforceUnavailableError,
} from '../errors.js';
import type { Token } from '../store/sync-store.js';

export type AuthFlow = 'jwt' | 'client_credentials' | 'password';

export interface SalesforceAuthSettings {
  flow: AuthFlow;
  loginUrl: string;
  clientId: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  privateKey?: string;
  audience?: string;
  /** How long we trust a token before asking again (Salesforce does not say; sessions last 2 h by default). */
  tokenTtlSeconds?: number;
}

export interface RecordError {
  statusCode: string;
  message: string;
  fields?: string[];
}

export interface RecordResult {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: RecordError[];
}

/** Calls made to Salesforce by this process: auth, and data (calls that read or write records). */
export const salesforceMetrics = { calls: 0, authCalls: 0, dataCalls: 0 };

const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

function describeBody(body: unknown): { code: string; message: string } {
  if (Array.isArray(body) && body.length > 0) {
    const first = body[0] as { errorCode?: string; message?: string };
    return { code: first.errorCode ?? 'UNKNOWN', message: first.message ?? JSON.stringify(body) };
  }
  if (body && typeof body === 'object') {
    const b = body as { error?: string; error_description?: string };
    return { code: b.error ?? 'UNKNOWN', message: b.error_description ?? JSON.stringify(body) };
  }
  return { code: 'UNKNOWN', message: String(body ?? '') };
}

/** Turns a network failure into our named error. */
function networkError(error: unknown, what: string): Error {
  const e = error as { code?: string; message?: string; name?: string };
  return new SalesforceUnavailableError(
    `Salesforce ${what}: ${e.code ?? e.name ?? 'error'}: ${e.message ?? ''}`,
    {
      cause: error,
    },
  );
}

/** Translates a Salesforce error response into our named error. */
export function responseError(response: Response<unknown>, what: string): Error {
  const { code, message } = describeBody(response.body);
  const text = `Salesforce ${what} answered ${response.statusCode} ${code}: ${message}`;
  if (TRANSIENT_STATUS.has(response.statusCode)) return new SalesforceUnavailableError(text);
  if (response.statusCode === 401) return new SalesforceAuthError(text);
  if (response.statusCode === 403 && code === 'REQUEST_LIMIT_EXCEEDED') {
    return /concurren/i.test(message)
      ? new SalesforceRateLimitError(text)
      : new SalesforceLimitExceededError(text);
  }
  return new SalesforceRequestError(text);
}

function jwtAssertion(s: SalesforceAuthSettings): string {
  if (!s.privateKey) throw new SalesforceAuthError('JWT flow needs a private key (SF_PRIVATE_KEY)');
  if (!s.username) throw new SalesforceAuthError('JWT flow needs a username (SF_USERNAME)');
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = {
    iss: s.clientId,
    sub: s.username,
    aud: s.audience || 'https://login.salesforce.com',
    exp: Math.floor(Date.now() / 1000) + 180,
  };
  const unsigned = `${encode({ alg: 'RS256' })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(s.privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

/** Asks Salesforce for an access token with the configured OAuth flow. */
export async function requestToken(s: SalesforceAuthSettings, http: Got = got): Promise<Token> {
  const form: Record<string, string> = { client_id: s.clientId };
  if (s.flow === 'jwt') {
    form.grant_type = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    form.assertion = jwtAssertion(s);
  } else if (s.flow === 'client_credentials') {
    form.grant_type = 'client_credentials';
    form.client_secret = s.clientSecret ?? '';
  } else {
    form.grant_type = 'password';
    form.client_secret = s.clientSecret ?? '';
    form.username = s.username ?? '';
    form.password = s.password ?? '';
  }
  salesforceMetrics.calls += 1;
  salesforceMetrics.authCalls += 1;
  let response: Response<unknown>;
  try {
    response = await http.post(`${s.loginUrl.replace(/\/$/, '')}/services/oauth2/token`, {
      form,
      responseType: 'json',
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: 30000 },
    });
  } catch (error) {
    throw networkError(error, 'token request');
  }
  if (response.statusCode !== 200) {
    const error = responseError(response, 'token request');
    // 400 invalid_grant / invalid_client: our credentials are wrong; retrying will not help.
    throw response.statusCode === 400 ? new SalesforceAuthError(error.message) : error;
  }
  const body = response.body as { access_token?: string; instance_url?: string };
  if (!body.access_token || !body.instance_url) {
    throw new SalesforceRequestError('Salesforce token response has no access_token or instance_url');
  }
  return {
    accessToken: body.access_token,
    instanceUrl: body.instance_url,
    expiresAt: Date.now() + (s.tokenTtlSeconds ?? 1800) * 1000,
  };
}

export interface SalesforceClientOptions {
  apiVersion: string;
  token: Token;
  /** Called once on a 401 to get a fresh token (the single in-code retry). */
  refresh: () => Promise<Token>;
  requestTimeoutMs?: number;
  maxInFlight?: number;
}

/** The Salesforce REST client: sObject Collections in parallel under a limit. */
export class SalesforceClient {
  private token: Token;
  private refreshing: Promise<Token> | undefined;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly http: Got;

  constructor(private readonly options: SalesforceClientOptions) {
    this.token = options.token;
    this.limit = pLimit(options.maxInFlight ?? 4);
    this.http = got.extend({
      responseType: 'json',
      throwHttpErrors: false,
      retry: { limit: 0 },
      timeout: { request: options.requestTimeoutMs ?? 60000 },
      headers: { 'content-type': 'application/json' },
    });
  }

  private url(path: string): string {
    return `${this.token.instanceUrl.replace(/\/$/, '')}/services/data/v${this.options.apiVersion}${path}`;
  }

  /** One data call, with the token refreshed once if Salesforce says the session is invalid. */
  private async call(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body: unknown,
    what: string,
  ): Promise<unknown> {
    let refreshed = false;
    for (;;) {
      const used = this.token;
      salesforceMetrics.calls += 1;
      salesforceMetrics.dataCalls += 1;
      let response: Response<unknown>;
      try {
        response = await this.http(this.url(path), {
          method,
          headers: { authorization: `Bearer ${used.accessToken}` },
          ...(body === undefined ? {} : { json: body }),
        });
      } catch (error) {
        throw networkError(error, what);
      }
      if (response.statusCode === 401 && !refreshed) {
        refreshed = true;
        await this.refreshFrom(used);
        continue;
      }
      if (response.statusCode >= 400) throw responseError(response, what);
      return response.body;
    }
  }

  /** Concurrent 401s share one refresh. */
  private async refreshFrom(used: Token): Promise<void> {
    if (this.token !== used) return;
    this.refreshing ??= this.options.refresh().finally(() => {
      this.refreshing = undefined;
    });
    this.token = await this.refreshing;
  }

  get currentToken(): Token {
    return this.token;
  }

  /** Upsert by external ID through sObject Collections: at most 200 records, allOrNone false, results in order. */
  async upsertCollection(
    object: string,
    externalIdField: string,
    records: Array<Record<string, unknown>>,
  ): Promise<RecordResult[]> {
    if (records.length > 200)
      throw new SalesforceRequestError(`at most 200 records per request, got ${records.length}`);
    const body = { allOrNone: false, records: records.map((r) => ({ attributes: { type: object }, ...r })) };
    const out = await this.limit(() =>
      this.call('PATCH', `/composite/sobjects/${object}/${externalIdField}`, body, `upsert ${object}`),
    );
    return this.results(out, records.length, `upsert ${object}`);
  }

  /** Create (no id) or update (with id) through sObject Collections: for orgs without an external ID field. */
  async saveCollection(
    object: string,
    records: Array<Record<string, unknown>>,
    mode: 'create' | 'update',
  ): Promise<RecordResult[]> {
    if (records.length > 200)
      throw new SalesforceRequestError(`at most 200 records per request, got ${records.length}`);
    const body = { allOrNone: false, records: records.map((r) => ({ attributes: { type: object }, ...r })) };
    const out = await this.limit(() =>
      this.call(mode === 'create' ? 'POST' : 'PATCH', '/composite/sobjects', body, `${mode} ${object}`),
    );
    return this.results(out, records.length, `${mode} ${object}`);
  }

  async query<T = Record<string, unknown>>(soql: string): Promise<T[]> {
    const records: T[] = [];
    let next: string | undefined = `/query?q=${encodeURIComponent(soql)}`;
    while (next) {
      const out = (await this.limit(() => this.call('GET', next as string, undefined, 'query'))) as {
        records: T[];
        nextRecordsUrl?: string;
      };
      records.push(...out.records);
      next = out.nextRecordsUrl?.replace(/^\/services\/data\/v[\d.]+/, '');
    }
    return records;
  }

  private results(out: unknown, expected: number, what: string): RecordResult[] {
    if (!Array.isArray(out) || out.length !== expected) {
      throw new SalesforceRequestError(
        `Salesforce ${what}: expected ${expected} results, got ${JSON.stringify(out).slice(0, 200)}`,
      );
    }
    return out as RecordResult[];
  }
}
