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
  /** Where JWT bearer and password token requests go (login.salesforce.com, test.salesforce.com or the My Domain). */
  loginUrl: string;
  /** The org's My Domain URL: client credentials token requests go there, and only there. */
  instanceUrl?: string;
  clientId: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  privateKey?: string;
  /** The JWT `aud`; when unset, derived from the login URL (see jwtAudience). */
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

/** Calls made to Salesforce (one counter per app): auth, and data (calls that read or write records). */
export interface SalesforceMetrics {
  calls: number;
  authCalls: number;
  dataCalls: number;
}

export function newSalesforceMetrics(): SalesforceMetrics {
  return { calls: 0, authCalls: 0, dataCalls: 0 };
}

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

/** Network failures before the request reached Salesforce: nothing can have been committed. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Turns a network failure into our named error; `lost` when the request may have been committed. */
function networkError(error: unknown, what: string): Error {
  const e = error as { code?: string; message?: string; name?: string };
  const code = e.code ?? e.name ?? 'error';
  return new SalesforceUnavailableError(`Salesforce ${what}: ${code}: ${e.message ?? ''}`, {
    cause: { network: code, lost: !NOT_SENT_CODES.has(code), error },
  });
}

/**
 * Whether a request may have been committed though its answer never came (connection reset,
 * timeout, socket hang up after it was sent): resend only what is idempotent.
 */
export function isLostResponse(error: unknown): boolean {
  return (
    error instanceof SalesforceUnavailableError &&
    (error.cause as { lost?: boolean } | undefined)?.lost === true
  );
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date), if there is a usable one. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The Retry-After Salesforce sent with a 503 / 429-like refusal, in seconds. */
export function retryAfterSeconds(error: unknown): number | undefined {
  if (!(error instanceof SalesforceUnavailableError || error instanceof SalesforceRateLimitError))
    return undefined;
  return (error.cause as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
}

/**
 * 400 codes Salesforce gives a whole request for what one of its records holds (Jackson cannot
 * deserialize a value): splitting the request isolates the record.
 */
const PER_PAYLOAD_REFUSALS = new Set(['JSON_PARSER_ERROR']);

/** Salesforce's code and message when it refused a whole request for what a record holds. */
export function requestRefusal(error: unknown): { code: string; message: string } | undefined {
  if (!(error instanceof SalesforceRequestError)) return undefined;
  const cause = error.cause as { httpStatus?: number; errorCode?: string; detail?: string } | undefined;
  if (cause?.httpStatus !== 400 || !PER_PAYLOAD_REFUSALS.has(cause.errorCode ?? '')) return undefined;
  return { code: cause.errorCode as string, message: cause.detail ?? error.message };
}

/** Translates a Salesforce error response into our named error. */
export function responseError(
  response: { statusCode: number; body: unknown; headers?: RestResponse['headers'] },
  what: string,
): Error {
  const { code, message } = describeBody(response.body);
  const text = `Salesforce ${what} answered ${response.statusCode} ${code}: ${message}`;
  const retryAfter = parseRetryAfter(response.headers?.['retry-after']);
  const cause = {
    httpStatus: response.statusCode,
    errorCode: code,
    detail: message,
    ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }),
  };
  if (TRANSIENT_STATUS.has(response.statusCode)) return new SalesforceUnavailableError(text, { cause });
  if (response.statusCode === 401) return new SalesforceAuthError(text);
  if (response.statusCode === 403 && code === 'REQUEST_LIMIT_EXCEEDED') {
    return /concurren/i.test(message)
      ? new SalesforceRateLimitError(text, { cause })
      : new SalesforceLimitExceededError(text);
  }
  return new SalesforceRequestError(text, { cause });
}

export const PRODUCTION_LOGIN_URL = 'https://login.salesforce.com';
export const SANDBOX_LOGIN_URL = 'https://test.salesforce.com';

/** Whether a login URL is a sandbox's (the rules of the Salesforce CLI, sfdx-core `SfdcUrl.isSandboxUrl`). */
export function isSandboxUrl(loginUrl: string): boolean {
  const url = new URL(loginUrl);
  const host = url.hostname.toLowerCase();
  return (
    host === 'test.salesforce.com' ||
    host.endsWith('.sandbox.my.salesforce.com') ||
    /(^|\.)cs[0-9]+(\.my)?\.salesforce\.com$/.test(host) ||
    /[a-z]{3}[0-9]+s\.sfdc-.+\.(salesforce|force)\.com$/.test(host)
  );
}

/**
 * The JWT `aud` claim for a login URL, as the Salesforce CLI derives it (sfdx-core
 * `SfdcUrl.getJwtAudienceUrl`, without its DNS lookup of My Domain CNAMEs): a sandbox's login
 * or My Domain URL → https://test.salesforce.com; anything else, a production My Domain
 * included → https://login.salesforce.com. An explicit `audience` setting wins over this.
 */
export function jwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname.toLowerCase();
  if (isSandboxUrl(loginUrl)) return SANDBOX_LOGIN_URL;
  if (host.startsWith('gs1.') || host.endsWith('gs1.my.salesforce.com')) return 'https://gs1.salesforce.com';
  return PRODUCTION_LOGIN_URL;
}

/** Where a flow's token request goes: client credentials to the My Domain, the others to the login URL. */
export function tokenUrl(s: SalesforceAuthSettings): string {
  const base = s.flow === 'client_credentials' ? s.instanceUrl : s.loginUrl;
  if (!base) {
    throw new SalesforceAuthError(
      "the client_credentials flow needs the org's My Domain URL (SF_INSTANCE_URL, config salesforce.instanceUrl): login.salesforce.com refuses it",
    );
  }
  return `${base.replace(/\/$/, '')}/services/oauth2/token`;
}

function jwtAssertion(s: SalesforceAuthSettings): string {
  if (!s.privateKey) throw new SalesforceAuthError('JWT flow needs a private key (SF_PRIVATE_KEY)');
  if (!s.username) throw new SalesforceAuthError('JWT flow needs a username (SF_USERNAME)');
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = {
    iss: s.clientId,
    sub: s.username,
    aud: s.audience || jwtAudience(s.loginUrl),
    exp: Math.floor(Date.now() / 1000) + 180,
  };
  const unsigned = `${encode({ alg: 'RS256' })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(s.privateKey).toString('base64url');
  return `${unsigned}.${signature}`;
}

/** Asks Salesforce for an access token with the configured OAuth flow. */
export async function requestToken(
  s: SalesforceAuthSettings,
  http: Got = got,
  metrics: SalesforceMetrics = newSalesforceMetrics(),
): Promise<Token> {
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
  const url = tokenUrl(s);
  metrics.calls += 1;
  metrics.authCalls += 1;
  let response: Response<unknown>;
  try {
    response = await http.post(url, {
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

/** One HTTP request of the REST API, and its answer: what the client needs from an HTTP library. */
export interface RestRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** A text body sent as is (Bulk API 2.0 CSV uploads), instead of `body` as JSON. */
  text?: string;
  /** Answer the body as a stream of text chunks (Bulk API 2.0 result CSVs) instead of parsed JSON. */
  stream?: boolean;
  /** This request's whole-exchange timeout, when it differs from the client's (Bulk uploads and results). */
  timeoutMs?: number;
}
export interface RestResponse {
  statusCode: number;
  /** Parsed JSON; for a `stream` request answered below 400, an AsyncIterable<string> of the body. */
  body: unknown;
  /** Lower-case names, as Node gives them (Retry-After is read from here). */
  headers?: Record<string, string | string[] | undefined>;
}
export type RestTransport = (request: RestRequest) => Promise<RestResponse>;

/** The transport over got: JSON in and out, no retries (the state machine retries), a timeout. */
export function gotTransport(timeoutMs = 60000): RestTransport {
  const http = got.extend({
    responseType: 'json',
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { request: timeoutMs },
  });
  return async (r) => {
    if (r.stream) return streamResponse(http, r);
    const response = (await http(r.url, {
      method: r.method,
      headers: r.headers,
      ...(r.timeoutMs ? { timeout: { request: r.timeoutMs } } : {}),
      ...(r.text !== undefined ? { body: r.text } : r.body === undefined ? {} : { json: r.body }),
    })) as Response<unknown>;
    return { statusCode: response.statusCode, body: response.body, headers: response.headers };
  };
}

/** A streamed answer: the body as text chunks when it succeeded, the parsed JSON error otherwise. */
async function streamResponse(http: Got, r: RestRequest): Promise<RestResponse> {
  const stream = http.stream(r.url, {
    method: r.method,
    headers: r.headers,
    ...(r.timeoutMs ? { timeout: { request: r.timeoutMs } } : {}),
  });
  const response = await new Promise<{ statusCode: number; headers: RestResponse['headers'] }>(
    (resolve, reject) => {
      stream.once('response', resolve);
      stream.once('error', reject);
    },
  );
  stream.setEncoding('utf8');
  if (response.statusCode < 400) {
    return {
      statusCode: response.statusCode,
      body: stream as AsyncIterable<string>,
      headers: response.headers,
    };
  }
  let text = '';
  for await (const chunk of stream) text += chunk as string;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the text is the message
  }
  return { statusCode: response.statusCode, body, headers: response.headers };
}

export type DuplicateRules = 'allowSave' | 'enforce';

/** The headers of a write: with allowSave, the org's duplicate rules do not block the save. */
export function writeHeaders(duplicateRules: DuplicateRules): Record<string, string> {
  return duplicateRules === 'allowSave' ? { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' } : {};
}

/**
 * Whether an error is Salesforce's HTTP 500 (`UNKNOWN_EXCEPTION`): often deterministic for the
 * same payload, so a caller retries it once and then fails the records instead of retrying it
 * as an outage.
 */
export function isUnknownException(error: unknown): boolean {
  return (
    error instanceof SalesforceUnavailableError &&
    (error.cause as { httpStatus?: number } | undefined)?.httpStatus === 500
  );
}

export interface WriteOptions {
  /** Default "allowSave": the request carries `Sforce-Duplicate-Rule-Header: allowSave=true`. */
  duplicateRules?: DuplicateRules;
}

export interface SalesforceClientOptions {
  apiVersion: string;
  token: Token;
  /** Called once on a 401 to get a fresh token (the single in-code retry). */
  refresh: () => Promise<Token>;
  requestTimeoutMs?: number;
  maxInFlight?: number;
  /** How requests are sent (default: got); tests give a fake. */
  transport?: RestTransport;
  /** Where the client counts its calls (the app's counters; default: its own). */
  metrics?: SalesforceMetrics;
}

/** The Salesforce REST client: sObject Collections in parallel under a limit. */
/** How long one Bulk API 2.0 upload or results download may take, whole. */
export const BULK_TIMEOUT_MS = 240_000;

export class SalesforceClient {
  private token: Token;
  private refreshing: Promise<Token> | undefined;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly transport: RestTransport;
  private readonly metrics: SalesforceMetrics;

  constructor(private readonly options: SalesforceClientOptions) {
    this.token = options.token;
    this.metrics = options.metrics ?? newSalesforceMetrics();
    this.limit = pLimit(options.maxInFlight ?? 4);
    this.transport = options.transport ?? gotTransport(options.requestTimeoutMs);
  }

  private url(path: string): string {
    return `${this.token.instanceUrl.replace(/\/$/, '')}/services/data/v${this.options.apiVersion}${path}`;
  }

  /**
   * One Bulk API 2.0 request under /services/data/vXX.X/jobs/: JSON in (`json`) or CSV in
   * (`csv`, text/csv), JSON out or, with `stream`, the CSV answer as text chunks. Same token
   * refresh, error translation and counting as the other calls; `idempotent: false` keeps a
   * request whose answer was lost from being sent again.
   */
  bulkRequest(
    method: RestRequest['method'],
    path: string,
    what: string,
    options: { json?: unknown; csv?: string; stream?: boolean; idempotent?: boolean } = {},
  ): Promise<unknown> {
    // A 40 MB part, or a million rows of results, takes longer than a JSON request may: the
    // exchange may last up to BULK_TIMEOUT_MS (inside the upsert Lambda's 300 s).
    const long = options.csv !== undefined || options.stream === true;
    const raw = {
      ...(options.csv === undefined ? {} : { text: options.csv }),
      ...(options.stream ? { stream: true } : {}),
      ...(long ? { timeoutMs: Math.max(BULK_TIMEOUT_MS, this.options.requestTimeoutMs ?? 0) } : {}),
    };
    return this.call(method, path, options.json, what, {}, options.idempotent ?? method !== 'POST', raw);
  }

  /** One data call, with the token refreshed once if Salesforce says the session is invalid. */
  private async call(
    method: RestRequest['method'],
    path: string,
    body: unknown,
    what: string,
    headers: Record<string, string> = {},
    idempotent = method !== 'POST',
    raw: { text?: string; stream?: boolean; timeoutMs?: number } = {},
  ): Promise<unknown> {
    let refreshed = false;
    let resent = false;
    for (;;) {
      const used = this.token;
      this.metrics.calls += 1;
      this.metrics.dataCalls += 1;
      let response: RestResponse;
      try {
        response = await this.transport({
          method,
          url: this.url(path),
          headers: {
            ...headers,
            authorization: `Bearer ${used.accessToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(raw.text === undefined ? {} : { 'content-type': 'text/csv' }),
          },
          ...(body === undefined ? {} : { body }),
          ...raw,
        });
      } catch (error) {
        const named = networkError(error, what);
        // An answer lost after the request was sent: an idempotent request is sent once more,
        // and its outcome is the one Salesforce gives then (a create by POST is not resent).
        if (idempotent && isLostResponse(named) && !resent) {
          resent = true;
          continue;
        }
        throw named;
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
    options: WriteOptions = {},
  ): Promise<RecordResult[]> {
    if (records.length > 200)
      throw new SalesforceRequestError(`at most 200 records per request, got ${records.length}`);
    const body = { allOrNone: false, records: records.map((r) => ({ attributes: { type: object }, ...r })) };
    const headers = writeHeaders(options.duplicateRules ?? 'allowSave');
    const out = await this.limit(() =>
      this.call(
        'PATCH',
        `/composite/sobjects/${object}/${externalIdField}`,
        body,
        `upsert ${object}`,
        headers,
      ),
    );
    return this.results(out, records.length, `upsert ${object}`);
  }

  /** Create (no id) or update (with id) through sObject Collections: for orgs without an external ID field. */
  async saveCollection(
    object: string,
    records: Array<Record<string, unknown>>,
    mode: 'create' | 'update',
    options: WriteOptions = {},
  ): Promise<RecordResult[]> {
    if (records.length > 200)
      throw new SalesforceRequestError(`at most 200 records per request, got ${records.length}`);
    const body = { allOrNone: false, records: records.map((r) => ({ attributes: { type: object }, ...r })) };
    const headers = writeHeaders(options.duplicateRules ?? 'allowSave');
    const out = await this.limit(() =>
      this.call(
        mode === 'create' ? 'POST' : 'PATCH',
        '/composite/sobjects',
        body,
        `${mode} ${object}`,
        headers,
      ),
    );
    return this.results(out, records.length, `${mode} ${object}`);
  }

  /** Delete by Id through sObject Collections: at most 200 Ids, allOrNone false, results in order. */
  async deleteCollection(ids: string[]): Promise<RecordResult[]> {
    if (ids.length > 200)
      throw new SalesforceRequestError(`at most 200 records per request, got ${ids.length}`);
    const path = `/composite/sobjects?ids=${ids.map(encodeURIComponent).join(',')}&allOrNone=false`;
    const out = await this.limit(() => this.call('DELETE', path, undefined, 'delete'));
    return this.results(out, ids.length, 'delete');
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
